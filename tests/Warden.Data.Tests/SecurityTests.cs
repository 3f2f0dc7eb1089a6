using System.Security.Cryptography;
using System.Text;
using Warden.Data.Identity;
using Warden.Data.Security;

namespace Warden.Data.Tests;

public sealed class SecurityTests
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);

    [Fact]
    public void SecretBox_RoundTripsAndUsesAFreshNonceEachTime()
    {
        var box = new SecretBox(Key);
        var a = box.SealString("provider-key-123", "provider");
        var b = box.SealString("provider-key-123", "provider");

        a.ShouldNotBe(b);
        box.OpenString(a, "provider").ShouldBe("provider-key-123");
        Encoding.UTF8.GetString(Convert.FromBase64String(a)).ShouldNotContain("provider-key-123");
    }

    [Fact]
    public void SecretBox_DetectsEveryFlippedByte()
    {
        var box = new SecretBox(Key);
        var sealedValue = box.Seal("secret"u8, "git");
        for (var i = 0; i < sealedValue.Length; i++)
        {
            var tampered = (byte[])sealedValue.Clone();
            tampered[i] ^= 0x01;
            Should.Throw<CryptographicException>(() => box.Open(tampered, "git"), $"byte {i}");
        }
    }

    [Fact]
    public void SecretBox_RefusesAnotherPurposeOrKeyOrTruncation()
    {
        var box = new SecretBox(Key);
        var sealedValue = box.Seal("secret"u8, "git");

        Should.Throw<CryptographicException>(() => box.Open(sealedValue, "provider"));
        Should.Throw<CryptographicException>(() => new SecretBox(RandomNumberGenerator.GetBytes(32)).Open(sealedValue, "git"));
        Should.Throw<CryptographicException>(() => box.Open(sealedValue.AsSpan(0, 20), "git"));
        Should.Throw<ArgumentException>(() => new SecretBox(new byte[16]));
    }

    [Fact]
    public void MasterKey_IsCreatedOwnerOnlyAndReusedAndAWorldReadableFileIsRefused()
    {
        var dir = Path.Combine(Path.GetTempPath(), "warden-key-" + Guid.NewGuid().ToString("N"));
        try
        {
            var first = MasterKey.Load(null, dir);
            var path = Path.Combine(dir, MasterKey.FileName);
            File.GetUnixFileMode(path).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
            MasterKey.Load(null, dir).ShouldBe(first);

            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
            Should.Throw<InvalidOperationException>(() => MasterKey.Load(null, dir)).Message.ShouldContain("chmod 600");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void MasterKey_FromEnvironmentMustBe32BytesOfBase64()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        MasterKey.Load(Convert.ToBase64String(key), null).ShouldBe(key);
        Should.Throw<InvalidOperationException>(() => MasterKey.Load("not base64!", null));
        Should.Throw<InvalidOperationException>(() => MasterKey.Load(Convert.ToBase64String(new byte[16]), null));
        Should.Throw<InvalidOperationException>(() => MasterKey.Load(null, null));
    }

    [Fact]
    public void PasswordHasher_VerifiesOnlyTheRightPasswordAndRejectsMalformedHashes()
    {
        var hash = PasswordHasher.Hash("correct horse battery", iterations: 1000);

        hash.ShouldStartWith("pbkdf2-sha512$1000$");
        PasswordHasher.Verify("correct horse battery", hash).ShouldBeTrue();
        PasswordHasher.Verify("correct horse batterz", hash).ShouldBeFalse();
        PasswordHasher.Verify("x", "garbage").ShouldBeFalse();
        PasswordHasher.Verify("x", "pbkdf2-sha512$0$AA==$AA==").ShouldBeFalse();
        PasswordHasher.Verify("x", "pbkdf2-sha512$10$!!$AA==").ShouldBeFalse();
        PasswordHasher.Weakness("short").ShouldNotBeNull();
        PasswordHasher.Weakness("long enough pw").ShouldBeNull();
    }

    [Fact]
    public void TokenSecrets_AreUniqueMarkedAndHashedNotStoredInTheClear()
    {
        var tokens = Enumerable.Range(0, 1000).Select(_ => TokenSecrets.NewToken()).ToList();

        tokens.Distinct().Count().ShouldBe(1000);
        tokens.ShouldAllBe(t => t.StartsWith("wdn_") && t.Length == 47 && t.Substring(4).All(char.IsAsciiLetterOrDigit));
        TokenSecrets.Hash(tokens[0]).ShouldNotContain(tokens[0][4..]);
        TokenSecrets.DisplayPrefix(tokens[0]).ShouldBe(tokens[0][..12]);
    }

    [Theory]
    [InlineData("platform", true)]
    [InlineData("a", true)]
    [InlineData("team-2", true)]
    [InlineData("", false)]
    [InlineData("Platform", false)]
    [InlineData("-lead", false)]
    [InlineData("trail-", false)]
    [InlineData("double--hyphen", false)]
    [InlineData("has space", false)]
    [InlineData("../etc", false)]
    [InlineData("ünicode", false)]
    public void Names_AcceptOnlyUrlSafeSlugs(string name, bool valid)
    {
        if (valid)
        {
            Names.Require("team", name).ShouldBe(name);
        }
        else
        {
            Should.Throw<WardenException>(() => Names.Require("team", name)).Kind.ShouldBe(WardenErrorKind.Validation);
        }
    }

    [Fact]
    public void Names_RejectsOverlongNames()
    {
        Names.Require("team", new string('a', 63));
        Should.Throw<WardenException>(() => Names.Require("team", new string('a', 64)));
    }
}
