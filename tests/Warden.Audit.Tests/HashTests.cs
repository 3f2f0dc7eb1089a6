using System.Security.Cryptography;

namespace Warden.Audit.Tests;

/// <summary>
/// The ledger's SHA-256 goes through OpenSSL's EVP calls directly (<see cref="OpenSslSha256"/>). These tests hold it to
/// .NET's own SHA-256 on every input shape the ledger produces, across threads, and check that the fast path is the one
/// in use on Linux, so a broken load cannot fall back silently.
/// </summary>
public sealed class HashTests
{
    [Fact]
    public void OnLinux_TheOpenSslPathIsInUse()
    {
        if (!OperatingSystem.IsLinux() || SafeEvpPKeyHandle.OpenSslVersion < 0x3000_0000L)
        {
            // Another platform, or .NET on OpenSSL 1.1: the fallback is the right path there.
            OpenSslSha256.IsAvailable.ShouldBeFalse();
            return;
        }

        OpenSslSha256.IsAvailable.ShouldBeTrue("libcrypto.so.3 is what .NET itself uses here; failing to load it means the slower path runs.");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(55)]
    [InlineData(56)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(592)]
    [InlineData(2047)]
    [InlineData(2048)]
    [InlineData(2049)]
    [InlineData(100_000)]
    public void Compute_EqualsDotNetSha256_ForEveryLength(int length)
    {
        var data = new byte[length];
        new Random(length).NextBytes(data);

        AuditHash.Compute(data).ShouldBe(new AuditHash(SHA256.HashData(data)));

        // With a previous hash in front: the chain's form, SHA-256(previous || canonical bytes).
        var previous = AuditHash.Compute("previous"u8);
        var joined = previous.ToArray().Concat(data).ToArray();
        AuditHash.Compute(previous, data).ShouldBe(new AuditHash(SHA256.HashData(joined)));

        // The fallback for platforms without libcrypto 3 gives the same values.
        AuditHash.ComputeWithDotNet(data).ShouldBe(AuditHash.Compute(data));
        AuditHash.ComputeWithDotNet(previous, data).ShouldBe(AuditHash.Compute(previous, data));
    }

    [Fact]
    public void Compute_DiffersWhenOneBitOfTheInputOrThePrefixChanges()
    {
        var data = new byte[592];
        new Random(7).NextBytes(data);
        var previous = AuditHash.Compute("p"u8);
        var hash = AuditHash.Compute(previous, data);

        data[300] ^= 0x01;
        AuditHash.Compute(previous, data).ShouldNotBe(hash);
        data[300] ^= 0x01;
        AuditHash.Compute(previous, data).ShouldBe(hash);
        AuditHash.Compute(AuditHash.Compute("q"u8), data).ShouldNotBe(hash);
    }

    [Fact]
    public void OpenSsl_WithTwoParts_EqualsTheHashOfBothJoined()
    {
        if (!OpenSslSha256.IsAvailable)
        {
            return;
        }

        var a = new byte[100];
        var b = new byte[333];
        new Random(3).NextBytes(a);
        new Random(4).NextBytes(b);
        var digest = new byte[32];

        OpenSslSha256.Compute(a, b, digest);
        digest.ShouldBe(SHA256.HashData(a.Concat(b).ToArray()));

        // The destination may be the first part (AuditHash writes the result over the prefix it hashed).
        var prefix = a[..32].ToArray();
        OpenSslSha256.Compute(prefix, b, prefix);
        prefix.ShouldBe(SHA256.HashData(a[..32].Concat(b).ToArray()));

        Should.Throw<ArgumentException>(() => OpenSslSha256.Compute(a, b, new byte[31]));
    }

    [Fact]
    public async Task Compute_IsCorrectOnManyThreadsAtOnce()
    {
        // Each thread reuses its own digest context: a shared one would mix inputs and produce wrong hashes here.
        var inputs = Enumerable.Range(0, 64).Select(i =>
        {
            var bytes = new byte[200 + (i * 37)];
            new Random(i).NextBytes(bytes);
            return bytes;
        }).ToArray();
        var expected = inputs.Select(b => new AuditHash(SHA256.HashData(b))).ToArray();
        var withPrefix = inputs.Select((b, i) => new AuditHash(SHA256.HashData(expected[i].ToArray().Concat(b).ToArray()))).ToArray();

        var wrong = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            for (var round = 0; round < 2_000; round++)
            {
                var i = (round + (t * 7)) % inputs.Length;
                if (AuditHash.Compute(inputs[i]) != expected[i] || AuditHash.Compute(expected[i], inputs[i]) != withPrefix[i])
                {
                    Interlocked.Increment(ref wrong);
                }
            }
        })));

        wrong.ShouldBe(0);
    }

    [Fact]
    public void ThreadsThatEnd_FreeTheirContexts_AndHashingGoesOnCorrectly()
    {
        // Each thread's OpenSSL context is freed by a finalizer once the thread is gone; freeing one must never touch a
        // context still in use, or the hashes after it would come out wrong (or the process would crash).
        var data = new byte[600];
        new Random(11).NextBytes(data);
        var expected = new AuditHash(SHA256.HashData(data));
        var wrong = 0;
        for (var round = 0; round < 20; round++)
        {
            var threads = Enumerable.Range(0, 8).Select(_ => new Thread(() =>
            {
                for (var k = 0; k < 20; k++)
                {
                    if (AuditHash.Compute(data) != expected)
                    {
                        Interlocked.Increment(ref wrong);
                    }
                }
            })).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
            GC.Collect();
            GC.WaitForPendingFinalizers();
            AuditHash.Compute(data).ShouldBe(expected);
        }

        wrong.ShouldBe(0);
    }
}
