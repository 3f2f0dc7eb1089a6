using System.Net;
using System.Net.Sockets;
using System.Text;
using Warden.Sandbox.Egress;
using Warden.Sandbox.Tests.Support;

namespace Warden.Sandbox.Tests.Egress;

/// <summary>The proxy's protocol handling, spoken to directly on its Unix socket.</summary>
public sealed class EgressProxyTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("warden-egress-").FullName;

    private EgressProxy Start(RecordingGate gate, TimeSpan? idle = null, int maxHeaderBytes = 16 * 1024) =>
        EgressProxy.Start(Path.Combine(_folder, "egress.sock"), "proxy-test", new EgressProxyOptions
        {
            Gate = gate,
            AllowLoopbackTargets = true,
            IdleTimeout = idle ?? TimeSpan.FromMinutes(2),
            MaxHeaderBytes = maxHeaderBytes,
        });

    private static async Task<(Socket Socket, NetworkStream Stream)> ConnectAsync(EgressProxy proxy)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(proxy.SocketPath));
        return (socket, new NetworkStream(socket, ownsSocket: true));
    }

    private static async Task<string> ReadAllAsync(Stream stream)
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, cancel.Token);
        return Encoding.Latin1.GetString(buffer.ToArray());
    }

    private async Task<string> SendAsync(EgressProxy proxy, string request)
    {
        var (_, stream) = await ConnectAsync(proxy);
        await using (stream)
        {
            await stream.WriteAsync(Encoding.Latin1.GetBytes(request));
            return await ReadAllAsync(stream);
        }
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n")]
    [InlineData("GARBAGE\r\n\r\n")]
    [InlineData("CONNECT example.com HTTP/1.1\r\n\r\n")]
    [InlineData("CONNECT example.com:99999 HTTP/1.1\r\n\r\n")]
    [InlineData("GET http://user:pw@example.com/ HTTP/1.1\r\n\r\n")]
    [InlineData("GET ftp://example.com/ HTTP/1.1\r\n\r\n")]
    [InlineData("GET http://example.com/ HTTP/1.1\r\nBad Header\r\n\r\n")]
    [InlineData("GET http://exa mple.com/ HTTP/1.1\r\n\r\n")]
    public async Task MalformedRequests_Get400_AndAreAudited(string request)
    {
        var gate = new RecordingGate(_ => true);
        await using var proxy = Start(gate);
        var response = await SendAsync(proxy, request);
        response.ShouldStartWith("HTTP/1.1 400 Bad Request\r\n");
        gate.Requests.ShouldBeEmpty();
        var attempt = await gate.WaitForAttemptAsync(_ => true);
        attempt.Allowed.ShouldBeFalse();
        attempt.Reason.ShouldBe("malformed request");
        attempt.StatusCode.ShouldBe(400);
    }

    [Fact]
    public async Task OversizedHeaders_Get431()
    {
        var gate = new RecordingGate(_ => true);
        await using var proxy = Start(gate, maxHeaderBytes: 1024);
        var response = await SendAsync(proxy, "GET http://example.com/ HTTP/1.1\r\nX-Big: " + new string('a', 4000) + "\r\n\r\n");
        response.ShouldStartWith("HTTP/1.1 431 ");
        (await gate.WaitForAttemptAsync(_ => true)).Reason.ShouldBe("headers too large");
    }

    [Fact]
    public async Task IdleTunnels_AreClosed()
    {
        using var target = new TcpListener(IPAddress.Loopback, 0);
        target.Start();
        var port = ((IPEndPoint)target.LocalEndpoint).Port;
        var gate = new RecordingGate(_ => true);
        await using var proxy = Start(gate, idle: TimeSpan.FromMilliseconds(300));
        var (_, stream) = await ConnectAsync(proxy);
        await using (stream)
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"CONNECT 127.0.0.1:{port} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"));
            using var accepted = await target.AcceptTcpClientAsync();

            // Nothing is sent either way: the proxy must close the tunnel, which ends the read below.
            var response = await ReadAllAsync(stream);
            response.ShouldBe("HTTP/1.1 200 Connection Established\r\n\r\n");
        }

        var attempt = await gate.WaitForAttemptAsync(_ => true);
        attempt.Allowed.ShouldBeTrue();
        attempt.Reason.ShouldBe("allowed; closed after idle timeout");
    }

    [Fact]
    public async Task UnresolvableNames_Get502()
    {
        var gate = new RecordingGate(_ => true);
        await using var proxy = Start(gate);
        var response = await SendAsync(proxy, "CONNECT no-such-host.invalid:443 HTTP/1.1\r\n\r\n");
        response.ShouldStartWith("HTTP/1.1 502 ");
        (await gate.WaitForAttemptAsync(_ => true)).Reason.ShouldBe("dns failure");
    }

    [Theory]
    [InlineData("127.0.0.1", false, false, false)]
    [InlineData("127.0.0.1", true, false, true)]
    [InlineData("::1", false, false, false)]
    [InlineData("::ffff:127.0.0.1", false, false, false)]
    [InlineData("0.0.0.0", true, true, false)]
    [InlineData("169.254.169.254", true, true, false)]
    [InlineData("fe80::1", true, true, false)]
    [InlineData("10.1.2.3", false, false, false)]
    [InlineData("172.20.0.1", false, false, false)]
    [InlineData("192.168.1.1", false, false, false)]
    [InlineData("192.168.1.1", false, true, true)]
    [InlineData("100.64.0.1", false, false, false)]
    [InlineData("fd00::1", false, false, false)]
    [InlineData("64:ff9b::7f00:1", false, false, false)]
    [InlineData("224.0.0.1", true, true, false)]
    [InlineData("255.255.255.255", true, true, false)]
    [InlineData("93.184.216.34", false, false, true)]
    [InlineData("2606:2800:220:1:248:1893:25c8:1946", false, false, true)]
    public void AddressPolicy_RefusesLocalAndInternalAddresses(string address, bool loopback, bool privateNetworks, bool permitted)
    {
        var options = new EgressProxyOptions { Gate = new RecordingGate(_ => true), AllowLoopbackTargets = loopback, AllowPrivateNetworkTargets = privateNetworks };
        AddressPolicy.IsPermitted(IPAddress.Parse(address), options).ShouldBe(permitted);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
