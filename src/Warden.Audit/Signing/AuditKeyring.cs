namespace Warden.Audit.Signing;

/// <summary>
/// The active signing key plus the public keys of retired ones. Writers sign with <see cref="Active"/>;
/// verifiers look keys up by <see cref="AuditCheckpoint.KeyId"/>. Immutable: rotate with <see cref="Rotate"/>.
/// </summary>
public sealed class AuditKeyring
{
    private readonly Dictionary<string, AuditVerificationKey> _keys;

    /// <summary>A keyring that signs with <paramref name="active"/> and also trusts <paramref name="retired"/>.</summary>
    public AuditKeyring(AuditSigningKey active, IEnumerable<AuditVerificationKey>? retired = null)
    {
        ArgumentNullException.ThrowIfNull(active);
        Active = active;
        _keys = new Dictionary<string, AuditVerificationKey>(StringComparer.Ordinal);
        foreach (var key in retired ?? [])
        {
            _keys[key.KeyId] = key;
        }

        _keys[active.KeyId] = active.PublicKey;
    }

    /// <summary>The key new checkpoints are signed with.</summary>
    public AuditSigningKey Active { get; }

    /// <summary>All trusted public keys, active one included.</summary>
    public IReadOnlyCollection<AuditVerificationKey> PublicKeys => _keys.Values;

    /// <summary>A new keyring signing with <paramref name="next"/> and still trusting every key trusted here.</summary>
    public AuditKeyring Rotate(AuditSigningKey next) => new(next, _keys.Values);

    /// <summary>Looks up a trusted public key by id.</summary>
    public bool TryGetPublicKey(string keyId, out AuditVerificationKey key) => _keys.TryGetValue(keyId, out key!);
}
