using System.Security.Cryptography;
using System.Text;

namespace Warden.Data.Security;

/// <summary>
/// The one way Warden encrypts secrets at rest: AES-256-GCM under the master key. Each value gets a fresh 96-bit
/// nonce; the <c>purpose</c> string is authenticated as associated data, so a ciphertext stored for one purpose
/// (say a provider key) cannot be replayed as another (say a Git credential).
/// Layout: <c>version(1) | nonce(12) | tag(16) | ciphertext</c>, base64 in text columns.
/// </summary>
public sealed class SecretBox
{
    private const byte FormatVersion = 1;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly byte[] _key;

    /// <summary>Creates a box over a 32-byte master key.</summary>
    public SecretBox(ReadOnlySpan<byte> masterKey)
    {
        if (masterKey.Length != 32)
        {
            throw new ArgumentException("The master key must be 32 bytes (AES-256).", nameof(masterKey));
        }

        _key = masterKey.ToArray();
    }

    /// <summary>Encrypts <paramref name="plaintext"/> for <paramref name="purpose"/>.</summary>
    public byte[] Seal(ReadOnlySpan<byte> plaintext, string purpose)
    {
        var output = new byte[1 + NonceSize + TagSize + plaintext.Length];
        output[0] = FormatVersion;
        var nonce = output.AsSpan(1, NonceSize);
        var tag = output.AsSpan(1 + NonceSize, TagSize);
        var cipher = output.AsSpan(1 + NonceSize + TagSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, plaintext, cipher, tag, Encoding.UTF8.GetBytes(purpose));
        return output;
    }

    /// <summary>Decrypts a value sealed for the same <paramref name="purpose"/>.</summary>
    /// <exception cref="CryptographicException">Tampered, truncated, another key, or another purpose.</exception>
    public byte[] Open(ReadOnlySpan<byte> sealedValue, string purpose)
    {
        if (sealedValue.Length < 1 + NonceSize + TagSize || sealedValue[0] != FormatVersion)
        {
            throw new CryptographicException("The sealed value is malformed.");
        }

        var plaintext = new byte[sealedValue.Length - 1 - NonceSize - TagSize];
        using var aes = new AesGcm(_key, TagSize);
        aes.Decrypt(
            sealedValue.Slice(1, NonceSize),
            sealedValue[(1 + NonceSize + TagSize)..],
            sealedValue.Slice(1 + NonceSize, TagSize),
            plaintext,
            Encoding.UTF8.GetBytes(purpose));
        return plaintext;
    }

    /// <summary>Encrypts a string and returns base64, for text columns.</summary>
    public string SealString(string plaintext, string purpose) => Convert.ToBase64String(Seal(Encoding.UTF8.GetBytes(plaintext), purpose));

    /// <summary>Reverses <see cref="SealString"/>.</summary>
    public string OpenString(string sealedBase64, string purpose) => Encoding.UTF8.GetString(Open(Convert.FromBase64String(sealedBase64), purpose));
}
