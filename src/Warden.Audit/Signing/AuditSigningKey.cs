using System.Security.Cryptography;

namespace Warden.Audit.Signing;

/// <summary>
/// An ECDSA P-256 key that signs checkpoints. Holds the private key; verification needs only
/// <see cref="AuditVerificationKey"/>. Persist with <see cref="ExportPkcs8PrivateKey"/> (the server encrypts
/// those bytes at rest) and reload with <see cref="ImportPkcs8PrivateKey"/>.
/// </summary>
public sealed class AuditSigningKey : IDisposable
{
    private readonly ECDsa _key;

    private AuditSigningKey(ECDsa key)
    {
        _key = key;
        PublicKey = AuditVerificationKey.FromSubjectPublicKeyInfo(key.ExportSubjectPublicKeyInfo());
    }

    /// <summary>First 16 hex digits of SHA-256 of the DER SubjectPublicKeyInfo.</summary>
    public string KeyId => PublicKey.KeyId;

    /// <summary>The public half, for keyrings and offline verification.</summary>
    public AuditVerificationKey PublicKey { get; }

    /// <summary>Generates a new random P-256 key.</summary>
    public static AuditSigningKey Generate() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>Loads a key from unencrypted PKCS#8 DER bytes, as produced by <see cref="ExportPkcs8PrivateKey"/>.</summary>
    /// <exception cref="CryptographicException">The bytes are not a P-256 EC private key.</exception>
    public static AuditSigningKey ImportPkcs8PrivateKey(ReadOnlySpan<byte> pkcs8)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportPkcs8PrivateKey(pkcs8, out _);
            EnsureP256(key);
            return new AuditSigningKey(key);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>Unencrypted PKCS#8 DER of the private key. Treat as a secret.</summary>
    public byte[] ExportPkcs8PrivateKey() => _key.ExportPkcs8PrivateKey();

    /// <summary>ECDSA P-256 / SHA-256 signature over <paramref name="data"/>, IEEE P1363 format (r || s, 64 bytes).</summary>
    public byte[] Sign(ReadOnlySpan<byte> data) =>
        _key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    /// <inheritdoc />
    public void Dispose() => _key.Dispose();

    internal static void EnsureP256(ECDsa key)
    {
        var parameters = key.ExportParameters(false);
        if (parameters.Curve.Oid?.Value != "1.2.840.10045.3.1.7")
        {
            throw new CryptographicException("Audit signing keys must be on curve P-256.");
        }
    }
}
