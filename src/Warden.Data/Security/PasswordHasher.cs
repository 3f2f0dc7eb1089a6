using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Warden.Data.Security;

/// <summary>
/// PBKDF2-HMAC-SHA512 password hashes in the self-describing form <c>pbkdf2-sha512$iterations$salt$hash</c>,
/// so the work factor can rise later without breaking stored hashes.
/// </summary>
public static class PasswordHasher
{
    /// <summary>OWASP's 2023 recommendation for PBKDF2-HMAC-SHA512.</summary>
    public const int DefaultIterations = 210_000;

    /// <summary>Shortest password accepted.</summary>
    public const int MinimumLength = 12;

    /// <summary>Hashes <paramref name="password"/> with a random 16-byte salt.</summary>
    public static string Hash(string password, int iterations = DefaultIterations)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA512, 32);
        return string.Create(CultureInfo.InvariantCulture, $"pbkdf2-sha512${iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}");
    }

    /// <summary>True when <paramref name="password"/> matches; compares in constant time.</summary>
    public static bool Verify(string password, string stored)
    {
        var parts = stored.Split('$');
        if (parts.Length != 4 || parts[0] != "pbkdf2-sha512" ||
            !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations) || iterations < 1)
        {
            return false;
        }

        try
        {
            var salt = Convert.FromBase64String(parts[2]);
            var expected = Convert.FromBase64String(parts[3]);
            var actual = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA512, expected.Length);
            return CryptographicOperations.FixedTimeEquals(actual, expected);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>Returns why <paramref name="password"/> is too weak, or null when acceptable.</summary>
    public static string? Weakness(string? password) =>
        string.IsNullOrEmpty(password) || password.Length < MinimumLength
            ? $"A password must be at least {MinimumLength} characters long."
            : null;
}
