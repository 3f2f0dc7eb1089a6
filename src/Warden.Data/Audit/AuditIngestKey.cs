namespace Warden.Data.Audit;

/// <summary>An ingestion key as listed: never the secret, only its display prefix.</summary>
/// <param name="Id">Stable id (<c>wik_...</c> is the secret's marker; the id is <c>aik_...</c>).</param>
/// <param name="Name">What the key is for, e.g. "claude-code laptops".</param>
/// <param name="Vendor">Vendor recorded on events sent with this key when the payload does not name a known tool.</param>
/// <param name="Prefix">The first characters of the secret, for recognising it.</param>
/// <param name="CreatedBy">User name of the creator.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="RevokedAt">When it was revoked, if it was.</param>
/// <param name="LastUsedAt">Last accepted use, to the minute.</param>
public sealed record AuditIngestKey(string Id, string Name, string Vendor, string Prefix, string CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt, DateTimeOffset? LastUsedAt);
