using System.Net;
using System.Net.Sockets;

namespace Warden.Sandbox.Egress;

/// <summary>
/// Addresses a sandbox may never reach through the proxy, whatever the gate decided about the name: a name the
/// policy allows may still resolve to the worker's own loopback services, a cloud metadata endpoint or an internal
/// network, and the proxy connects to the address it checked (no second lookup).
/// </summary>
internal static class AddressPolicy
{
    /// <summary>True when the proxy may connect to <paramref name="address"/>.</summary>
    public static bool IsPermitted(IPAddress address, EgressProxyOptions options)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return IsPermittedV4(address.GetAddressBytes(), options);
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }

        var b = address.GetAddressBytes();
        if (address.Equals(IPAddress.IPv6Loopback))
        {
            return options.AllowLoopbackTargets;
        }

        if (address.Equals(IPAddress.IPv6None) || address.IsIPv6LinkLocal || address.IsIPv6Multicast || address.IsIPv6SiteLocal && !options.AllowPrivateNetworkTargets)
        {
            return false;
        }

        // ::a.b.c.d (IPv4-compatible, deprecated) and 64:ff9b::a.b.c.d (NAT64) carry an IPv4 address: judge that one.
        var embedsV4 = b.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0
            || (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b.AsSpan(4, 8).IndexOfAnyExcept((byte)0) < 0);
        if (embedsV4)
        {
            return IsPermittedV4(b[12..], options);
        }

        // fc00::/7 unique local addresses.
        if ((b[0] & 0xfe) == 0xfc)
        {
            return options.AllowPrivateNetworkTargets;
        }

        return true;
    }

    private static bool IsPermittedV4(byte[] b, EgressProxyOptions options)
    {
        if (b[0] == 127)
        {
            return options.AllowLoopbackTargets;
        }

        // 0/8 unspecified, 169.254/16 link-local (metadata services), 224/4 multicast and 240/4 reserved (broadcast).
        if (b[0] == 0 || (b[0] == 169 && b[1] == 254) || b[0] >= 224)
        {
            return false;
        }

        var isPrivate = b[0] == 10
            || (b[0] == 172 && (b[1] & 0xf0) == 16)
            || (b[0] == 192 && b[1] == 168)
            || (b[0] == 100 && (b[1] & 0xc0) == 64);
        return !isPrivate || options.AllowPrivateNetworkTargets;
    }
}
