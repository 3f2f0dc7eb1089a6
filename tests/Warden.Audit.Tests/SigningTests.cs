using System.Security.Cryptography;
using Warden.Audit.Signing;

namespace Warden.Audit.Tests;

public sealed class SigningTests
{
    [Fact]
    public void KeyId_IsFirst16HexOfSpkiHash()
    {
        using var key = AuditSigningKey.Generate();

        var spki = key.PublicKey.ExportSubjectPublicKeyInfo();

        key.KeyId.ShouldBe(Convert.ToHexStringLower(SHA256.HashData(spki))[..16]);
    }

    [Fact]
    public void PrivateKey_RoundTripsThroughPkcs8()
    {
        using var key = AuditSigningKey.Generate();

        using var imported = AuditSigningKey.ImportPkcs8PrivateKey(key.ExportPkcs8PrivateKey());

        imported.KeyId.ShouldBe(key.KeyId);
        var signature = imported.Sign("data"u8);
        signature.Length.ShouldBe(64);
        key.PublicKey.Verify("data"u8, signature).ShouldBeTrue();
    }

    [Fact]
    public void PublicKey_RoundTripsThroughPem()
    {
        using var key = AuditSigningKey.Generate();

        var pem = key.PublicKey.ExportPem();
        var imported = AuditVerificationKey.FromPem(pem);

        pem.ShouldStartWith("-----BEGIN PUBLIC KEY-----");
        imported.KeyId.ShouldBe(key.KeyId);
        imported.Verify("x"u8, key.Sign("x"u8)).ShouldBeTrue();
        imported.Verify("y"u8, key.Sign("x"u8)).ShouldBeFalse();
    }

    [Fact]
    public void Import_RejectsKeysOnOtherCurves()
    {
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);

        Should.Throw<CryptographicException>(() => AuditSigningKey.ImportPkcs8PrivateKey(p384.ExportPkcs8PrivateKey()));
    }

    [Fact]
    public void Keyring_RotationKeepsTrustingOldKeys()
    {
        using var first = AuditSigningKey.Generate();
        using var second = AuditSigningKey.Generate();

        var rotated = new AuditKeyring(first).Rotate(second);

        rotated.Active.ShouldBeSameAs(second);
        rotated.TryGetPublicKey(first.KeyId, out _).ShouldBeTrue();
        rotated.TryGetPublicKey(second.KeyId, out _).ShouldBeTrue();
        rotated.PublicKeys.Count.ShouldBe(2);
    }
}
