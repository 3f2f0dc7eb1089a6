using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Warden.Audit;
using Warden.Data;
using Warden.Data.Audit;
using Warden.Data.Identity;
using Warden.Server.Hosting;

namespace Warden.Server.Audit;

/// <summary>
/// Pushes new ledger events to every configured sink (<see cref="WardenServerOptions.AuditExporters"/>), in sequence
/// order, each sink on its own loop so a slow or broken one does not hold up the others. A sink's cursor (the last
/// sequence it accepted) is stored in <c>audit_export_cursors</c> and moved only after the sink accepted a batch, so a
/// restart or a failure re-sends at most one batch: delivery is at-least-once, and receivers can drop duplicates by
/// sequence or hash.
/// </summary>
/// <remarks>
/// Events are read back from the store, not taken from the writer, so everything durable is exported whatever wrote it,
/// and nothing that was not durable is. With several replicas on one database every replica may configure the same
/// sinks: each sink runs on the replica holding its lease (<c>audit.export:NAME</c> in <see cref="LeaseStore"/>), and
/// another takes over within <see cref="LeaseTimeToLive"/> when that replica stops or dies (at once when it stops
/// cleanly). Retry waits and renewal use real time on purpose: they pace I/O against a remote system, not ledger time.
/// </remarks>
public sealed partial class AuditExportService(
    WardenServerOptions options,
    AuditLedger ledger,
    AuditExportCursorStore cursors,
    LeaseStore leases,
    ILogger<AuditExportService> logger) : BackgroundService
{
    /// <summary>How long a replica holds a sink's lease without renewing it.</summary>
    public static readonly TimeSpan LeaseTimeToLive = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan LeaseRenewal = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan StandbyPoll = TimeSpan.FromSeconds(5);
    private readonly string _holder = LeaseStore.NewHolder();

    /// <summary>This replica's name in the sinks' leases.</summary>
    public string LeaseHolder => _holder;

    private static readonly Actor Exporter = Actor.System("audit-exporter");
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan LastRetry = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan IdlePoll = TimeSpan.FromSeconds(5);

    /// <summary>Creates the sink an options entry describes.</summary>
    public IAuditSink CreateSink(AuditExporterOptions sink) => sink.Kind.ToLowerInvariant() switch
    {
        "file" => new JsonLinesFileSink(sink),
        "syslog" => new SyslogSink(sink),
        "otlp" => new OtlpHttpSink(sink, (name, count, message) => LogPartial(logger, name, count, message ?? string.Empty)),
        _ => throw new InvalidOperationException($"Unknown audit sink kind '{sink.Kind}'."),
    };

    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(options.AuditExporters.Select(sink => Task.Run(() => RunSinkAsync(sink, stoppingToken), CancellationToken.None)));

    private async Task RunSinkAsync(AuditExporterOptions settings, CancellationToken stoppingToken)
    {
        await using var sink = CreateSink(settings);
        var lease = "audit.export:" + settings.Name;
        var held = false;
        var renewed = 0L;
        var retry = FirstRetry;
        long cursor = -1;
        var caughtUp = true;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!held || System.Diagnostics.Stopwatch.GetElapsedTime(renewed) >= LeaseRenewal)
                {
                    var had = held;
                    held = await leases.TryAcquireAsync(lease, _holder, LeaseTimeToLive, stoppingToken).ConfigureAwait(false);
                    renewed = System.Diagnostics.Stopwatch.GetTimestamp();
                    if (!held)
                    {
                        if (had)
                        {
                            LogLeaseLost(logger, settings.Name);
                        }

                        // Another replica exports this sink; read the cursor afresh if this one takes over later.
                        cursor = -1;
                        await Task.Delay(StandbyPoll, stoppingToken).ConfigureAwait(false);
                        continue;
                    }
                }

                if (cursor < 0)
                {
                    cursor = await cursors.GetAsync(Exporter, settings.Name, stoppingToken).ConfigureAwait(false);
                    LogStarting(logger, settings.Name, settings.Kind, cursor);
                }

                // Taken before reading so an append between the read and the wait still wakes the loop; skipped while
                // working through a backlog, where every read is full and each waiter would only pile up.
                var appended = caughtUp ? ledger.WaitForNewAsync(stoppingToken) : null;
                var batch = new List<AuditEvent>(settings.BatchSize);
                await foreach (var e in ledger.Store.ReadEventsAsync(cursor + 1, cursor + settings.BatchSize, stoppingToken).ConfigureAwait(false))
                {
                    batch.Add(e);
                }

                if (batch.Count == 0)
                {
                    if (appended is not null)
                    {
                        // Events appended by another replica do not wake this one: the poll finds them.
                        await Task.WhenAny(appended, Task.Delay(IdlePoll, stoppingToken)).ConfigureAwait(false);
                    }

                    caughtUp = true;
                    continue;
                }

                await sink.SendAsync(batch, stoppingToken).ConfigureAwait(false);
                await cursors.AdvanceAsync(Exporter, settings.Name, batch[^1].Sequence, stoppingToken).ConfigureAwait(false);
                cursor = batch[^1].Sequence;
                caughtUp = batch.Count < settings.BatchSize;
                retry = FirstRetry;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogFailed(logger, ex, settings.Name, cursor + 1, retry.TotalSeconds);
                try
                {
                    await Task.Delay(retry, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, LastRetry.Ticks));
            }
        }

        if (held)
        {
            // Stopping cleanly: another replica takes the sink over at once instead of after the lease lapses.
            try
            {
                await leases.ReleaseAsync(lease, _holder, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogReleaseFailed(logger, ex, settings.Name);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Audit export to '{Sink}': another replica holds its lease now; this one stands by")]
    private static partial void LogLeaseLost(ILogger logger, string sink);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit export to '{Sink}': its lease could not be released; another replica takes over when it lapses")]
    private static partial void LogReleaseFailed(ILogger logger, Exception exception, string sink);

    [LoggerMessage(Level = LogLevel.Information, Message = "Audit export to '{Sink}' ({Kind}) resumes after sequence {Cursor}")]
    private static partial void LogStarting(ILogger logger, string sink, string kind, long cursor);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit export to '{Sink}' failed at sequence {Sequence}; retrying in {Seconds} s")]
    private static partial void LogFailed(ILogger logger, Exception exception, string sink, long sequence, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit export to '{Sink}': the receiver rejected {Count} records: {Message}")]
    private static partial void LogPartial(ILogger logger, string sink, long count, string message);
}
