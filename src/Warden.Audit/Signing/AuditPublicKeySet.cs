namespace Warden.Audit.Signing;

/// <summary>Trusted public keys for offline verification, looked up by key id.</summary>
public sealed class AuditPublicKeySet
{
    private readonly Dictionary<string, AuditVerificationKey> _keys = new(StringComparer.Ordinal);

    /// <summary>A set trusting <paramref name="keys"/>.</summary>
    public AuditPublicKeySet(IEnumerable<AuditVerificationKey> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        foreach (var key in keys)
        {
            _keys[key.KeyId] = key;
        }
    }

    /// <summary>The keys a keyring trusts.</summary>
    public static AuditPublicKeySet From(AuditKeyring keyring)
    {
        ArgumentNullException.ThrowIfNull(keyring);
        return new AuditPublicKeySet(keyring.PublicKeys);
    }

    /// <summary>Looks up a trusted public key by id.</summary>
    public bool TryGet(string keyId, out AuditVerificationKey key) => _keys.TryGetValue(keyId, out key!);
}
