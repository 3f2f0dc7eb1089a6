using System.Globalization;

namespace Warden.Policy.Values;

/// <summary>The Cedar <c>ipaddr</c> extension value: an IPv4 or IPv6 address with a CIDR prefix length.</summary>
public sealed class IpAddrValue : Value
{
    private static readonly IpAddrValue LoopbackV4 = new(false, (UInt128)0x7F000000u, 8);
    private static readonly IpAddrValue LoopbackV6 = new(true, 1, 128);
    private static readonly IpAddrValue MulticastV4 = new(false, (UInt128)0xE0000000u, 4);
    private static readonly IpAddrValue MulticastV6 = new(true, (UInt128)0xFF00 << 112, 8);

    private IpAddrValue(bool isV6, UInt128 address, int prefix)
    {
        IsV6 = isV6;
        Address = address;
        Prefix = prefix;
    }

    /// <summary>Whether this is an IPv6 address.</summary>
    public bool IsV6 { get; }

    /// <summary>The address bits (IPv4 in the low 32 bits).</summary>
    public UInt128 Address { get; }

    /// <summary>The prefix length (32 or 128 when none was written).</summary>
    public int Prefix { get; }

    /// <inheritdoc />
    public override ValueKind Kind => ValueKind.IpAddr;

    /// <summary>Whether the address is in the IPv4 loopback range or is the IPv6 loopback address.</summary>
    public bool IsLoopback => InRange(IsV6 ? LoopbackV6 : LoopbackV4);

    /// <summary>Whether the range is inside the multicast range.</summary>
    public bool IsMulticast => InRange(IsV6 ? MulticastV6 : MulticastV4);

    /// <summary>Whether this address range lies inside <paramref name="other"/>'s range.</summary>
    public bool InRange(IpAddrValue other)
    {
        if (IsV6 != other.IsV6)
        {
            return false;
        }

        var (lo1, hi1) = Range();
        var (lo2, hi2) = other.Range();
        return hi2 >= hi1 && lo1 >= lo2;
    }

    /// <summary>Parses an IPv4 or IPv6 address with an optional <c>/prefix</c>, as Cedar does.</summary>
    public static bool TryParse(string s, out IpAddrValue? value) =>
        TryParseV4(s, out value) || TryParseV6(s, out value);

    /// <inheritdoc />
    public override bool Equals(Value? other) =>
        other is IpAddrValue ip && ip.IsV6 == IsV6 && ip.Address == Address && ip.Prefix == Prefix;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(IsV6, Address, Prefix);

    /// <inheritdoc />
    public override string ToString()
    {
        string addr;
        if (!IsV6)
        {
            var a = (uint)Address;
            addr = string.Create(CultureInfo.InvariantCulture, $"{a >> 24}.{(a >> 16) & 0xFF}.{(a >> 8) & 0xFF}.{a & 0xFF}");
        }
        else
        {
            var parts = new string[8];
            for (var i = 0; i < 8; i++)
            {
                parts[i] = ((ushort)(Address >> (112 - (16 * i)))).ToString("x", CultureInfo.InvariantCulture);
            }

            addr = string.Join(':', parts);
        }

        return "ip(\"" + addr + "/" + Prefix.ToString(CultureInfo.InvariantCulture) + "\")";
    }

    private (UInt128 Lo, UInt128 Hi) Range()
    {
        var width = (IsV6 ? 128 : 32) - Prefix;
        var lo = width >= 128 ? UInt128.Zero : (Address >> width) << width;
        var hi = width >= 128 ? UInt128.MaxValue : lo + ((UInt128.One << width) - 1);
        return (lo, hi);
    }

    private static bool TryParsePrefix(string s, int maxDigits, int max, out int prefix)
    {
        prefix = 0;
        if (s.Length == 0 || s.Length > maxDigits || (s[0] == '0' && s.Length > 1))
        {
            return false;
        }

        foreach (var c in s)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }

            prefix = (prefix * 10) + (c - '0');
        }

        return prefix <= max;
    }

    private static bool TryParseV4(string s, out IpAddrValue? value)
    {
        value = null;
        var parts = s.Split('/');
        if (parts.Length > 2)
        {
            return false;
        }

        var prefix = 32;
        if (parts.Length == 2 && !TryParsePrefix(parts[1], 2, 32, out prefix))
        {
            return false;
        }

        var segs = parts[0].Split('.');
        if (segs.Length != 4)
        {
            return false;
        }

        uint addr = 0;
        foreach (var seg in segs)
        {
            if (seg.Length == 0 || seg.Length > 3 || (seg[0] == '0' && seg.Length > 1))
            {
                return false;
            }

            var n = 0;
            foreach (var c in seg)
            {
                if (!char.IsAsciiDigit(c))
                {
                    return false;
                }

                n = (n * 10) + (c - '0');
            }

            if (n > 255)
            {
                return false;
            }

            addr = (addr << 8) | (uint)n;
        }

        value = new IpAddrValue(false, addr, prefix);
        return true;
    }

    private static bool TryParseV6(string s, out IpAddrValue? value)
    {
        value = null;
        var parts = s.Split('/');
        if (parts.Length > 2)
        {
            return false;
        }

        var prefix = 128;
        if (parts.Length == 2 && !TryParsePrefix(parts[1], 3, 128, out prefix))
        {
            return false;
        }

        var halves = parts[0].Split("::");
        List<ushort>? segs;
        if (halves.Length == 1)
        {
            segs = ParseV6Segments(halves[0]);
        }
        else if (halves.Length == 2)
        {
            var left = ParseV6Segments(halves[0]);
            var right = ParseV6Segments(halves[1]);
            if (left is null || right is null || left.Count + right.Count >= 8)
            {
                return false;
            }

            segs = [.. left];
            while (segs.Count + right.Count < 8)
            {
                segs.Add(0);
            }

            segs.AddRange(right);
        }
        else
        {
            return false;
        }

        if (segs is null || segs.Count != 8)
        {
            return false;
        }

        UInt128 addr = 0;
        foreach (var seg in segs)
        {
            addr = (addr << 16) | seg;
        }

        value = new IpAddrValue(true, addr, prefix);
        return true;
    }

    private static List<ushort>? ParseV6Segments(string s)
    {
        var result = new List<ushort>();
        if (s.Length == 0)
        {
            return result;
        }

        foreach (var seg in s.Split(':'))
        {
            if (seg.Length == 0 || seg.Length > 4)
            {
                return null;
            }

            var n = 0;
            foreach (var c in seg)
            {
                if (!char.IsAsciiHexDigit(c))
                {
                    return null;
                }

                n = (n * 16) + Convert.ToInt32(c.ToString(), 16);
            }

            result.Add((ushort)n);
        }

        return result;
    }
}
