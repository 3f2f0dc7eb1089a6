using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Warden.Audit;
using Warden.Audit.Interop;

namespace Warden.Server.Audit;

/// <summary>
/// Sends each event as an RFC 5424 syslog message whose MSG is CEF (<see cref="SyslogCefFormatter"/>): over UDP one
/// message per datagram (RFC 5426); over TCP or TLS as octet-counted frames, <c>LEN SP MSG</c> (RFC 6587 / RFC 5425).
/// </summary>
/// <remarks>
/// Delivery is as good as the transport: a UDP send that succeeded may still be lost on the way, and TCP acceptance
/// means the peer's kernel took the bytes. A connection error drops the connection so the next attempt reconnects, and
/// the exporter re-sends the whole batch (at-least-once).
/// </remarks>
public sealed class SyslogSink(AuditExporterOptions options) : IAuditSink
{
    private readonly SyslogCefOptions _format = new() { HostName = Environment.MachineName };
    private readonly string _protocol = options.Protocol.ToLowerInvariant();
    private UdpClient? _udp;
    private TcpClient? _tcp;
    private Stream? _stream;

    /// <inheritdoc />
    public string Name => options.Name;

    /// <inheritdoc />
    public async Task SendAsync(IReadOnlyList<AuditEvent> events, CancellationToken cancellationToken)
    {
        try
        {
            if (_protocol == "udp")
            {
                _udp ??= await ConnectUdpAsync(cancellationToken).ConfigureAwait(false);
                foreach (var e in events)
                {
                    await _udp.SendAsync(Encoding.UTF8.GetBytes(SyslogCefFormatter.Format(e, _format)), cancellationToken).ConfigureAwait(false);
                }

                return;
            }

            var stream = _stream ??= await ConnectStreamAsync(cancellationToken).ConfigureAwait(false);
            using var frames = new MemoryStream();
            foreach (var e in events)
            {
                var message = Encoding.UTF8.GetBytes(SyslogCefFormatter.Format(e, _format));
                frames.Write(Encoding.ASCII.GetBytes(message.Length.ToString(CultureInfo.InvariantCulture) + " "));
                frames.Write(message);
            }

            await stream.WriteAsync(frames.GetBuffer().AsMemory(0, (int)frames.Length), cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await CloseAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => CloseAsync();

    private async Task<UdpClient> ConnectUdpAsync(CancellationToken cancellationToken)
    {
        var addresses = await System.Net.Dns.GetHostAddressesAsync(options.Host!, cancellationToken).ConfigureAwait(false);
        var address = addresses.FirstOrDefault() ?? throw new IOException($"Cannot resolve syslog host '{options.Host}'.");
        var udp = new UdpClient(address.AddressFamily);
        udp.Connect(address, options.Port);
        return udp;
    }

    private async Task<Stream> ConnectStreamAsync(CancellationToken cancellationToken)
    {
        var tcp = new TcpClient();
        try
        {
            await tcp.ConnectAsync(options.Host!, options.Port, cancellationToken).ConfigureAwait(false);
            Stream stream = tcp.GetStream();
            if (_protocol == "tls")
            {
                var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = options.Host }, cancellationToken).ConfigureAwait(false);
                stream = tls;
            }

            _tcp = tcp;
            return stream;
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    private async ValueTask CloseAsync()
    {
        if (_stream is { } stream)
        {
            _stream = null;
            await stream.DisposeAsync().ConfigureAwait(false);
        }

        _tcp?.Dispose();
        _tcp = null;
        _udp?.Dispose();
        _udp = null;
    }
}
