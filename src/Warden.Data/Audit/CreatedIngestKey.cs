namespace Warden.Data.Audit;

/// <summary>A new ingestion key and its secret, which is shown this once and never stored.</summary>
public sealed record CreatedIngestKey(AuditIngestKey Key, string Secret);
