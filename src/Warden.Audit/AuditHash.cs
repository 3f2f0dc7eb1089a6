using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Warden.Audit;

/// <summary>
/// A SHA-256 value (32 bytes) used for event hashes, chain links, checkpoint hashes and the genesis value.
/// A value type so chains can be verified without allocating per event; text form is 64 lowercase hex digits.
/// </summary>
public readonly struct AuditHash : IEquatable<AuditHash>
{
    /// <summary>Size of a hash in bytes.</summary>
    public const int Size = 32;

    /// <summary>Length of the hex text form.</summary>
    public const int HexLength = 64;

    // Where OpenSSL 3 cannot be called directly (OpenSslSha256): a reused native hash context per thread is measurably
    // cheaper than a one-shot call, which creates and frees one.
    [ThreadStatic]
    private static IncrementalHash? _threadHash;

    [ThreadStatic]
    private static byte[]? _threadJoin;

    // Four big-endian words keep equality and copying to a handful of instructions.
    private readonly ulong _a;
    private readonly ulong _b;
    private readonly ulong _c;
    private readonly ulong _d;

    /// <summary>Creates a hash from exactly 32 bytes.</summary>
    public AuditHash(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new ArgumentException($"A hash is {Size} bytes; got {bytes.Length}.", nameof(bytes));
        }

        _a = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        _b = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        _c = BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]);
        _d = BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]);
    }

    /// <summary>The all-zero value; never produced by SHA-256 in practice, used as "unset".</summary>
    public static AuditHash Zero => default;

    /// <summary>True for the all-zero value.</summary>
    public bool IsZero => (_a | _b | _c | _d) == 0;

    /// <summary>SHA-256 of <paramref name="data"/>.</summary>
    public static AuditHash Compute(ReadOnlySpan<byte> data)
    {
        if (OpenSslSha256.IsAvailable)
        {
            Span<byte> digest = stackalloc byte[Size];
            OpenSslSha256.Compute(data, default, digest);
            return new AuditHash(digest);
        }

        return ComputeWithDotNet(data);
    }

    /// <summary>The path where OpenSSL 3 cannot be called directly (internal for tests).</summary>
    internal static AuditHash ComputeWithDotNet(ReadOnlySpan<byte> data)
    {
        var sha = _threadHash ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> buffer = stackalloc byte[Size];
        sha.AppendData(data);
        sha.GetHashAndReset(buffer);
        return new AuditHash(buffer);
    }

    /// <summary>SHA-256 of <paramref name="prefix"/> followed by <paramref name="data"/>.</summary>
    public static AuditHash Compute(in AuditHash prefix, ReadOnlySpan<byte> data)
    {
        if (OpenSslSha256.IsAvailable)
        {
            // Two updates into one context: OpenSSL buffers the prefix itself, no copy of the event is needed.
            Span<byte> prefixBytes = stackalloc byte[Size];
            prefix.WriteTo(prefixBytes);
            OpenSslSha256.Compute(prefixBytes, data, prefixBytes);
            return new AuditHash(prefixBytes);
        }

        return ComputeWithDotNet(prefix, data);
    }

    /// <summary>The path where OpenSSL 3 cannot be called directly (internal for tests).</summary>
    internal static AuditHash ComputeWithDotNet(in AuditHash prefix, ReadOnlySpan<byte> data)
    {
        var sha = _threadHash ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> result = stackalloc byte[Size];
        if (data.Length <= JoinLimit)
        {
            // A typical event (~0.5 KB): copying it behind the prefix costs less than a second call into OpenSSL.
            // A per-thread array rather than stackalloc, which would zero 2 KB on every call.
            var joined = (_threadJoin ??= new byte[Size + JoinLimit]).AsSpan();
            prefix.WriteTo(joined);
            data.CopyTo(joined[Size..]);
            sha.AppendData(joined[..(Size + data.Length)]);
        }
        else
        {
            prefix.WriteTo(result);
            sha.AppendData(result);
            sha.AppendData(data);
        }

        sha.GetHashAndReset(result);
        return new AuditHash(result);
    }

    private const int JoinLimit = 2048;

    /// <summary>Writes the 32 bytes into <paramref name="destination"/>.</summary>
    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _a);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _b);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], _c);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], _d);
    }

    /// <summary>Returns a new 32-byte array.</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[Size];
        WriteTo(bytes);
        return bytes;
    }

    /// <summary>Writes 64 lowercase hex digits as UTF-8 into <paramref name="destination"/>.</summary>
    public void WriteHexUtf8(Span<byte> destination)
    {
        Span<byte> bytes = stackalloc byte[Size];
        WriteTo(bytes);
        Convert.TryToHexStringLower(bytes, destination, out _);
    }

    /// <summary>Parses 64 hex digits (either case).</summary>
    public static AuditHash ParseHex(string hex)
    {
        ArgumentNullException.ThrowIfNull(hex);
        return TryParseHex(hex.AsSpan(), out var hash)
            ? hash
            : throw new FormatException("A hash is 64 hex digits.");
    }

    /// <summary>Parses 64 hex digits (either case) from UTF-16 text.</summary>
    public static bool TryParseHex(ReadOnlySpan<char> hex, out AuditHash hash)
    {
        Span<byte> bytes = stackalloc byte[Size];
        if (hex.Length != HexLength || Convert.FromHexString(hex, bytes, out _, out var written) != System.Buffers.OperationStatus.Done || written != Size)
        {
            hash = default;
            return false;
        }

        hash = new AuditHash(bytes);
        return true;
    }

    /// <summary>Parses 64 hex digits (either case) from UTF-8 text.</summary>
    public static bool TryParseHex(ReadOnlySpan<byte> hexUtf8, out AuditHash hash)
    {
        Span<byte> bytes = stackalloc byte[Size];
        if (hexUtf8.Length != HexLength || Convert.FromHexString(hexUtf8, bytes, out _, out var written) != System.Buffers.OperationStatus.Done || written != Size)
        {
            hash = default;
            return false;
        }

        hash = new AuditHash(bytes);
        return true;
    }

    /// <inheritdoc />
    public bool Equals(AuditHash other) => _a == other._a && _b == other._b && _c == other._c && _d == other._d;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is AuditHash other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_a, _b, _c, _d);

    /// <summary>64 lowercase hex digits.</summary>
    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Size];
        WriteTo(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>Equality.</summary>
    public static bool operator ==(AuditHash left, AuditHash right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(AuditHash left, AuditHash right) => !left.Equals(right);
}
