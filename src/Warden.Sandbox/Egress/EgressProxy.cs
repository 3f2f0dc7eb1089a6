using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Warden.Sandbox.Internal;

namespace Warden.Sandbox.Egress;

/// <summary>
/// A session's HTTP egress proxy. It runs in the worker, outside the sandbox, and listens on a Unix socket that is
/// bound into the sandbox (where socat forwards 127.0.0.1:3128 to it). It serves <c>CONNECT host:port</c> tunnels and
/// plain-HTTP requests in absolute form (one request per connection). Every attempt is decided by
/// <see cref="IEgressGate.DecideAsync"/>, then checked against the addresses a sandbox may never reach, and recorded
/// with <see cref="IEgressGate.OnAttempt"/>.
/// </summary>
public sealed class EgressProxy : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly string _sessionId;
    private readonly EgressProxyOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<int, Task> _connections = new();
    private readonly Task _acceptLoop;
    private int _connectionIds;
    private int _open;
    private int _disposed;

    private EgressProxy(Socket listener, string socketPath, string sessionId, EgressProxyOptions options, ILogger logger)
    {
        _listener = listener;
        SocketPath = socketPath;
        _sessionId = sessionId;
        _options = options;
        _logger = logger;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The Unix socket the proxy listens on.</summary>
    public string SocketPath { get; }

    /// <summary>Starts a proxy for one session on a new Unix socket at <paramref name="socketPath"/>.</summary>
    public static EgressProxy Start(string socketPath, string sessionId, EgressProxyOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Gate);
        if (File.Exists(socketPath))
        {
            File.Delete(socketPath);
        }

        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(socketPath));
            listener.Listen(64);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        return new EgressProxy(listener, socketPath, sessionId, options, logger ?? NullLogger.Instance);
    }

    /// <summary>Stops listening, closes every open tunnel (recording it) and deletes the socket.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        try
        {
            await _acceptLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Expected.
        }

        await Task.WhenAll(_connections.Values).ConfigureAwait(false);
        try
        {
            File.Delete(SocketPath);
        }
        catch (IOException)
        {
            // Deleted with the session folder.
        }

        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            var id = Interlocked.Increment(ref _connectionIds);
            var task = Task.Run(() => HandleAsync(client));
            _connections[id] = task;
            _ = task.ContinueWith(_ => _connections.TryRemove(id, out var _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private async Task HandleAsync(Socket client)
    {
        var startedAt = _options.TimeProvider.GetUtcNow();
        var clock = Stopwatch.StartNew();
        var record = new ProxyAttemptState();
        var open = Interlocked.Increment(ref _open);
        using var stream = new NetworkStream(client, ownsSocket: true);
        try
        {
            if (open > _options.MaxConnections)
            {
                await RespondAsync(stream, record, 503, "Service Unavailable", "too many connections", "warden egress: too many connections from this sandbox").ConfigureAwait(false);
                return;
            }

            await ServeAsync(client, stream, record).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            record.Reason ??= record.Allowed ? "allowed" : "connection closed";
            Log.EgressConnectionFailed(_logger, e, _sessionId);
        }
        finally
        {
            Interlocked.Decrement(ref _open);
            var attempt = new EgressAttempt
            {
                SessionId = _sessionId,
                Request = record.Request,
                Allowed = record.Allowed,
                Reason = record.Reason ?? "connection closed",
                StatusCode = record.Status,
                ResolvedAddress = record.Address,
                BytesUp = record.BytesUp,
                BytesDown = record.BytesDown,
                StartedAt = startedAt,
                Duration = clock.Elapsed,
            };
            Log.EgressAttempt(_logger, _sessionId, record.Request?.Method ?? "?", record.Request?.Host ?? "?", record.Request?.Port ?? 0, attempt.Allowed, attempt.Reason, attempt.BytesUp, attempt.BytesDown);
            try
            {
                _options.Gate.OnAttempt(attempt);
            }
            catch (Exception e)
            {
                Log.EgressAuditFailed(_logger, e, _sessionId);
            }
        }
    }

    private async Task ServeAsync(Socket client, NetworkStream stream, ProxyAttemptState record)
    {
        var stop = _stopping.Token;
        ProxyRequestHead head;
        using (var headTimeout = CancellationTokenSource.CreateLinkedTokenSource(stop))
        {
            headTimeout.CancelAfter(_options.HeaderTimeout);
            var (outcome, bytes, length, extra) = await ReadHeadAsync(stream, _options.MaxHeaderBytes, headTimeout.Token).ConfigureAwait(false);
            if (outcome == ProxyHeadOutcome.TooLarge)
            {
                await RespondAsync(stream, record, 431, "Request Header Fields Too Large", "headers too large", "warden egress: request headers are too large").ConfigureAwait(false);
                return;
            }

            if (outcome != ProxyHeadOutcome.Complete)
            {
                record.Reason = "incomplete request";
                return;
            }

            var parsed = ProxyRequestHead.Parse(Encoding.Latin1.GetString(bytes, 0, length), extra);
            if (parsed is null)
            {
                await RespondAsync(stream, record, 400, "Bad Request", "malformed request", "warden egress: malformed proxy request (use CONNECT host:port or an absolute http:// URL)").ConfigureAwait(false);
                return;
            }

            head = parsed;
        }

        record.Request = new EgressRequest
        {
            SessionId = _sessionId,
            Host = head.Host,
            Port = head.Port,
            Method = head.Method,
            Scheme = head.IsConnect ? "tunnel" : "http",
        };

        if (!await _options.Gate.DecideAsync(record.Request, stop).ConfigureAwait(false))
        {
            await RespondAsync(stream, record, 403, "Forbidden", "denied by policy", $"warden egress: {head.Host}:{head.Port} is not allowed by policy").ConfigureAwait(false);
            return;
        }

        IPAddress[] addresses;
        using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(stop))
        {
            connectTimeout.CancelAfter(_options.ConnectTimeout);
            try
            {
                addresses = IPAddress.TryParse(head.Host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(head.Host, connectTimeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException && !stop.IsCancellationRequested)
            {
                await RespondAsync(stream, record, 502, "Bad Gateway", "dns failure", $"warden egress: cannot resolve {head.Host}").ConfigureAwait(false);
                return;
            }

            var permitted = addresses.Where(a => AddressPolicy.IsPermitted(a, _options)).ToList();
            if (permitted.Count == 0)
            {
                record.Address = addresses.FirstOrDefault()?.ToString();
                await RespondAsync(stream, record, 403, "Forbidden", "blocked address", $"warden egress: {head.Host} resolves only to addresses a sandbox may not reach").ConfigureAwait(false);
                return;
            }

            Socket? upstream = null;
            foreach (var address in permitted)
            {
                var candidate = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await candidate.ConnectAsync(new IPEndPoint(address, head.Port), connectTimeout.Token).ConfigureAwait(false);
                    upstream = candidate;
                    record.Address = address.ToString();
                    break;
                }
                catch (Exception e) when (e is SocketException or OperationCanceledException && !stop.IsCancellationRequested)
                {
                    candidate.Dispose();
                    record.Address = address.ToString();
                }
            }

            if (upstream is null)
            {
                await RespondAsync(stream, record, 502, "Bad Gateway", "connect failed", $"warden egress: cannot connect to {head.Host}:{head.Port}").ConfigureAwait(false);
                return;
            }

            await TunnelAsync(client, stream, upstream, head, record).ConfigureAwait(false);
        }
    }

    private async Task TunnelAsync(Socket client, NetworkStream stream, Socket upstreamSocket, ProxyRequestHead head, ProxyAttemptState record)
    {
        using var upstream = new NetworkStream(upstreamSocket, ownsSocket: true);
        record.Allowed = true;
        record.Reason = "allowed";
        var stop = _stopping.Token;
        if (head.IsConnect)
        {
            record.Status = 200;
            await stream.WriteAsync("HTTP/1.1 200 Connection Established\r\n\r\n"u8.ToArray(), stop).ConfigureAwait(false);
        }
        else
        {
            record.Status = 200;
            var forwarded = Encoding.Latin1.GetBytes(head.ForwardedHead());
            await upstream.WriteAsync(forwarded, stop).ConfigureAwait(false);
            Interlocked.Add(ref record.BytesUp, forwarded.Length);
        }

        if (head.Extra.Length > 0)
        {
            await upstream.WriteAsync(head.Extra, stop).ConfigureAwait(false);
            Interlocked.Add(ref record.BytesUp, head.Extra.Length);
        }

        using var pump = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var lastActivity = _options.TimeProvider.GetTimestamp();
        void Touch() => Interlocked.Exchange(ref lastActivity, _options.TimeProvider.GetTimestamp());

        var up = CopyAsync(stream, upstream, n => { Interlocked.Add(ref record.BytesUp, n); Touch(); }, pump.Token)
            .ContinueWith(_ => TryShutdown(upstreamSocket), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        var down = CopyAsync(upstream, stream, n => { Interlocked.Add(ref record.BytesDown, n); Touch(); }, pump.Token);
        var idle = WatchIdleAsync(() => Interlocked.Read(ref lastActivity), pump);
        try
        {
            await down.ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
        {
            // The tunnel ends when either side fails or it goes idle.
        }
        finally
        {
            if (idle.IsCompletedSuccessfully && idle.Result)
            {
                record.Reason = "allowed; closed after idle timeout";
            }

            await pump.CancelAsync().ConfigureAwait(false);
            await up.ConfigureAwait(false);
            await idle.ConfigureAwait(false);
            TryShutdown(client);
        }
    }

    private async Task<bool> WatchIdleAsync(Func<long> lastActivity, CancellationTokenSource pump)
    {
        var interval = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond * 10, Math.Min(_options.IdleTimeout.Ticks / 4, TimeSpan.TicksPerSecond)));
        try
        {
            while (!pump.IsCancellationRequested)
            {
                await Task.Delay(interval, _options.TimeProvider, pump.Token).ConfigureAwait(false);
                if (_options.TimeProvider.GetElapsedTime(lastActivity()) >= _options.IdleTimeout)
                {
                    await pump.CancelAsync().ConfigureAwait(false);
                    return true;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The tunnel ended.
        }

        return false;
    }

    private static async Task CopyAsync(Stream from, Stream to, Action<int> onBytes, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var read = await from.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return;
            }

            await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            onBytes(read);
        }
    }

    private static void TryShutdown(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed.
        }
    }

    private async Task RespondAsync(NetworkStream stream, ProxyAttemptState record, int status, string statusText, string reason, string body)
    {
        record.Status = status;
        record.Reason = reason;
        var text = body + "\n";
        var response = string.Create(
            CultureInfo.InvariantCulture,
            $"HTTP/1.1 {status} {statusText}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {Encoding.UTF8.GetByteCount(text)}\r\nConnection: close\r\n\r\n{text}");
        await stream.WriteAsync(Encoding.UTF8.GetBytes(response), _stopping.Token).ConfigureAwait(false);

        // Closing with unread request bytes would reset the connection and the client might never see the answer:
        // end our side, then read and drop what is left for a moment.
        TryShutdown(stream.Socket);
        using var drain = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        drain.CancelAfter(TimeSpan.FromSeconds(1));
        var buffer = new byte[4096];
        try
        {
            for (var total = 0; total < 64 * 1024;)
            {
                var read = await stream.ReadAsync(buffer, drain.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                total += read;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The client kept sending or went away; either way we are done.
        }
    }

    private static async Task<(ProxyHeadOutcome Outcome, byte[] Buffer, int HeadLength, byte[] Extra)> ReadHeadAsync(Stream stream, int maxBytes, CancellationToken cancellationToken)
    {
        var buffer = new byte[maxBytes + 4];
        var filled = 0;
        try
        {
            while (filled < buffer.Length)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return (ProxyHeadOutcome.Incomplete, buffer, 0, []);
                }

                var searchFrom = Math.Max(0, filled - 3);
                filled += read;
                var end = buffer.AsSpan(searchFrom, filled - searchFrom).IndexOf("\r\n\r\n"u8);
                if (end >= 0)
                {
                    var headLength = searchFrom + end + 4;
                    if (headLength > maxBytes)
                    {
                        return (ProxyHeadOutcome.TooLarge, buffer, 0, []);
                    }

                    return (ProxyHeadOutcome.Complete, buffer, headLength, buffer.AsSpan(headLength, filled - headLength).ToArray());
                }
            }
        }
        catch (OperationCanceledException)
        {
            return (ProxyHeadOutcome.Incomplete, buffer, 0, []);
        }

        return (ProxyHeadOutcome.TooLarge, buffer, 0, []);
    }
}
