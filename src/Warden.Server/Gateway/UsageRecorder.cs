using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Warden.Audit;
using Warden.Data.Gateway;
using Warden.Server.Audit;
using Warden.Server.Hosting;

namespace Warden.Server.Gateway;

/// <summary>
/// Takes the record of each gateway call (usage row, optional capture, audit event) off the request path and writes
/// them in batches: usage and captures in one transaction, the audit events as one atomic group in the ledger.
/// A call's records are therefore durable within one batch interval of its response (plus the gather window, when
/// calls come fast enough to share a write); on shutdown the queue is drained. Captures past their retention are
/// purged here too.
/// </summary>
/// <remarks>
/// The queue is bounded (<see cref="Capacity"/> records), so a writer that falls behind (a slow disk, a busy
/// database) cannot grow the gateway's memory without limit. When it is full, <see cref="EnqueueAsync"/> waits for
/// room: the call's response is finished only once its records are queued, which slows callers down to the rate the
/// records can be written (back-pressure) instead of dropping them, because cost accounting and the audit trail must
/// be complete. How often and how long calls waited is counted (<see cref="FullWaits"/>, <see cref="FullWaitTicks"/>).
/// </remarks>
public sealed partial class UsageRecorder : BackgroundService
{
    /// <summary>Records queued at most by default: about two seconds of a busy gateway, a few tens of MB at worst.</summary>
    public const int DefaultCapacity = 8192;

    /// <summary>
    /// The default gather window. One client calling the gateway back to back makes a few thousand calls a second here;
    /// with the window, up to 64 of them share a durable write instead of each taking its own, which took the
    /// gateway's CPU per call at c=1 from about 400 µs to about 200 (docs/benchmarks.md).
    /// </summary>
    public static readonly TimeSpan DefaultGatherWindow = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// Calls per second from which a write gathers first: either those waiting, over the time since the previous write
    /// began (a burst), or those received over the last <see cref="RateHorizon"/> or more (a steady stream, such as one
    /// client calling back to back, which has one call waiting at a time). Below it (agent sessions, a few calls a
    /// second each) each batch is written at once: gathering would only move its commit later, into the path of a
    /// session's own next write.
    /// </summary>
    private const double GatherFromCallsPerSecond = 1000;

    /// <summary>The shortest window over which the steady rate of calls is taken.</summary>
    private static readonly TimeSpan RateHorizon = TimeSpan.FromMilliseconds(50);

    /// <summary>Records a gathering write waits for at most: enough to share a commit, few enough to stay young for the GC.</summary>
    private const int GatherTarget = 64;

    private const int MaxBatch = 1024;
    private static readonly TimeSpan PurgeEvery = TimeSpan.FromMinutes(10);
    private readonly ModelUsageStore _store;
    private readonly AuditLedger _ledger;
    private readonly TimeProvider _time;
    private readonly ILogger<UsageRecorder> _logger;
    private readonly Channel<CallRecord> _queue;
    private readonly TimeSpan _gather;
    private long _pending;
    private long _fullWaits;
    private long _fullWaitTicks;
    private long _writes;
    private long _gatheredWrites;

    /// <summary>Creates the recorder with a queue of <see cref="WardenServerOptions.GatewayUsageQueueCapacity"/> records.</summary>
    public UsageRecorder(ModelUsageStore store, AuditLedger ledger, TimeProvider time, ILogger<UsageRecorder> logger, WardenServerOptions options)
    {
        var capacity = options.GatewayUsageQueueCapacity;
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _store = store;
        _ledger = ledger;
        _time = time;
        _logger = logger;
        Capacity = capacity;
        _gather = options.GatewayUsageGatherWindow;
        _queue = Channel.CreateBounded<CallRecord>(new BoundedChannelOptions(capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    }

    /// <summary>One call's records.</summary>
    public sealed record CallRecord(ModelUsageRecord Usage, ModelCapture? Capture, AuditEventDraft Audit);

    /// <summary>The most records queued at once; beyond it <see cref="EnqueueAsync"/> waits.</summary>
    public int Capacity { get; }

    /// <summary>Records queued or being written, not yet durable.</summary>
    public long Pending => Interlocked.Read(ref _pending);

    /// <summary>How many calls found the queue full and waited (or are waiting) for room.</summary>
    public long FullWaits => Interlocked.Read(ref _fullWaits);

    /// <summary>The time those calls waited in total, in <see cref="Stopwatch"/> ticks.</summary>
    public long FullWaitTicks => Interlocked.Read(ref _fullWaitTicks);

    /// <summary>Batches written since start (each one durable write of its usage rows and audit events).</summary>
    public long Writes => Interlocked.Read(ref _writes);

    /// <summary>Of <see cref="Writes"/>, those that waited for more calls to join them (calls were coming fast).</summary>
    public long GatheredWrites => Interlocked.Read(ref _gatheredWrites);

    /// <summary>
    /// Queues a call's records. Completes at once while the queue has room; when it is full, completes once the
    /// writer has made room (never drops the records, never gives up).
    /// </summary>
    public ValueTask EnqueueAsync(CallRecord record)
    {
        Interlocked.Increment(ref _pending);
        return _queue.Writer.TryWrite(record) ? ValueTask.CompletedTask : WaitForRoomAsync(record);
    }

    /// <summary>Completes once everything queued before the call has been written (for tests and shutdown).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        while (Interlocked.Read(ref _pending) > 0)
        {
            await Task.Delay(5, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask WaitForRoomAsync(CallRecord record)
    {
        var started = Stopwatch.GetTimestamp();
        Interlocked.Increment(ref _fullWaits);
        try
        {
            // No cancellation: a caller that went away still made a call that must be accounted for.
            await _queue.Writer.WriteAsync(record, CancellationToken.None).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            // Only after the writer has stopped, which the host does after the server has finished its requests.
            Interlocked.Decrement(ref _pending);
            LogDropped(_logger, record.Usage.Id);
        }
        finally
        {
            Interlocked.Add(ref _fullWaitTicks, Stopwatch.GetTimestamp() - started);
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<CallRecord>(MaxBatch);
        var nextPurge = _time.GetUtcNow();
        var lastWrite = Stopwatch.GetTimestamp();
        var arrivals = new ArrivalRate(RateHorizon);
        long written = 0;
        var reader = _queue.Reader;
        while (true)
        {
            try
            {
                if (!await reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
                {
                    break;
                }
            }
            catch (OperationCanceledException)
            {
                // Shutting down: write what is queued, then stop.
                _queue.Writer.TryComplete();
            }

            // Two rates decide whether this write gathers. The burst rate is those waiting now, over the time since the
            // previous write began; after a quiet spell it is low, however fast the calls before it came. The steady rate
            // is the calls received over the last RateHorizon or more, which sees one client calling back to back (one
            // call waiting at a time, each write done before the next call ends). A lone call gathers on neither, so
            // two calls that happen to end close together do not hold each other up.
            var steady = arrivals.Observe(Interlocked.Read(ref _pending) + written, Stopwatch.GetTimestamp());
            if (_gather > TimeSpan.Zero && !stoppingToken.IsCancellationRequested && ShouldGather(reader.Count, Stopwatch.GetElapsedTime(lastWrite), steady))
            {
                // Calls are coming fast: let the ones finishing now join this write, one commit (and fsync) for all of
                // them instead of one each, until GatherTarget are there or the window has passed. Real time on
                // purpose: this only groups writes and must not depend on a test's clock.
                Interlocked.Increment(ref _gatheredWrites);
                var until = Stopwatch.GetTimestamp() + (long)(_gather.TotalSeconds * Stopwatch.Frequency);
                while (reader.Count < GatherTarget && Stopwatch.GetTimestamp() < until)
                {
                    await Task.Delay(1, CancellationToken.None).ConfigureAwait(false);
                }
            }

            while (batch.Count < MaxBatch && reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            if (batch.Count > 0)
            {
                lastWrite = Stopwatch.GetTimestamp();
                await WriteAsync(batch).ConfigureAwait(false);
                Interlocked.Increment(ref _writes);
                Interlocked.Add(ref _pending, -batch.Count);
                written += batch.Count;
                batch.Clear();
            }

            if (_time.GetUtcNow() >= nextPurge)
            {
                nextPurge = _time.GetUtcNow() + PurgeEvery;
                try
                {
                    await _store.PurgeExpiredCapturesAsync(CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException)
                {
                    LogPurgeFailed(_logger, e);
                }
            }

            if (stoppingToken.IsCancellationRequested && !reader.TryPeek(out _))
            {
                break;
            }
        }
    }

    /// <summary>
    /// Whether a write waits for company first: on a burst (at least two <paramref name="waiting"/>, at
    /// <see cref="GatherFromCallsPerSecond"/> or more since the previous write began) or on a steady stream
    /// (<paramref name="steadyRate"/>, calls a second over the last <see cref="RateHorizon"/>, at that rate or more).
    /// </summary>
    public static bool ShouldGather(int waiting, TimeSpan sinceLastWrite, double steadyRate) =>
        (waiting >= 2 && waiting / Math.Max(sinceLastWrite.TotalSeconds, 1e-6) >= GatherFromCallsPerSecond) || steadyRate >= GatherFromCallsPerSecond;

    private async Task WriteAsync(List<CallRecord> batch)
    {
        var usage = new ModelUsageRecord[batch.Count];
        var audit = new AuditEventDraft[batch.Count];
        List<ModelCapture>? captures = null;
        for (var i = 0; i < batch.Count; i++)
        {
            usage[i] = batch[i].Usage;
            audit[i] = batch[i].Audit;
            if (batch[i].Capture is { } capture)
            {
                (captures ??= []).Add(capture);
            }
        }

        // One durable write for the batch: the ledger commits the audit events with the usage rows and captures, so a
        // retry (after a failure that wrote nothing) never writes either twice. If the rows cannot be written at all, the
        // calls still go on the record: the audit trail does not lose an event because its usage row failed.
        if (!await RetryAsync(() => _store.InsertAsync(usage, (IReadOnlyList<ModelCapture>?)captures ?? [], audit, _ledger, CancellationToken.None)).ConfigureAwait(false))
        {
            await RetryAsync(() => _ledger.AppendManyAsync(audit, CancellationToken.None)).ConfigureAwait(false);
        }
    }

    /// <summary>Runs <paramref name="write"/>, trying again a few times after a database or I/O failure; false when every try failed.</summary>
    private async Task<bool> RetryAsync(Func<Task> write)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await write().ConfigureAwait(false);
                return true;
            }
            catch (Exception e) when (attempt < 5 && e is System.Data.Common.DbException or IOException or InvalidOperationException)
            {
                LogWriteRetry(_logger, e, attempt);
                await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is System.Data.Common.DbException or IOException or InvalidOperationException)
            {
                LogWriteFailed(_logger, e);
                return false;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Gateway usage record {Id} could not be queued.")]
    private static partial void LogDropped(ILogger logger, string id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing gateway usage failed (attempt {Attempt}); retrying.")]
    private static partial void LogWriteRetry(ILogger logger, Exception e, int attempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Writing gateway usage failed after retries; the batch's usage rows are lost (its audit events are written on their own).")]
    private static partial void LogWriteFailed(ILogger logger, Exception e);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Purging expired prompt captures failed.")]
    private static partial void LogPurgeFailed(ILogger logger, Exception e);
}
