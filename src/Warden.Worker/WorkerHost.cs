using System.Collections.Concurrent;
using System.Globalization;
using System.Net.WebSockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Warden.Protocol;
using Warden.Worker.Runtime;
using Warden.Worker.Sessions;
using Warden.Worker.Workspaces;

namespace Warden.Worker;

/// <summary>
/// A worker: dials the server (outbound only), registers with a pool join token, heartbeats, prepares workspaces and
/// runs sessions' tool calls in their runtimes, each call id at most once. When the connection drops it reconnects with
/// exponential back-off and jitter and re-announces the sessions it still holds, which the server re-binds. A drain
/// (from the server or <see cref="Drain"/>) lets running sessions finish, accepts no new ones, then stops.
/// </summary>
public sealed partial class WorkerHost : IAsyncDisposable, Runtime.IEgressChannel
{
    private readonly WorkerOptions _options;
    private readonly ISessionRuntimeFactory _runtimes;
    private readonly WorkerOperationRunner _operations;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ReconnectBackoff _backoff;
    private readonly ConcurrentDictionary<string, WorkerSession> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Task, byte> _background = new();
    private readonly Lock _admission = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _idFile;
    private readonly string _secretFile;
    private string? _secret;
    private volatile ProtocolSocket? _connection;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<EgressDecisionMessage>> _egressChecks = new(StringComparer.Ordinal);

    /// <summary>How long an egress check waits for the server before the connection is refused.</summary>
    public static readonly TimeSpan EgressCheckTimeout = TimeSpan.FromSeconds(10);
    private volatile bool _draining;
    private int _registrations;

    /// <summary>Creates a worker; call <see cref="RunAsync"/> to connect.</summary>
    /// <exception cref="ArgumentException">The options are not valid (the message lists every problem).</exception>
    public WorkerHost(WorkerOptions options, ISessionRuntimeFactory runtimes, ILogger<WorkerHost>? logger = null, TimeProvider? time = null)
    {
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors), nameof(options));
        }

        _options = options;
        _runtimes = runtimes;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        _backoff = new ReconnectBackoff(options.ReconnectMinDelay, options.ReconnectMaxDelay);
        Directory.CreateDirectory(options.DataDirectory);
        Workspaces = new WorkspacePreparer(options.DataDirectory, options.GitExecutable, options.SpareWorkspaces, _logger);
        _operations = new WorkerOperationRunner(
            new WorkspacePublisher(Workspaces.Git, Path.Combine(options.DataDirectory, "scratch"), options.CommitterName, options.CommitterEmail, _logger),
            _logger);
        _idFile = Path.Combine(options.DataDirectory, "worker-id");
        _secretFile = Path.Combine(options.DataDirectory, "worker-secret");
        WorkerId = File.Exists(_idFile) ? File.ReadAllText(_idFile).Trim() : null;
        _secret = File.Exists(_secretFile) ? File.ReadAllText(_secretFile).Trim() : null;
    }

    /// <summary>The id the server gave this worker (kept in the data folder), or null before the first registration.</summary>
    public string? WorkerId { get; private set; }

    /// <summary>True while connected and registered.</summary>
    public bool IsConnected => _connection is { IsOpen: true };

    /// <summary>True once a drain was requested.</summary>
    public bool IsDraining => _draining;

    /// <summary>How many times the worker has registered (1 after the first connection, +1 per reconnection).</summary>
    public int Registrations => Volatile.Read(ref _registrations);

    /// <summary>The sessions held now.</summary>
    public IReadOnlyCollection<string> Sessions => _sessions.Keys.ToList();

    /// <summary>The workspace preparer (mirror cache and workspaces under the data folder).</summary>
    public WorkspacePreparer Workspaces { get; }

    /// <summary>
    /// Connects and serves until <paramref name="cancellationToken"/> is cancelled or the worker has drained (with
    /// <see cref="WorkerOptions.ExitWhenDrained"/>). Throws <see cref="WorkerRejectedException"/> when the server refuses
    /// the worker for a reason retrying cannot fix; every other failure is retried with back-off.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var attempt = 0;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                bool registered;
                try
                {
                    registered = await RunConnectionAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is WebSocketException or HttpRequestException or IOException or ProtocolException ||
                                          (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
                {
                    LogConnectFailed(_logger, e.Message);
                    registered = false;
                }

                if (_drained.Task.IsCompleted && _options.ExitWhenDrained)
                {
                    LogDrained(_logger);
                    return;
                }

                attempt = registered ? 0 : attempt + 1;
                var delay = _backoff.Next(attempt);
                LogReconnecting(_logger, delay.TotalMilliseconds);
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down.
        }
        finally
        {
            await ShutdownSessionsAsync().ConfigureAwait(false);
            await Workspaces.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Starts draining: running sessions finish, new ones are refused, then the worker disconnects.</summary>
    public void Drain()
    {
        _draining = true;
        Track(SendHeartbeatAsync());
        CheckDrained();
    }

    /// <summary>Drops the current connection as a network failure would; the worker reconnects. For fault drills and tests.</summary>
    public void AbortConnection() => _connection?.Abort();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        AbortConnection();
        await ShutdownSessionsAsync().ConfigureAwait(false);
        await Workspaces.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>One connection's life. Returns true if it got as far as registering.</summary>
    private async Task<bool> RunConnectionAsync(CancellationToken cancellationToken)
    {
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + _options.JoinToken);
        socket.Options.AddSubProtocol(ProtocolVersions.SubProtocol);
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(20);
        using var connect = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        connect.CancelAfter(_options.ConnectTimeout);
        try
        {
            await socket.ConnectAsync(WorkerOptions.ConnectUri(_options.Server), connect.Token).ConfigureAwait(false);
        }
        catch (WebSocketException e) when (socket.HttpStatusCode is System.Net.HttpStatusCode.Unauthorized or System.Net.HttpStatusCode.Forbidden)
        {
            throw new WorkerRejectedException($"The server refused the join token ({(int)socket.HttpStatusCode}): it is unknown, revoked or expired.", e);
        }

        using var connection = new ProtocolSocket(socket);
        await connection.SendAsync(new HelloMessage
        {
            WorkerId = WorkerId,
            WorkerSecret = WorkerId is null ? null : _secret,
            Name = _options.Name,
            SoftwareVersion = _options.SoftwareVersion,
            Pool = _options.Pool,
            Labels = _options.Labels,
            Capacity = _options.Capacity,
            Draining = _draining,
            Sessions = _sessions.Keys.ToList(),
            Sandboxed = _runtimes.IsSandboxed,
        }, connect.Token).ConfigureAwait(false);
        var first = await connection.ReceiveAsync(connect.Token).ConfigureAwait(false);
        if (first is ErrorMessage error)
        {
            if (error.Code is ErrorCodes.WrongPool or ErrorCodes.UnsupportedVersion or ErrorCodes.WorkerSecretRequired)
            {
                throw new WorkerRejectedException(error.Message);
            }

            LogServerError(_logger, error.Code, error.Message);
            return false;
        }

        if (first is not RegisteredMessage registered)
        {
            return false;
        }

        if (registered.WorkerSecret is { } issued)
        {
            // Kept before the id: an id on disk without its secret could never reconnect.
            await WritePrivateAsync(_secretFile, issued).ConfigureAwait(false);
            _secret = issued;
        }

        if (WorkerId != registered.WorkerId)
        {
            WorkerId = registered.WorkerId;
            await File.WriteAllTextAsync(_idFile, registered.WorkerId, CancellationToken.None).ConfigureAwait(false);
        }

        foreach (var abandoned in registered.Abandoned)
        {
            Track(EndSessionAsync(abandoned));
        }

        _connection = connection;
        Interlocked.Increment(ref _registrations);
        LogRegistered(_logger, registered.WorkerId, registered.Pool, registered.Resumed.Count);
        // The loops are not cancelled by shutdown directly: cancelling a pending receive aborts the WebSocket, and a
        // stopping worker should say goodbye so the server fails its sessions at once instead of after the grace period.
        using var loop = new CancellationTokenSource();
        var heartbeat = HeartbeatLoopAsync(TimeSpan.FromMilliseconds(Math.Max(100, registered.HeartbeatIntervalMs)), loop.Token);
        var receive = ReceiveLoopAsync(connection, loop.Token);
        using var shutdownWait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var shutdown = Task.Delay(Timeout.Infinite, shutdownWait.Token);
        var drained = _options.ExitWhenDrained ? _drained.Task : new TaskCompletionSource().Task;
        var finished = await Task.WhenAny(receive, drained, shutdown).ConfigureAwait(false);
        if (finished != receive)
        {
            await connection.CloseAsync(WebSocketCloseStatus.NormalClosure, finished == drained ? "drained" : "worker stopping", TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            // Give the server's closing handshake a moment to arrive.
            await Task.WhenAny(receive, Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None)).ConfigureAwait(false);
        }

        _connection = null;
        await loop.CancelAsync().ConfigureAwait(false);
        await IgnoreCancellationAsync(heartbeat).ConfigureAwait(false);
        await IgnoreCancellationAsync(receive).ConfigureAwait(false);
        await shutdownWait.CancelAsync().ConfigureAwait(false);
        await IgnoreCancellationAsync(shutdown).ConfigureAwait(false);
        LogDisconnected(_logger);
        return true;
    }

    private async Task ReceiveLoopAsync(ProtocolSocket connection, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            ProtocolMessage? message;
            try
            {
                message = await connection.ReceiveAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ProtocolException e)
            {
                LogBadMessage(_logger, e.Message);
                await connection.SendAsync(new ErrorMessage { Code = ErrorCodes.BadMessage, Message = e.Message }, cancellationToken).ConfigureAwait(false);
                continue;
            }
            catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException)
            {
                return;
            }

            if (message is null)
            {
                await connection.CloseAsync(WebSocketCloseStatus.NormalClosure, "closing", TimeSpan.FromSeconds(2)).ConfigureAwait(false);
                return;
            }

            switch (message)
            {
                case DrainMessage drain:
                    LogDrainRequested(_logger, drain.Reason ?? "no reason given");
                    Drain();
                    break;
                case SessionAssignMessage assign:
                    Track(PrepareSessionAsync(assign));
                    break;
                case ToolCallMessage call:
                    Track(RunToolCallAsync(call));
                    break;
                case SessionEndMessage end:
                    Track(EndSessionAsync(end.SessionId));
                    break;
                case EgressDecisionMessage decision:
                    if (_egressChecks.TryRemove(decision.InReplyTo, out var waiting))
                    {
                        waiting.TrySetResult(decision);
                    }

                    break;
                case ErrorMessage error:
                    LogServerError(_logger, error.Code, error.Message);
                    break;
                default:
                    break;
            }
        }
    }

    private async Task HeartbeatLoopAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval, _time);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            await SendHeartbeatAsync().ConfigureAwait(false);
        }
    }

    private Task<bool> SendHeartbeatAsync() =>
        SendAsync(new HeartbeatMessage { Running = _sessions.Count, Load = ReadLoad(), Draining = _draining });

    private async Task PrepareSessionAsync(SessionAssignMessage assign)
    {
        WorkerSession session;
        lock (_admission)
        {
            if (_sessions.TryGetValue(assign.SessionId, out var existing))
            {
                // A repeated assignment after a reconnect: answer again once ready; a preparation still running answers itself.
                if (existing.Ready is { } ready)
                {
                    Track(SendAsync(ready));
                }

                return;
            }

            var refusal = _draining ? "The worker is draining and accepts no new sessions."
                : _sessions.Count >= _options.Capacity ? $"The worker is at capacity ({_options.Capacity} sessions)."
                : null;
            if (refusal is not null)
            {
                Track(SendAsync(new SessionFailedMessage { SessionId = assign.SessionId, Reason = refusal }));
                return;
            }

            session = new WorkerSession(assign.SessionId);
            _sessions[assign.SessionId] = session;
        }

        try
        {
            var workspace = await Workspaces.PrepareAsync(assign.SessionId, assign.Repository, assign.BaseRef, assign.Credential, session.Ended.Token).ConfigureAwait(false);
            var runtime = await _runtimes.CreateAsync(new SessionRuntimeContext(assign.SessionId, workspace.Path, assign.Limits, this), session.Ended.Token).ConfigureAwait(false);
            session.Target = new PublishTarget(assign.SessionId, workspace.Path, workspace.Commit, assign.Repository, assign.Credential);
            session.SetRuntime(runtime);
            session.Ready = new SessionReadyMessage
            {
                SessionId = assign.SessionId,
                Commit = workspace.Commit,
                PrepareMs = (long)workspace.Elapsed.TotalMilliseconds,
                FromMirror = workspace.FromMirror,
            };
            LogSessionReady(_logger, assign.SessionId, session.Ready.PrepareMs, workspace.FromMirror, workspace.FromSpare);
            await SendAsync(session.Ready).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Whatever went wrong (git, the file system, the runtime factory), the server must hear of it rather than wait.
            var reason = e is WorkspaceException ? e.Message : $"The session could not be prepared ({e.GetType().Name}): {e.Message}";
            LogSessionFailed(_logger, assign.SessionId, reason);
            session.Fail(e);
            _sessions.TryRemove(assign.SessionId, out _);
            Workspaces.Release(assign.SessionId);
            await SendAsync(new SessionFailedMessage { SessionId = assign.SessionId, Reason = reason }).ConfigureAwait(false);
            CheckDrained();
        }
    }

    private async Task RunToolCallAsync(ToolCallMessage message)
    {
        if (!_sessions.TryGetValue(message.SessionId, out var session))
        {
            await SendAsync(new ErrorMessage
            {
                Code = ErrorCodes.UnknownSession,
                Message = $"Session '{message.SessionId}' is not on this worker.",
                InReplyTo = message.Id,
                SessionId = message.SessionId,
                CallId = message.Call.CallId,
            }).ConfigureAwait(false);
            return;
        }

        var (result, replayed) = await session.Ledger.RunOnceAsync(message.Call.CallId, () => ExecuteAsync(session, message)).ConfigureAwait(false);
        if (replayed)
        {
            LogReplayed(_logger, message.SessionId, message.Call.CallId);
        }

        await SendAsync(new ToolResultMessage { SessionId = message.SessionId, CallId = message.Call.CallId, Result = result, Replayed = replayed }).ConfigureAwait(false);
    }

    private async Task<ToolResult> ExecuteAsync(WorkerSession session, ToolCallMessage message)
    {
        try
        {
            var runtime = await session.Runtime.WaitAsync(session.Ended.Token).ConfigureAwait(false);
            if (WorkerOperations.IsReserved(message.Call.Tool))
            {
                // Publish and diff run here, outside the sandbox, with the session's credential; reserved names never reach the runtime.
                return await _operations.ExecuteAsync(session, message.Call, session.Ended.Token).ConfigureAwait(false);
            }

            return await runtime.ExecuteAsync(message.Call, chunk => SendOutputAsync(message, chunk), session.Ended.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return ToolResult.Failure("The session ended.", ToolStatus.Cancelled);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A runtime bug must not take the worker down; the agent sees a failed call.
            LogRuntimeError(_logger, e, message.SessionId, message.Call.CallId);
            return ToolResult.Failure($"The tool failed inside the worker ({e.GetType().Name}).");
        }
    }

    private async ValueTask SendOutputAsync(ToolCallMessage message, ToolOutputChunk chunk) =>
        await SendAsync(new ToolOutputMessage { SessionId = message.SessionId, CallId = message.Call.CallId, Chunk = chunk }).ConfigureAwait(false);

    private async Task EndSessionAsync(string sessionId)
    {
        if (!_sessions.TryRemove(sessionId, out var session))
        {
            return;
        }

        await session.Ended.CancelAsync().ConfigureAwait(false);
        if (session.Runtime.IsCompletedSuccessfully)
        {
            await session.Runtime.Result.DisposeAsync().ConfigureAwait(false);
        }

        Workspaces.Release(sessionId);
        LogSessionEnded(_logger, sessionId);
        CheckDrained();
    }

    private async Task ShutdownSessionsAsync()
    {
        foreach (var id in _sessions.Keys.ToList())
        {
            await EndSessionAsync(id).ConfigureAwait(false);
        }

        foreach (var task in _background.Keys.ToList())
        {
            await IgnoreCancellationAsync(task).ConfigureAwait(false);
        }
    }

    private void CheckDrained()
    {
        if (_draining && _sessions.IsEmpty)
        {
            _drained.TrySetResult();
        }
    }

    /// <inheritdoc />
    public async Task<(bool Allowed, string? Reason)> CheckAsync(string sessionId, string host, int port, string scheme, CancellationToken cancellationToken)
    {
        var check = new EgressCheckMessage { SessionId = sessionId, Host = host, Port = port, Scheme = scheme };
        var answer = new TaskCompletionSource<EgressDecisionMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        _egressChecks[check.Id] = answer;
        try
        {
            if (!await SendAsync(check).ConfigureAwait(false))
            {
                return (false, "the worker is not connected to the server, so no egress decision could be made");
            }

            var decision = await answer.Task.WaitAsync(EgressCheckTimeout, _time, cancellationToken).ConfigureAwait(false);
            return (decision.Allowed, decision.Reason);
        }
        catch (TimeoutException)
        {
            return (false, "the server did not answer the egress check in time");
        }
        finally
        {
            _egressChecks.TryRemove(check.Id, out _);
        }
    }

    /// <inheritdoc />
    public void Report(EgressAttemptMessage attempt) => Track(SendAsync(attempt));

    private async Task<bool> SendAsync(ProtocolMessage message) =>
        _connection is { } connection && await connection.SendAsync(message).ConfigureAwait(false);

    private void Track(Task task)
    {
        if (task.IsCompleted)
        {
            return;
        }

        _background[task] = 0;
        _ = task.ContinueWith(t => _background.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private static async Task IgnoreCancellationAsync(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Expected when a loop is stopped.
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException)
        {
            // The connection is gone; nothing to report.
        }
    }

    private static double ReadLoad()
    {
        try
        {
            var text = File.ReadAllText("/proc/loadavg");
            var first = text.Split(' ', 2)[0];
            return double.TryParse(first, NumberStyles.Float, CultureInfo.InvariantCulture, out var load) ? Math.Round(load / Environment.ProcessorCount, 3) : 0;
        }
        catch (IOException)
        {
            return 0;
        }
        catch (UnauthorizedAccessException)
        {
            return 0;
        }
    }

    /// <summary>Writes a secret readable by this user only, replacing the file in one rename so a crash leaves the old one or the new one.</summary>
    private static async Task WritePrivateAsync(string path, string secret)
    {
        var partial = path + ".partial";
        File.Delete(partial);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.WriteThrough };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using (var stream = new FileStream(partial, options))
        {
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(secret), CancellationToken.None).ConfigureAwait(false);
        }

        File.Move(partial, path, overwrite: true);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Registered as worker {WorkerId} in pool {Pool}; {Resumed} session(s) resumed")]
    private static partial void LogRegistered(ILogger logger, string workerId, string pool, int resumed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot reach the server: {Reason}")]
    private static partial void LogConnectFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reconnecting in {DelayMs:0} ms")]
    private static partial void LogReconnecting(ILogger logger, double delayMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Disconnected from the server")]
    private static partial void LogDisconnected(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Drain requested ({Reason}): finishing running sessions, accepting no new ones")]
    private static partial void LogDrainRequested(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Drained: no sessions left, stopping")]
    private static partial void LogDrained(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The server reported {Code}: {Message}")]
    private static partial void LogServerError(ILogger logger, string code, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignored a malformed message: {Reason}")]
    private static partial void LogBadMessage(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId} ready in {PrepareMs} ms (mirror cache hit: {FromMirror}, spare workspace: {FromSpare})")]
    private static partial void LogSessionReady(ILogger logger, string sessionId, long prepareMs, bool fromMirror, bool fromSpare);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId} could not be prepared: {Reason}")]
    private static partial void LogSessionFailed(ILogger logger, string sessionId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId} ended")]
    private static partial void LogSessionEnded(ILogger logger, string sessionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId}: call {CallId} was already run; returned its stored result")]
    private static partial void LogReplayed(ILogger logger, string sessionId, string callId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Session {SessionId}: the runtime failed on call {CallId}")]
    private static partial void LogRuntimeError(ILogger logger, Exception exception, string sessionId, string callId);
}
