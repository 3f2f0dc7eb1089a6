using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Warden.Sandbox.Egress;

/// <summary>A parsed proxy request head.</summary>
internal sealed class ProxyRequestHead
{
    private static readonly string[] HopByHop = ["connection", "keep-alive", "te", "trailer", "upgrade", "host"];

    private ProxyRequestHead(string method, string host, int port, string authority, string path, string version, List<(string Name, string Value)> headers, byte[] extra)
    {
        Method = method;
        Host = host;
        Port = port;
        Authority = authority;
        Path = path;
        Version = version;
        Headers = headers;
        Extra = extra;
    }

    public string Method { get; }

    public string Host { get; }

    public int Port { get; }

    public string Authority { get; }

    public string Path { get; }

    public string Version { get; }

    public List<(string Name, string Value)> Headers { get; }

    public byte[] Extra { get; }

    public bool IsConnect => Method == "CONNECT";

    public static ProxyRequestHead? Parse(string text, byte[] extra)
    {
        var lines = text[..^4].Split("\r\n");
        var requestLine = lines[0].Split(' ');
        if (requestLine.Length != 3 || !IsToken(requestLine[0]) || requestLine[2] is not ("HTTP/1.1" or "HTTP/1.0"))
        {
            return null;
        }

        var headers = new List<(string, string)>();
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || !IsToken(line[..colon]) || line.Any(c => c < 0x20 && c != '\t') || line.Contains('\x7f', StringComparison.Ordinal))
            {
                return null;
            }

            headers.Add((line[..colon], line[(colon + 1)..].Trim(' ', '\t')));
        }

        var method = requestLine[0];
        var target = requestLine[1];
        string authority;
        string path;
        int defaultPort;
        if (method == "CONNECT")
        {
            authority = target;
            path = "";
            defaultPort = -1;
        }
        else if (target.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            var rest = target[7..];
            var end = rest.IndexOfAny(['/', '?', '#']);
            authority = end < 0 ? rest : rest[..end];
            path = end < 0 ? "/" : rest[end] == '/' ? rest[end..] : "/" + rest[end..];
            var fragment = path.IndexOf('#', StringComparison.Ordinal);
            if (fragment >= 0)
            {
                path = path[..fragment];
            }

            defaultPort = 80;
        }
        else
        {
            return null;
        }

        if (authority.Contains('@', StringComparison.Ordinal) || !TryParseAuthority(authority, defaultPort, out var host, out var port))
        {
            return null;
        }

        return new ProxyRequestHead(method, host, port, authority, path, requestLine[2], headers, extra);
    }

    public string ForwardedHead()
    {
        var builder = new StringBuilder();
        builder.Append(CultureInfo.InvariantCulture, $"{Method} {Path} {Version}\r\n");
        builder.Append(CultureInfo.InvariantCulture, $"Host: {Authority}\r\n");
        var named = Headers
            .Where(h => h.Name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
            .SelectMany(h => h.Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in Headers)
        {
            if (HopByHop.Contains(name.ToLowerInvariant()) || name.StartsWith("Proxy-", StringComparison.OrdinalIgnoreCase) || named.Contains(name))
            {
                continue;
            }

            builder.Append(CultureInfo.InvariantCulture, $"{name}: {value}\r\n");
        }

        builder.Append("Connection: close\r\n\r\n");
        return builder.ToString();
    }

    private static bool TryParseAuthority(string authority, int defaultPort, out string host, out int port)
    {
        host = "";
        port = defaultPort;
        string portText;
        if (authority.StartsWith('['))
        {
            var close = authority.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                return false;
            }

            host = authority[1..close];
            if (!IPAddress.TryParse(host, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                return false;
            }

            portText = authority[(close + 1)..];
            if (portText.Length > 0 && !portText.StartsWith(':'))
            {
                return false;
            }

            portText = portText.TrimStart(':');
        }
        else
        {
            var colon = authority.LastIndexOf(':');
            host = colon < 0 ? authority : authority[..colon];
            portText = colon < 0 ? "" : authority[(colon + 1)..];
            host = host.TrimEnd('.').ToLowerInvariant();
            if (host.Length is 0 or > 253 || !host.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_'))
            {
                return false;
            }
        }

        if (portText.Length > 0)
        {
            if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port))
            {
                return false;
            }
        }

        return port is > 0 and <= 65535;
    }

    private static bool IsToken(string value) =>
        value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c, StringComparison.Ordinal));
}
