using System.Security.Cryptography;
using System.Text;

namespace Warden.Data.Security;

/// <summary>
/// Random bearer secrets (API tokens, web sessions). A token is <c>wdn_</c> followed by 43 base62 characters
/// (256 bits); only its SHA-256 is stored, and a short prefix is kept for display. A fast hash suffices because
/// the secret is high-entropy: there is nothing to brute-force the way there is with a password.
/// </summary>
public static class TokenSecrets
{
    /// <summary>The marker all Warden API tokens start with, so secret scanners and the audit redactor can spot them.</summary>
    public const string TokenPrefix = "wdn_";

    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>A new API token.</summary>
    public static string NewToken() => TokenPrefix + RandomBase62(43);

    /// <summary>The marker of worker secrets (<see cref="NewWorkerSecret"/>).</summary>
    public const string WorkerSecretPrefix = "wks_";

    /// <summary>A new worker secret: given to a worker at its first registration, presented on every reconnect.</summary>
    public static string NewWorkerSecret() => WorkerSecretPrefix + RandomBase62(43);

    /// <summary>A new opaque secret without the token marker (for cookies).</summary>
    public static string NewOpaque() => RandomBase62(43);

    /// <summary>The characters kept for display: the marker and the first eight random characters.</summary>
    public static string DisplayPrefix(string token) => token.Length > TokenPrefix.Length + 8 ? token[..(TokenPrefix.Length + 8)] : token;

    /// <summary>Lower-case hex SHA-256 of the secret, as stored.</summary>
    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static string RandomBase62(int length)
    {
        // Rejection sampling keeps every character uniformly likely (256 is not a multiple of 62).
        var chars = new char[length];
        Span<byte> buffer = stackalloc byte[64];
        var filled = 0;
        while (filled < length)
        {
            RandomNumberGenerator.Fill(buffer);
            foreach (var b in buffer)
            {
                if (b < 248 && filled < length)
                {
                    chars[filled++] = Alphabet[b % 62];
                }
            }
        }

        return new string(chars);
    }
}
