using Dapper;
using Warden.Audit.Signing;
using Warden.Data.Security;

namespace Warden.Data.Audit;

/// <summary>
/// The ledger's checkpoint-signing keys. The active private key is stored sealed under the master key; retired keys
/// keep only their public half, which verification of older checkpoints still needs.
/// </summary>
public sealed class AuditKeyStore(ConnectionFactory connections, SecretBox? secrets, TimeProvider time)
{
    /// <summary>A store that can only read public keys (offline verification holds no master key).</summary>
    public static AuditKeyStore PublicOnly(ConnectionFactory connections) => new(connections, null, TimeProvider.System);

    private SecretBox Secrets => secrets ?? throw new InvalidOperationException("Private audit keys need the master key.");

    private const string Purpose = "audit-signing-key";

    /// <summary>Loads the keyring, creating the first key when there is none.</summary>
    public async Task<AuditKeyring> LoadOrCreateAsync(CancellationToken cancellationToken = default)
    {
        var rows = await ReadAsync(cancellationToken).ConfigureAwait(false);
        var active = rows.FirstOrDefault(r => r.RetiredAt is null && r.PrivateKeySealed is not null);
        if (active is null)
        {
            return await RotateAsync(cancellationToken).ConfigureAwait(false);
        }

        var signing = AuditSigningKey.ImportPkcs8PrivateKey(Convert.FromBase64String(Secrets.OpenString(active.PrivateKeySealed!, Purpose)));
        return new AuditKeyring(signing, rows.Where(r => r.KeyId != active.KeyId).Select(r => AuditVerificationKey.FromPem(r.PublicKeyPem)));
    }

    /// <summary>Makes a new active key; the previous one is retired and its private half erased.</summary>
    public async Task<AuditKeyring> RotateAsync(CancellationToken cancellationToken = default)
    {
        var next = AuditSigningKey.Generate();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await using (var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false))
        await using (var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        {
            await connection.ExecuteAsync("UPDATE audit_keys SET retired_at = @now, private_key_sealed = NULL WHERE retired_at IS NULL", new { now }, tx).ConfigureAwait(false);
            await connection.ExecuteAsync(
                "INSERT INTO audit_keys (key_id, public_key_pem, private_key_sealed, created_at) VALUES (@KeyId, @pem, @sealedKey, @now)",
                new { next.KeyId, pem = next.PublicKey.ExportPem(), sealedKey = Secrets.SealString(Convert.ToBase64String(next.ExportPkcs8PrivateKey()), Purpose), now },
                tx).ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        var rows = await ReadAsync(cancellationToken).ConfigureAwait(false);
        return new AuditKeyring(next, rows.Where(r => r.KeyId != next.KeyId).Select(r => AuditVerificationKey.FromPem(r.PublicKeyPem)));
    }

    /// <summary>Every public key, active first, for verifiers.</summary>
    public async Task<IReadOnlyList<AuditPublicKeyInfo>> ListPublicAsync(CancellationToken cancellationToken = default) =>
        (await ReadAsync(cancellationToken).ConfigureAwait(false))
            .Select(r => new AuditPublicKeyInfo(r.KeyId, r.PublicKeyPem, DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAt), r.RetiredAt is null ? null : DateTimeOffset.FromUnixTimeMilliseconds(r.RetiredAt.Value)))
            .ToList();

    private async Task<List<Row>> ReadAsync(CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return (await connection.QueryAsync<Row>(
            "SELECT key_id, public_key_pem, private_key_sealed, created_at, retired_at FROM audit_keys ORDER BY retired_at IS NOT NULL, created_at DESC").ConfigureAwait(false)).ToList();
    }

    private sealed class Row
    {
        public string KeyId { get; set; } = string.Empty;
        public string PublicKeyPem { get; set; } = string.Empty;
        public string? PrivateKeySealed { get; set; }
        public long CreatedAt { get; set; }
        public long? RetiredAt { get; set; }
    }
}
