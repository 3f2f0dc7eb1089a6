using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Warden.Audit;
using Warden.Data;
using Warden.Data.Audit;
using Warden.Data.Gateway;
using Warden.Data.Identity;
using Warden.Data.Sessions;
using Warden.Server.Workers;

namespace Warden.Server.Sessions;

/// <summary>
/// Runs agent sessions in this server: claims queued sessions (and running ones whose previous runner's lease
/// lapsed, i.e. a server that stopped or crashed), runs each one's <see cref="SessionRun"/>, renews its leases, ends
/// sessions whose worker was lost, and on shutdown gives its sessions back so the next start resumes them at once.
/// </summary>
public sealed partial class SessionRunner : BackgroundService
{
    private readonly Services _services;
    private readonly ConcurrentDictionary<string, Running> _running = new(StringComparer.Ordinal);
    private readonly string _runnerId = Ids.New("run");
    private readonly ILogger<SessionRunner> _logger;
    private readonly Histogram<double> _stepOverhead;
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _stopping;

    /// <summary>Creates the runner.</summary>
    public SessionRunner(AgentSessionStore store, IWorkerDispatcher workers, SessionPolicy policy, AgentModelClient models, VirtualKeyStore keys,
        ISessionRepositories repositories, IAuditRecorder audit, SessionLive live, TimeProvider time, SessionRunnerOptions options, IMeterFactory meters,
        ILogger<SessionRunner> logger)
    {
        _logger = logger;
        _stepOverhead = meters.Create(MeterName).CreateHistogram(StepOverheadInstrument, "s",
            "Orchestration time of one agent-loop step (a model turn or a tool call), without the model's or the tool's own time.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] });
        _services = new Services(store, workers, policy, models, keys, repositories, audit, live, time, options, logger, this);
        store.Changed += live.Touch;
        workers.SessionFailed += (_, e) => Fail(e.SessionId, $"The worker was lost: {e.Reason}");
    }

    /// <summary>What a session run uses.</summary>
    internal sealed record Services(
        AgentSessionStore Store, IWorkerDispatcher Workers, SessionPolicy Policy, AgentModelClient Models, VirtualKeyStore Keys,
        ISessionRepositories Repositories, IAuditRecorder Audit, SessionLive Live, TimeProvider Time, SessionRunnerOptions Options, ILogger Logger, SessionRunner Runner);

    /// <summary>Name of the <see cref="Meter"/> the runner reports on.</summary>
    public const string MeterName = "Warden.Sessions";

    /// <summary>
    /// The histogram of every step's orchestration time in seconds (store reads and writes, policy, audit, building the
    /// request; not the model call or the tool run), tagged <c>warden.session.step.kind</c> <c>model</c> or <c>tool</c>.
    /// </summary>
    public const string StepOverheadInstrument = "warden.session.step.overhead";

    /// <summary>Sessions this server is running now.</summary>
    public int RunningCount => _running.Count;

    /// <summary>Records one step's orchestration time (<paramref name="kind"/> is <c>model</c> or <c>tool</c>).</summary>
    internal void RecordStepOverhead(TimeSpan overhead, string kind) =>
        _stepOverhead.Record(overhead.TotalSeconds, new KeyValuePair<string, object?>("warden.session.step.kind", kind));

    /// <summary>Looks for new sessions now (a session was just created).</summary>
    public void Wake() => Interlocked.Exchange(ref _wake, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Stops a session that a person cancelled (the store already says so): its current call is abandoned.</summary>
    public void Cancel(string sessionId)
    {
        if (_running.TryGetValue(sessionId, out var running))
        {
            running.Reason ??= "cancelled";
            running.Cts.Cancel();
        }
    }

    private void Fail(string sessionId, string reason)
    {
        if (_running.TryGetValue(sessionId, out var running))
        {
            running.FailReason ??= reason;
            running.Cts.Cancel();
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_services.Options.Enabled)
        {
            return;
        }

        var nextRenew = _services.Time.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            var wake = Volatile.Read(ref _wake).Task;
            try
            {
                var free = _services.Options.MaxConcurrent - _running.Count;
                if (free > 0)
                {
                    var claimed = await _services.Store.ClaimAsync(_runnerId, _services.Time.GetUtcNow() + _services.Options.Lease, Math.Min(free, 100), stoppingToken).ConfigureAwait(false);
                    foreach (var session in claimed)
                    {
                        Start(session);
                    }

                    if (claimed.Count == Math.Min(free, 100))
                    {
                        continue;
                    }
                }

                if (_services.Time.GetUtcNow() >= nextRenew)
                {
                    nextRenew = _services.Time.GetUtcNow() + _services.Options.Lease / 4;
                    await _services.Store.RenewAsync(_runnerId, _running.Keys.ToList(), _services.Time.GetUtcNow() + _services.Options.Lease, stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException or TimeoutException)
            {
                LogLoopFailed(_logger, e);
            }

            try
            {
                await Task.WhenAny(wake, Task.Delay(_services.Options.PollInterval, stoppingToken)).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping = true;
        foreach (var running in _running.Values)
        {
            await running.Cts.CancelAsync().ConfigureAwait(false);
        }

        await Task.WhenAll(_running.Values.Select(r => r.Task)).WaitAsync(TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    private void Start(AgentSession session)
    {
        if (_stopping)
        {
            return;
        }

        var running = new Running();
        if (!_running.TryAdd(session.Id, running))
        {
            return;
        }

        var started = session.StartedAt ?? _services.Time.GetUtcNow();
        var left = started + TimeSpan.FromMilliseconds(session.Limits.MaxWallMs) - _services.Time.GetUtcNow();
        running.Cts.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        running.Deadline = started + TimeSpan.FromMilliseconds(session.Limits.MaxWallMs);
        running.Task = Task.Run(() => RunAsync(session, running));
    }

    private async Task RunAsync(AgentSession session, Running running)
    {
        var run = new SessionRun(_services, session, running.Cts.Token);
        running.Run = run;
        try
        {
            await run.RunAsync().ConfigureAwait(false);
            var ended = await _services.Store.LoadAsync(session.Id, CancellationToken.None).ConfigureAwait(false);
            await EndedAsync(session, ended?.State ?? SessionStates.Succeeded, ended?.StateReason ?? "finished").ConfigureAwait(false);
            await run.ReleaseAsync("session finished").ConfigureAwait(false);
        }
        catch (SessionEndedException e)
        {
            await EndAsync(session, run, e.State, e.Message, stored: e.AlreadyStored).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (running.Cts.IsCancellationRequested)
        {
            if (_stopping && running.Reason is null && running.FailReason is null)
            {
                // Shutdown: the session stays running; the next start (or another server) resumes it from its transcript.
                await GiveBackAsync(session.Id).ConfigureAwait(false);
            }
            else if (running.FailReason is { } reason)
            {
                await EndAsync(session, run, SessionStates.Failed, reason, stored: false).ConfigureAwait(false);
            }
            else if (running.Reason is null && _services.Time.GetUtcNow() >= running.Deadline)
            {
                await EndAsync(session, run, SessionStates.Failed, $"Time limit reached: {TimeSpan.FromMilliseconds(session.Limits.MaxWallMs).TotalMinutes:0.#} minutes.", stored: false).ConfigureAwait(false);
            }
            else
            {
                var current = await _services.Store.LoadAsync(session.Id, CancellationToken.None).ConfigureAwait(false);
                await EndAsync(session, run, current?.State ?? SessionStates.Cancelled, current?.StateReason ?? "cancelled", stored: true).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogSessionCrashed(_logger, session.Id, e);
            if (_stopping)
            {
                await GiveBackAsync(session.Id).ConfigureAwait(false);
            }
            else
            {
                await EndAsync(session, run, SessionStates.Failed, $"Internal error: {e.GetType().Name}: {e.Message}", stored: false).ConfigureAwait(false);
            }
        }
        finally
        {
            _running.TryRemove(session.Id, out _);
            running.Cts.Dispose();
            _services.Live.Touch(session.Id);
        }
    }

    private async Task EndAsync(AgentSession session, SessionRun run, string state, string reason, bool stored)
    {
        try
        {
            if (!stored)
            {
                await _services.Store.AppendAsync(session.Id, SessionEventKinds.Finish, new JsonObject { ["state"] = state, ["reason"] = reason }.ToJsonString(),
                    new SessionProgress { State = state, StateReason = reason }, CancellationToken.None).ConfigureAwait(false);
            }

            await EndedAsync(session, state, reason).ConfigureAwait(false);
        }
        finally
        {
            await run.ReleaseAsync(reason).ConfigureAwait(false);
        }
    }

    private async Task EndedAsync(AgentSession session, string state, string reason)
    {
        var final = await _services.Store.LoadAsync(session.Id, CancellationToken.None).ConfigureAwait(false) ?? session;
        await _services.Audit.RecordAsync(new AuditEventDraft
        {
            OrgId = session.OrgId,
            Actor = new AuditActor(Warden.Audit.ActorKind.AgentSession, session.Id, $"agent for {session.UserName}"),
            OnBehalfOf = session.UserName,
            Source = new AuditSource("warden", "warden-agent", session.Id),
            Action = "session.end",
            Resource = new AuditResource("repo", session.Repo),
            Outcome = state == SessionStates.Succeeded ? AuditOutcome.Success : state == SessionStates.Cancelled ? AuditOutcome.Failure : AuditOutcome.Error,
            Cost = final.CostMicros > 0 ? new AuditCost(final.CostMicros / 1_000_000m, "USD") : null,
            Details = AuditDrafts.Details(new Dictionary<string, string?>
            {
                ["state"] = state, ["reason"] = reason, ["steps"] = final.Steps.ToString(CultureInfo.InvariantCulture),
                ["branch"] = final.Branch, ["commit"] = final.CommitSha, ["pullRequest"] = final.PrUrl,
            }),
        }, CancellationToken.None).ConfigureAwait(false);
    }

    private async Task GiveBackAsync(string sessionId)
    {
        try
        {
            await _services.Store.ReleaseAsync(_runnerId, sessionId, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException)
        {
            LogGiveBackFailed(_logger, sessionId, e);
        }
    }

    private sealed class Running
    {
        public CancellationTokenSource Cts { get; } = new();

        public Task Task { get; set; } = Task.CompletedTask;

        public SessionRun? Run { get; set; }

        public DateTimeOffset Deadline { get; set; }

        public string? Reason { get; set; }

        public string? FailReason { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The session runner's loop failed; it tries again")]
    private static partial void LogLoopFailed(ILogger logger, Exception e);

    [LoggerMessage(Level = LogLevel.Error, Message = "Session {SessionId} failed with an internal error")]
    private static partial void LogSessionCrashed(ILogger logger, string sessionId, Exception e);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session {SessionId}: giving its lease back failed; it resumes when the lease lapses")]
    private static partial void LogGiveBackFailed(ILogger logger, string sessionId, Exception e);
}
