using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Warden.Audit;
using Warden.Data.Gateway;
using Warden.Server.Audit;

namespace Warden.Server.Gateway;

/// <summary>
/// Takes the record of each gateway call (usage row, optional capture, audit event) off the request path and writes
/// them in batches: usage and captures in one transaction, the audit events as one atomic group in the ledger.
/// A call's records are therefore durable within one batch interval of its response; on shutdown the queue is
/// drained. Captures past their retention are purged here too.
/// </summary>
public sealed partial class UsageRecorder(ModelUsageStore store, AuditLedger ledger, TimeProvider time, ILogger<UsageRecorder> logger) : BackgroundService
{
    private const int MaxBatch = 512;
    private static readonly TimeSpan PurgeEvery = TimeSpan.FromMinutes(10);
    private readonly Channel<CallRecord> _queue = Channel.CreateUnbounded<CallRecord>(new UnboundedChannelOptions { SingleReader = true });
    private long _pending;

    /// <summary>One call's records.</summary>
    public sealed record CallRecord(ModelUsageRecord Usage, ModelCapture? Capture, AuditEventDraft Audit);

    /// <summary>Queues a call's records; never blocks.</summary>
    public void Enqueue(CallRecord record)
    {
        Interlocked.Increment(ref _pending);
        if (!_queue.Writer.TryWrite(record))
        {
            Interlocked.Decrement(ref _pending);
            LogDropped(logger, record.Usage.Id);
        }
    }

    /// <summary>Completes once everything queued before the call has been written (for tests and shutdown).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        while (Interlocked.Read(ref _pending) > 0)
        {
            await Task.Delay(5, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<CallRecord>(MaxBatch);
        var nextPurge = time.GetUtcNow();
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

            while (batch.Count < MaxBatch && reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            if (batch.Count > 0)
            {
                await WriteAsync(batch).ConfigureAwait(false);
                Interlocked.Add(ref _pending, -batch.Count);
                batch.Clear();
            }

            if (time.GetUtcNow() >= nextPurge)
            {
                nextPurge = time.GetUtcNow() + PurgeEvery;
                try
                {
                    await store.PurgeExpiredCapturesAsync(CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception e) when (e is System.Data.Common.DbException or InvalidOperationException)
                {
                    LogPurgeFailed(logger, e);
                }
            }

            if (stoppingToken.IsCancellationRequested && !reader.TryPeek(out _))
            {
                break;
            }
        }
    }

    private async Task WriteAsync(List<CallRecord> batch)
    {
        // Each stage is retried on its own so that a retry never writes a stage twice.
        await RetryAsync(() => store.InsertAsync(batch.Select(b => b.Usage).ToList(), batch.Where(b => b.Capture is not null).Select(b => b.Capture!).ToList(), CancellationToken.None)).ConfigureAwait(false);
        await RetryAsync(() => ledger.AppendManyAsync(batch.Select(b => b.Audit).ToList(), CancellationToken.None)).ConfigureAwait(false);
    }

    private async Task RetryAsync(Func<Task> write)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await write().ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (attempt < 5 && e is System.Data.Common.DbException or IOException or InvalidOperationException)
            {
                LogWriteRetry(logger, e, attempt);
                await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is System.Data.Common.DbException or IOException or InvalidOperationException)
            {
                LogWriteFailed(logger, e);
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Gateway usage record {Id} could not be queued.")]
    private static partial void LogDropped(ILogger logger, string id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Writing gateway usage failed (attempt {Attempt}); retrying.")]
    private static partial void LogWriteRetry(ILogger logger, Exception e, int attempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Writing gateway usage failed after retries; the batch is lost.")]
    private static partial void LogWriteFailed(ILogger logger, Exception e);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Purging expired prompt captures failed.")]
    private static partial void LogPurgeFailed(ILogger logger, Exception e);
}
