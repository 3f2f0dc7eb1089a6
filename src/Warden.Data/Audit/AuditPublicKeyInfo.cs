namespace Warden.Data.Audit;

/// <summary>A checkpoint-verification key as served to verifiers.</summary>
public sealed record AuditPublicKeyInfo(string KeyId, string PublicKeyPem, DateTimeOffset CreatedAt, DateTimeOffset? RetiredAt);
