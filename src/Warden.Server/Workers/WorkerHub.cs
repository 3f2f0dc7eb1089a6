using System.Collections.Concurrent;
using System.Globalization;
using System.Net.WebSockets;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Warden.Audit;
using Warden.Data;
using Warden.Data.Audit;
using Warden.Data.Identity;
using Warden.Data.Workers;
using Warden.Protocol;
using Warden.Server.Hosting;
using AuditActorKind = Warden.Audit.ActorKind;

namespace Warden.Server.Workers;

/// <summary>
/// The server's hub of worker connections: the live registry (which worker is connected, its state and load, which
/// sessions it holds) and the <see cref="IWorkerDispatcher"/> on top of it. Connections come and go through
/// <see cref="WorkerGateway"/>; <see cref="WorkerMonitor"/> sweeps for silent and lost workers. State changes are
/// persisted through <see cref="WorkerStore"/> and audited. One server process owns the connections: several replicas
/// would need the sessions' owner looked up across processes (not done yet).
/// </summary>
public sealed partial class WorkerHub : IWorkerDispatcher
{
    /// <summary>The system actor the hub and gateway act as.</summary>
    public static readonly Actor Gateway = Actor.System("worker-gateway");

    private static readonly TimeSpan HeartbeatPersistInterval = TimeSpan.FromMinutes(1);
    private readonly WorkerStore _store;
    private readonly IAuditRecorder _audit;
    private readonly TimeProvider _time;
    private readonly ILogger<WorkerHub> _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, LiveWorker> _workers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SessionBinding> _sessions = new(StringComparer.Ordinal);
    private readonly EgressAuthorizer _egress;
    private readonly TaskCompletionSource _recovered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Creates the hub.</summary>
    public WorkerHub(WorkerStore store, IAuditRecorder audit, TimeProvider time, WardenServerOptions options, ILogger<WorkerHub> logger, EgressAuthorizer egress)
    {
        _egress = egress;
        _store = store;
        _audit = audit;
        _time = time;
        _logger = logger;
        Options = options.Workers;
    }

    /// <summary>The timings in force.</summary>
    public WorkerServerOptions Options { get; }

    /// <inheritdoc />
    public event EventHandler<WorkerSessionFailedEventArgs>? SessionFailed;

    /// <summary>Workers with an open connection.</summary>
    public int ConnectedCount
    {
        get
        {
            lock (_gate)
            {
                return _workers.Values.Count(w => w.Connection is not null);
            }
        }
    }

    /// <summary>The live view of the workers this server tracks (connected, or lost within their grace period), optionally of one org.</summary>
    public IReadOnlyList<WorkerSnapshot> Snapshot(string? orgId = null)
    {
        lock (_gate)
        {
            return _workers.Values.Where(w => orgId is null || w.OrgId == orgId).Select(ToSnapshot).ToList();
        }
    }

    /// <summary>The live view of one worker, or null when this server does not track it now.</summary>
    public WorkerSnapshot? Find(string workerId)
    {
        lock (_gate)
        {
            return _workers.TryGetValue(workerId, out var w) ? ToSnapshot(w) : null;
        }
    }

    /// <summary>Completes at the next change of any worker's state, sessions or connection (for live views).</summary>
    public Task WaitForChangeAsync(CancellationToken cancellationToken) => Volatile.Read(ref _changed).Task.WaitAsync(cancellationToken);

    /// <summary>Asks a connected worker to drain. False when this server has no connection to it.</summary>
    public async Task<bool> DrainAsync(string workerId, string reason)
    {
        ProtocolSocket? socket;
        lock (_gate)
        {
            if (!_workers.TryGetValue(workerId, out var w) || w.Connection is null)
            {
                return false;
            }

            w.State = WorkerState.Draining;
            socket = w.Connection;
        }

        Signal();
        return await socket.SendAsync(new DrainMessage { Reason = reason }).ConfigureAwait(false);
    }

    /// <summary>Disconnects every worker that joined with a revoked token and fails its sessions. Returns how many.</summary>
    public async Task<int> DisconnectTokenAsync(string tokenId, string reason)
    {
        var dropped = new List<(LiveWorker Worker, ProtocolSocket Socket, List<SessionBinding> Sessions)>();
        lock (_gate)
        {
            foreach (var w in _workers.Values.Where(w => w.TokenId == tokenId && w.Connection is not null))
            {
                dropped.Add((w, w.Connection!, SessionsOf(w)));
                w.Connection = null;
                w.State = WorkerState.Offline;
            }

            foreach (var d in dropped)
            {
                _workers.Remove(d.Worker.Id);
            }
        }

        foreach (var (worker, socket, sessions) in dropped)
        {
            await socket.CloseAsync(WebSocketCloseStatus.PolicyViolation, "join token revoked", TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            socket.Abort();
            foreach (var s in sessions)
            {
                await FailSessionAsync(s, $"Worker '{worker.Name}' was disconnected: {reason}.").ConfigureAwait(false);
            }

            await _store.SetStateAsync(Gateway, worker.Id, WorkerState.Offline, reason, CancellationToken.None).ConfigureAwait(false);
            await RecordAsync(worker, "worker.disconnect", new() { ["reason"] = reason }).ConfigureAwait(false);
        }

        Signal();
        return dropped.Count;
    }

    /// <summary>
    /// One pass of the monitor: a connected worker silent for longer than the heartbeat timeout is counted lost (and its
    /// connection dropped); a worker lost for longer than the grace period goes offline and its sessions fail.
    /// </summary>
    public async Task SweepAsync(CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow();
        var silent = new List<(LiveWorker Worker, ProtocolSocket Socket)>();
        var expired = new List<(LiveWorker Worker, DateTimeOffset LostAt, List<SessionBinding> Sessions)>();
        lock (_gate)
        {
            foreach (var w in _workers.Values)
            {
                if (w.Connection is { } socket && now - w.LastHeartbeat > Options.HeartbeatTimeout)
                {
                    silent.Add((w, socket));
                    w.Connection = null;
                    w.State = WorkerState.Lost;
                    w.LostAt = now;
                }
                else if (w.State == WorkerState.Lost && w.LostAt is { } lostAt && now - lostAt >= Options.GracePeriod)
                {
                    expired.Add((w, lostAt, SessionsOf(w)));
                    w.State = WorkerState.Offline;
                }
            }

            foreach (var e in expired)
            {
                _workers.Remove(e.Worker.Id);
            }
        }

        foreach (var (worker, socket) in silent)
        {
            socket.Abort();
            var reason = $"no heartbeat for {Seconds(Options.HeartbeatTimeout)} s";
            LogLost(_logger, worker.Id, worker.Name, reason);
            await _store.SetStateAsync(Gateway, worker.Id, WorkerState.Lost, reason, cancellationToken).ConfigureAwait(false);
            await RecordAsync(worker, "worker.lost", new() { ["reason"] = reason }, AuditOutcome.Failure).ConfigureAwait(false);
        }

        foreach (var (worker, lostAt, sessions) in expired)
        {
            var reason = $"Worker '{worker.Name}' ({worker.Id}) stopped responding at {lostAt.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC and did not return within the {Seconds(Options.GracePeriod)} s grace period.";
            foreach (var s in sessions)
            {
                await FailSessionAsync(s, reason).ConfigureAwait(false);
            }

            await _store.SetStateAsync(Gateway, worker.Id, WorkerState.Offline, "lost for longer than the grace period", cancellationToken).ConfigureAwait(false);
        }

        if (silent.Count > 0 || expired.Count > 0)
        {
            Signal();
        }
    }

    /// <summary>
    /// At start: workers the database shows connected lost their connection with the previous server process. They are
    /// tracked as lost, with the sessions bound to them, so they are re-bound when the workers reconnect within the grace
    /// period and failed otherwise.
    /// </summary>
    public async Task RecoverAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await RecoverCoreAsync(cancellationToken).ConfigureAwait(false);
            _recovered.TrySetResult();
        }
        catch (Exception e)
        {
            _recovered.TrySetException(e);
            throw;
        }
    }

    /// <summary>
    /// Completes once <see cref="RecoverAsync"/> has run. The gateway waits for it, because the web server may accept a
    /// fast-reconnecting worker before the hosted services have started.
    /// </summary>
    public Task WhenRecoveredAsync(CancellationToken cancellationToken) => _recovered.Task.WaitAsync(cancellationToken);

    private async Task RecoverCoreAsync(CancellationToken cancellationToken)
    {
        var lost = await _store.MarkConnectedLostAsync(Gateway, "The server restarted; waiting for the worker to reconnect.", cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        foreach (var record in lost)
        {
            var sessions = await _store.ListActiveSessionsAsync(Gateway, record.Id, cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                if (_workers.ContainsKey(record.Id))
                {
                    continue;
                }

                var w = new LiveWorker
                {
                    Id = record.Id, OrgId = record.OrgId, PoolId = record.PoolId, Pool = record.Pool, Name = record.Name,
                    Labels = record.Labels, Capacity = record.Capacity, State = WorkerState.Lost, LostAt = now, LastHeartbeat = now,
                };
                foreach (var s in sessions)
                {
                    w.Sessions.Add(s.SessionId);
                    _sessions[s.SessionId] = new SessionBinding { SessionId = s.SessionId, OrgId = s.OrgId, WorkerId = record.Id, State = s.State, Persisted = true };
                }

                _workers[record.Id] = w;
            }
        }
    }

    /// <summary>Registers a connection (gateway): supersedes an older one, re-binds the sessions the worker still holds.</summary>
    internal async Task<(LiveWorker Worker, RegisteredMessage Registered)> AttachAsync(WorkerRecord record, JoinTokenIdentity token,
        IReadOnlyDictionary<string, string> poolLabels, ProtocolSocket socket, HelloMessage hello)
    {
        var now = _time.GetUtcNow();
        var resumed = new List<string>();
        var abandoned = new List<string>();
        var failed = new List<(SessionBinding Binding, string Reason)>();
        ProtocolSocket? previous;
        LiveWorker w;
        lock (_gate)
        {
            if (!_workers.TryGetValue(record.Id, out w!))
            {
                w = new LiveWorker { Id = record.Id, OrgId = record.OrgId, PoolId = record.PoolId, Pool = record.Pool };
                _workers[record.Id] = w;
            }

            previous = w.Connection;
            w.Connection = socket;
            w.Name = record.Name;
            w.Labels = record.Labels;
            w.PoolLabels = poolLabels;
            w.Capacity = record.Capacity;
            w.TokenId = token.TokenId;
            w.State = hello.Draining ? WorkerState.Draining : WorkerState.Online;
            w.LostAt = null;
            w.LastHeartbeat = now;
            w.HeartbeatPersistedAt = now;
            var held = hello.Sessions.ToHashSet(StringComparer.Ordinal);
            foreach (var binding in SessionsOf(w))
            {
                var id = binding.SessionId;
                if (!held.Contains(id))
                {
                    failed.Add((binding, $"Worker '{w.Name}' restarted and no longer holds the session's workspace."));
                }
                else if (binding.State == WorkerSessionState.Assigned && binding.Assign is null)
                {
                    failed.Add((binding, "The server restarted while the workspace was being prepared."));
                    abandoned.Add(id);
                }
                else
                {
                    resumed.Add(id);
                }
            }

            abandoned.AddRange(held.Where(id => !w.Sessions.Contains(id)));
        }

        previous?.Abort();
        foreach (var (binding, reason) in failed)
        {
            await FailSessionAsync(binding, reason).ConfigureAwait(false);
        }

        Signal();
        return (w, new RegisteredMessage
        {
            WorkerId = w.Id,
            Pool = w.Pool,
            HeartbeatIntervalMs = (int)Options.HeartbeatInterval.TotalMilliseconds,
            GracePeriodMs = (int)Options.GracePeriod.TotalMilliseconds,
            Resumed = resumed,
            Abandoned = abandoned,
        });
    }

    /// <summary>After the registration reply: sends again what the worker may have missed while disconnected.</summary>
    internal async Task ResumeAsync(LiveWorker worker, ProtocolSocket socket)
    {
        List<SessionBinding> bindings;
        lock (_gate)
        {
            bindings = SessionsOf(worker);
        }

        foreach (var b in bindings)
        {
            SessionAssignMessage? resend;
            lock (_gate)
            {
                resend = b.State == WorkerSessionState.Assigned && b.Persisted ? b.Assign : null;
            }

            if (resend is not null)
            {
                await socket.SendAsync(resend).ConfigureAwait(false);
            }

            foreach (var call in b.Calls.Values)
            {
                LogRetry(_logger, b.SessionId, call.Message.Call.CallId);
                await socket.SendAsync(call.Message).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Handles one message from a registered worker (gateway).</summary>
    internal async Task OnMessageAsync(LiveWorker worker, ProtocolSocket socket, ProtocolMessage message)
    {
        var now = _time.GetUtcNow();
        worker.LastHeartbeat = now;
        switch (message)
        {
            case HeartbeatMessage heartbeat:
                worker.Load = heartbeat.Load;
                var drainingNow = false;
                lock (_gate)
                {
                    if (heartbeat.Draining && worker.State == WorkerState.Online && worker.Connection == socket)
                    {
                        worker.State = WorkerState.Draining;
                        drainingNow = true;
                    }
                }

                if (drainingNow)
                {
                    await _store.SetStateAsync(Gateway, worker.Id, WorkerState.Draining, "the worker is draining", CancellationToken.None).ConfigureAwait(false);
                    Signal();
                }

                if (now - worker.HeartbeatPersistedAt >= HeartbeatPersistInterval)
                {
                    worker.HeartbeatPersistedAt = now;
                    await _store.RecordHeartbeatAsync(Gateway, worker.Id, heartbeat.Running, CancellationToken.None).ConfigureAwait(false);
                }

                break;
            case SessionReadyMessage ready when Binding(worker, ready.SessionId) is { } binding:
                var becameReady = false;
                lock (_gate)
                {
                    if (binding.State == WorkerSessionState.Assigned)
                    {
                        binding.State = WorkerSessionState.Ready;
                        becameReady = true;
                    }
                }

                if (becameReady)
                {
                    await _store.SetSessionStateAsync(Gateway, binding.SessionId, WorkerSessionState.Ready, null, CancellationToken.None).ConfigureAwait(false);
                }

                binding.Ready.TrySetResult(ready);
                Signal();
                break;
            case SessionFailedMessage failed when Binding(worker, failed.SessionId) is { } binding:
                await FailSessionAsync(binding, failed.Reason, WorkerDispatchError.PreparationFailed).ConfigureAwait(false);
                break;
            case ToolOutputMessage output when Binding(worker, output.SessionId) is { } binding && binding.Calls.TryGetValue(output.CallId, out var call):
                try
                {
                    await call.OnOutput(output.Chunk).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // A consumer's failure must not break the worker's connection.
                    LogOutputConsumerFailed(_logger, e, output.SessionId, output.CallId);
                }

                break;
            case ToolResultMessage result when Binding(worker, result.SessionId) is { } binding:
                if (binding.Calls.TryRemove(result.CallId, out var done))
                {
                    done.Completion.TrySetResult(result.Result);
                }

                break;
            case ErrorMessage { Code: ErrorCodes.UnknownSession, SessionId: { } sessionId } when Binding(worker, sessionId) is { } binding:
                await FailSessionAsync(binding, $"Worker '{worker.Name}' no longer holds the session.").ConfigureAwait(false);
                break;
            case ErrorMessage error:
                LogWorkerError(_logger, worker.Id, error.Code, error.Message);
                break;
            case EgressCheckMessage check:
                // A session this worker does not hold gets no network.
                var (allowed, why) = Binding(worker, check.SessionId) is { } egressBinding
                    ? await _egress.DecideAsync(egressBinding.OrgId, check.SessionId, check.Host, check.Port, CancellationToken.None).ConfigureAwait(false)
                    : (false, "the session is not bound to this worker");
                await socket.SendAsync(new EgressDecisionMessage { InReplyTo = check.Id, Allowed = allowed, Reason = why }).ConfigureAwait(false);
                break;
            case EgressAttemptMessage attempt when Binding(worker, attempt.SessionId) is { } attemptBinding:
                await _egress.RecordAsync(attemptBinding.OrgId, attempt, worker.Name, CancellationToken.None).ConfigureAwait(false);
                break;
            case HelloMessage:
                await socket.SendAsync(new ErrorMessage { Code = ErrorCodes.NotRegistered, Message = "Already registered on this connection.", InReplyTo = message.Id }).ConfigureAwait(false);
                break;
            default:
                break;
        }
    }

    /// <summary>
    /// A connection ended (gateway). A clean close (after a drain) takes the worker offline; anything else counts it
    /// lost, and its sessions wait for the grace period. Ignored when a newer connection has taken over.
    /// </summary>
    internal async Task DetachAsync(LiveWorker worker, ProtocolSocket socket, bool clean, string reason)
    {
        List<SessionBinding> sessions = [];
        lock (_gate)
        {
            if (worker.Connection != socket)
            {
                return;
            }

            worker.Connection = null;
            if (clean)
            {
                worker.State = WorkerState.Offline;
                sessions = SessionsOf(worker);
                _workers.Remove(worker.Id);
            }
            else
            {
                worker.State = WorkerState.Lost;
                worker.LostAt = _time.GetUtcNow();
            }
        }

        if (clean)
        {
            // Sessions first, so whoever sees the worker offline also sees why its sessions ended.
            foreach (var s in sessions)
            {
                await FailSessionAsync(s, $"Worker '{worker.Name}' disconnected ({reason}).").ConfigureAwait(false);
            }

            await _store.SetStateAsync(Gateway, worker.Id, WorkerState.Offline, reason, CancellationToken.None).ConfigureAwait(false);
            await RecordAsync(worker, "worker.disconnect", new() { ["reason"] = reason }).ConfigureAwait(false);
        }
        else
        {
            LogLost(_logger, worker.Id, worker.Name, reason);
            await _store.SetStateAsync(Gateway, worker.Id, WorkerState.Lost, reason, CancellationToken.None).ConfigureAwait(false);
            await RecordAsync(worker, "worker.lost", new() { ["reason"] = reason, ["gracePeriodSeconds"] = Seconds(Options.GracePeriod) }, AuditOutcome.Failure).ConfigureAwait(false);
        }

        Signal();
    }

    /// <summary>
    /// Audits a refused attempt to connect under an existing worker id without its secret (a join token holder
    /// trying to take over another worker, or a worker that lost its secret).
    /// </summary>
    internal Task RecordRefusedClaimAsync(JoinTokenIdentity token, string claimedId, string name, string reason) =>
        _audit.RecordAsync(new AuditEventDraft
        {
            OrgId = token.OrgId,
            Actor = new AuditActor(AuditActorKind.Worker, claimedId, name),
            Action = "worker.connect",
            Resource = new AuditResource("worker", claimedId),
            Outcome = AuditOutcome.Denied,
            Details = AuditDrafts.Details(new Dictionary<string, string?> { ["pool"] = token.PoolName, ["joinTokenId"] = token.TokenId, ["reason"] = reason }),
        });

    /// <summary>Audits a worker's (re)connection.</summary>
    internal Task RecordConnectAsync(LiveWorker worker, HelloMessage hello, RegisteredMessage registered) =>
        RecordAsync(worker, "worker.connect", new()
        {
            ["pool"] = worker.Pool,
            ["version"] = hello.SoftwareVersion,
            ["capacity"] = hello.Capacity.ToString(CultureInfo.InvariantCulture),
            ["labels"] = Labels.Format(worker.Labels),
            ["sandboxed"] = hello.Sandboxed ? "true" : "false",
            ["resumed"] = registered.Resumed.Count.ToString(CultureInfo.InvariantCulture),
        });

    /// <inheritdoc />
    public async Task<WorkerLease> AssignAsync(string orgId, string pool, IReadOnlyDictionary<string, string> requiredLabels, string sessionId,
        WorkspaceRequest workspace, CancellationToken cancellationToken)
    {
        if (!SessionIdPattern().IsMatch(sessionId))
        {
            throw new ArgumentException("A session id may hold only letters, digits, '_' and '-' (1-100 characters).", nameof(sessionId));
        }

        var assign = new SessionAssignMessage
        {
            SessionId = sessionId,
            Repository = workspace.Repository,
            BaseRef = workspace.BaseRef,
            Credential = workspace.Credential,
            Limits = workspace.Limits ?? new SessionLimits(),
        };
        SessionBinding binding;
        LiveWorker chosen;
        ProtocolSocket socket;
        lock (_gate)
        {
            if (_sessions.ContainsKey(sessionId))
            {
                throw new ArgumentException($"Session '{sessionId}' is already assigned.", nameof(sessionId));
            }

            chosen = _workers.Values
                .Where(w => w.OrgId == orgId && w.Pool == pool && w.State == WorkerState.Online && w.Connection is not null &&
                            w.Sessions.Count < w.Capacity && Labels.Satisfies(requiredLabels, w.Labels, w.PoolLabels))
                .OrderBy(w => (double)w.Sessions.Count / w.Capacity)
                .ThenBy(w => w.Load)
                .ThenBy(w => w.Id, StringComparer.Ordinal)
                .FirstOrDefault()
                ?? throw new WorkerDispatchException(WorkerDispatchError.NoWorkerAvailable,
                    $"No online worker in pool '{pool}'{(requiredLabels.Count > 0 ? $" with labels {Labels.Format(requiredLabels)}" : string.Empty)} has free capacity.");
            binding = new SessionBinding { SessionId = sessionId, OrgId = orgId, WorkerId = chosen.Id, Assign = assign, State = WorkerSessionState.Assigned };
            chosen.Sessions.Add(sessionId);
            _sessions[sessionId] = binding;
            socket = chosen.Connection!;
        }

        try
        {
            await _store.BindSessionAsync(Gateway, sessionId, orgId, chosen.PoolId, chosen.Id, workspace.Repository, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            lock (_gate)
            {
                _sessions.TryRemove(sessionId, out _);
                chosen.Sessions.Remove(sessionId);
            }

            throw;
        }

        lock (_gate)
        {
            binding.Persisted = true;
        }

        Signal();
        // A send that fails is repeated when the worker reconnects (the binding is still "assigned").
        await socket.SendAsync(assign, cancellationToken).ConfigureAwait(false);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Options.PrepareTimeout);
        SessionReadyMessage ready;
        try
        {
            ready = await binding.Ready.Task.WaitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await EndSessionAsync(sessionId, cancellationToken.IsCancellationRequested ? "assignment cancelled" : "preparation timed out", CancellationToken.None).ConfigureAwait(false);
            if (cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            throw new WorkerDispatchException(WorkerDispatchError.TimedOut, $"Worker '{chosen.Name}' did not prepare the workspace within {Seconds(Options.PrepareTimeout)} s.");
        }

        return new WorkerLease(sessionId, chosen.Id, chosen.Name, chosen.Pool, ready.Commit, ready.PrepareMs, ready.FromMirror);
    }

    /// <inheritdoc />
    public async Task<ToolResult> ExecuteToolAsync(string sessionId, ToolCall call, Func<ToolOutputChunk, ValueTask> onOutput, CancellationToken cancellationToken)
    {
        if (!_sessions.TryGetValue(sessionId, out var binding) || binding.State != WorkerSessionState.Ready)
        {
            throw new WorkerDispatchException(WorkerDispatchError.UnknownSession, $"Session '{sessionId}' is not ready on any worker.");
        }

        var pending = new PendingCall(new ToolCallMessage { SessionId = sessionId, Call = call }, onOutput);
        var stored = binding.Calls.GetOrAdd(call.CallId, pending);
        if (ReferenceEquals(stored, pending))
        {
            ProtocolSocket? socket;
            bool failed;
            lock (_gate)
            {
                failed = binding.State != WorkerSessionState.Ready;
                socket = _workers.TryGetValue(binding.WorkerId, out var w) ? w.Connection : null;
            }

            if (failed)
            {
                binding.Calls.TryRemove(call.CallId, out _);
                throw new WorkerDispatchException(WorkerDispatchError.SessionFailed, $"Session '{sessionId}' is no longer running.");
            }

            // Not connected, or the send fails: the call is sent again, same id, when the worker is back.
            if (socket is not null)
            {
                await socket.SendAsync(pending.Message, cancellationToken).ConfigureAwait(false);
            }
        }

        try
        {
            return await stored.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The worker may still run it; its result is then dropped. The call id stays spent in the worker's ledger.
            binding.Calls.TryRemove(new KeyValuePair<string, PendingCall>(call.CallId, stored));
            throw;
        }
    }

    /// <inheritdoc />
    public async Task EndSessionAsync(string sessionId, string? reason, CancellationToken cancellationToken)
    {
        ProtocolSocket? socket;
        SessionBinding? binding;
        lock (_gate)
        {
            if (!_sessions.TryRemove(sessionId, out binding))
            {
                return;
            }

            binding.State = WorkerSessionState.Ended;
            socket = null;
            if (_workers.TryGetValue(binding.WorkerId, out var w))
            {
                w.Sessions.Remove(sessionId);
                socket = w.Connection;
            }
        }

        await _store.SetSessionStateAsync(Gateway, sessionId, WorkerSessionState.Ended, reason, cancellationToken).ConfigureAwait(false);
        if (socket is not null)
        {
            await socket.SendAsync(new SessionEndMessage { SessionId = sessionId, Reason = reason }, cancellationToken).ConfigureAwait(false);
        }

        var ended = new WorkerDispatchException(WorkerDispatchError.UnknownSession, $"Session '{sessionId}' has ended.");
        binding.Ready.TrySetException(ended);
        foreach (var call in binding.Calls.Values)
        {
            call.Completion.TrySetException(ended);
        }

        Signal();
    }

    private async Task FailSessionAsync(SessionBinding binding, string reason, WorkerDispatchError error = WorkerDispatchError.SessionFailed)
    {
        bool wasReady;
        lock (_gate)
        {
            if (binding.State is WorkerSessionState.Failed or WorkerSessionState.Ended)
            {
                return;
            }

            wasReady = binding.State == WorkerSessionState.Ready;
            binding.State = WorkerSessionState.Failed;
            _sessions.TryRemove(new KeyValuePair<string, SessionBinding>(binding.SessionId, binding));
            if (_workers.TryGetValue(binding.WorkerId, out var w))
            {
                w.Sessions.Remove(binding.SessionId);
            }
        }

        LogSessionFailed(_logger, binding.SessionId, binding.WorkerId, reason);
        await _store.SetSessionStateAsync(Gateway, binding.SessionId, WorkerSessionState.Failed, reason, CancellationToken.None).ConfigureAwait(false);
        // Recorded before anyone waiting on the session hears of it, so whoever reacts finds the audit event.
        await _audit.RecordAsync(new AuditEventDraft
        {
            OrgId = binding.OrgId,
            Actor = new AuditActor(AuditActorKind.Worker, binding.WorkerId),
            Action = "worker.session.fail",
            Resource = new AuditResource("session", binding.SessionId),
            Outcome = AuditOutcome.Failure,
            Details = AuditDrafts.Details(new Dictionary<string, string?> { ["reason"] = reason }),
        }).ConfigureAwait(false);
        var exception = new WorkerDispatchException(error, reason);
        binding.Ready.TrySetException(exception);
        foreach (var call in binding.Calls.Values)
        {
            call.Completion.TrySetException(exception);
        }

        if (wasReady)
        {
            SessionFailed?.Invoke(this, new WorkerSessionFailedEventArgs(binding.SessionId, binding.WorkerId, reason));
        }

        Signal();
    }

    private List<SessionBinding> SessionsOf(LiveWorker worker) =>
        worker.Sessions.Select(id => _sessions.TryGetValue(id, out var b) ? b : null).OfType<SessionBinding>().ToList();

    private SessionBinding? Binding(LiveWorker worker, string sessionId) =>
        _sessions.TryGetValue(sessionId, out var b) && b.WorkerId == worker.Id ? b : null;

    private Task RecordAsync(LiveWorker worker, string action, Dictionary<string, string?> details, AuditOutcome outcome = AuditOutcome.Success) =>
        _audit.RecordAsync(new AuditEventDraft
        {
            OrgId = worker.OrgId,
            Actor = new AuditActor(AuditActorKind.Worker, worker.Id, worker.Name),
            Action = action,
            Resource = new AuditResource("worker", worker.Id),
            Outcome = outcome,
            Details = AuditDrafts.Details(details),
        });

    private WorkerSnapshot ToSnapshot(LiveWorker w) =>
        new(w.Id, w.OrgId, w.Pool, w.Name, w.State, w.Connection is not null, w.Capacity, w.Sessions.ToList(), w.Load, w.LastHeartbeat, w.LostAt);

    private void Signal() => Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);

    [GeneratedRegex("^[A-Za-z0-9_-]{1,100}$", RegexOptions.CultureInvariant)]
    private static partial Regex SessionIdPattern();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker {WorkerId} ({Name}) lost: {Reason}")]
    private static partial void LogLost(ILogger logger, string workerId, string name, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId} on worker {WorkerId} failed: {Reason}")]
    private static partial void LogSessionFailed(ILogger logger, string sessionId, string workerId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {SessionId}: sending call {CallId} again after the worker reconnected")]
    private static partial void LogRetry(ILogger logger, string sessionId, string callId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker {WorkerId} reported {Code}: {Message}")]
    private static partial void LogWorkerError(ILogger logger, string workerId, string code, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId}: the output consumer of call {CallId} failed")]
    private static partial void LogOutputConsumerFailed(ILogger logger, Exception exception, string sessionId, string callId);
}
