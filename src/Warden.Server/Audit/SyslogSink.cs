using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Warden.Audit;
using Warden.Audit.Interop;

namespace Warden.Server.Audit;

/// <summary>
/// Sends each event as an RFC 5424 syslog message whose MSG is CEF (<see cref="SyslogCefFormatter"/>): over UDP one
/// message per datagram (RFC 5426); over TCP or TLS as octet-counted frames, <c>LEN SP MSG</c> (RFC 6587 / RFC 5425).
/// </summary>
/// <remarks>
/// <para>Over TLS the collector's certificate must be valid for <see cref="AuditExporterOptions.Host"/> and chain to the
/// system's trust store, or, with <see cref="AuditExporterOptions.TlsCaFile"/>, to one of the CAs in that file only (the
/// system store is then not consulted). A client certificate is presented when one is configured. A handshake that fails
/// is an ordinary send failure: nothing is acknowledged and the exporter retries from its cursor.</para>
/// <para>Delivery is as good as the transport: a UDP send that succeeded may still be lost on the way, and TCP acceptance
/// means the peer's kernel took the bytes. A connection error drops the connection so the next attempt reconnects, and
/// the exporter re-sends the whole batch (at-least-once).</para>
/// </remarks>
public sealed class SyslogSink(AuditExporterOptions options) : IAuditSink
{
    private readonly SyslogCefOptions _format = new() { HostName = Environment.MachineName };
    private readonly string _protocol = options.Protocol.ToLowerInvariant();
    private UdpClient? _udp;
    private TcpClient? _tcp;
    private Stream? _stream;
    private Task? _peerClosed;

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

            if (_peerClosed is { IsCompleted: true })
            {
                // The collector closed the connection (or sent a TLS alert) since the last batch: bytes written now
                // would be accepted by the local kernel and lost, so connect again first.
                await CloseAsync().ConfigureAwait(false);
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
                try
                {
                    await tls.AuthenticateAsClientAsync(TlsOptions(), cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    await tls.DisposeAsync().ConfigureAwait(false);
                    throw;
                }

                stream = tls;
            }

            // Collectors never send anything, so a read that ends means the peer closed the connection or refused it.
            var peerClosed = WatchPeerAsync(stream);
            if (_protocol == "tls" && await Task.WhenAny(peerClosed, Task.Delay(AlertWindow, cancellationToken)).ConfigureAwait(false) == peerClosed)
            {
                // With TLS 1.3 the client finishes its handshake before the server has checked the client's
                // certificate; a refusal arrives as an alert right after, and would otherwise go unnoticed.
                await stream.DisposeAsync().ConfigureAwait(false);
                throw new IOException($"The collector of syslog sink '{options.Name}' closed the TLS connection right after the handshake (does it require a client certificate?).");
            }

            _tcp = tcp;
            _peerClosed = peerClosed;
            return stream;
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>How long a new TLS connection is watched for an alert before audit data is sent on it.</summary>
    private static readonly TimeSpan AlertWindow = TimeSpan.FromMilliseconds(250);

    private static async Task WatchPeerAsync(Stream stream)
    {
        var buffer = new byte[256];
        try
        {
            while (await stream.ReadAsync(buffer).ConfigureAwait(false) > 0)
            {
                // Anything a collector sends is ignored.
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or System.Security.Authentication.AuthenticationException or InvalidOperationException)
        {
            // Closed, reset or refused: the connection is no longer usable.
        }
    }

    /// <summary>The client side of the handshake: TLS 1.2 or later, the host name checked, the configured trust.</summary>
    private SslClientAuthenticationOptions TlsOptions()
    {
        var tls = new SslClientAuthenticationOptions
        {
            TargetHost = options.Host,
            EnabledSslProtocols = System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        };
        if (options.TlsCaFile is { } caFile)
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(caFile);
            if (roots.Count == 0)
            {
                throw new IOException($"The TLS CA file of syslog sink '{options.Name}' holds no certificate.");
            }

            var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            policy.CustomTrustStore.AddRange(roots);
            tls.CertificateChainPolicy = policy;
        }

        if (options.TlsClientCertificateFile is { } certificateFile)
        {
            var certificate = X509Certificate2.CreateFromPemFile(certificateFile, options.TlsClientKeyFile);
            tls.ClientCertificateContext = SslStreamCertificateContext.Create(certificate, null);
        }

        return tls;
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
        _peerClosed = null;
        _udp?.Dispose();
        _udp = null;
    }
}
