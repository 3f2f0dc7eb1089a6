using System.Security.Cryptography;

namespace Warden.Audit.Signing;

/// <summary>The public half of an <see cref="AuditSigningKey"/>: verifies checkpoint signatures.</summary>
public sealed class AuditVerificationKey
{
    private readonly byte[] _spki;

    private AuditVerificationKey(byte[] spki, string keyId)
    {
        _spki = spki;
        KeyId = keyId;
    }

    /// <summary>First 16 lowercase hex digits of SHA-256 of the DER SubjectPublicKeyInfo.</summary>
    public string KeyId { get; }

    /// <summary>Loads a public key from DER SubjectPublicKeyInfo bytes.</summary>
    /// <exception cref="CryptographicException">Not a P-256 EC public key.</exception>
    public static AuditVerificationKey FromSubjectPublicKeyInfo(ReadOnlySpan<byte> spki)
    {
        using var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(spki, out _);
        AuditSigningKey.EnsureP256(key);

        // Re-export so the key id is computed over a normalised encoding.
        var normalized = key.ExportSubjectPublicKeyInfo();
        return new AuditVerificationKey(normalized, ComputeKeyId(normalized));
    }

    /// <summary>Loads a public key from PEM (<c>-----BEGIN PUBLIC KEY-----</c>).</summary>
    public static AuditVerificationKey FromPem(string pem)
    {
        ArgumentNullException.ThrowIfNull(pem);
        using var key = ECDsa.Create();
        key.ImportFromPem(pem);
        return FromSubjectPublicKeyInfo(key.ExportSubjectPublicKeyInfo());
    }

    /// <summary>DER SubjectPublicKeyInfo.</summary>
    public byte[] ExportSubjectPublicKeyInfo() => (byte[])_spki.Clone();

    /// <summary>SubjectPublicKeyInfo as PEM (<c>-----BEGIN PUBLIC KEY-----</c>).</summary>
    public string ExportPem() => PemEncoding.WriteString("PUBLIC KEY", _spki);

    /// <summary>Checks an IEEE P1363 ECDSA P-256 / SHA-256 signature over <paramref name="data"/>.</summary>
    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        // Created per call: checkpoints are rare relative to events, and ECDsa instances are not thread-safe to share.
        using var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(_spki, out _);
        return key.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    private static string ComputeKeyId(ReadOnlySpan<byte> spki) => Convert.ToHexStringLower(SHA256.HashData(spki))[..16];
}
