using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Warden.Audit;
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
/// and nothing that was not durable is. With several replicas on one database, configure sinks on one of them only.
/// Retry waits use real time on purpose: they pace I/O against a remote system, not ledger time.
/// </remarks>
public sealed partial class AuditExportService(
    WardenServerOptions options,
    AuditLedger ledger,
    AuditExportCursorStore cursors,
    ILogger<AuditExportService> logger) : BackgroundService
{
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
        var retry = FirstRetry;
        long cursor = -1;
        var caughtUp = true;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
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
                return;
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
                    return;
                }

                retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, LastRetry.Ticks));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Audit export to '{Sink}' ({Kind}) resumes after sequence {Cursor}")]
    private static partial void LogStarting(ILogger logger, string sink, string kind, long cursor);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit export to '{Sink}' failed at sequence {Sequence}; retrying in {Seconds} s")]
    private static partial void LogFailed(ILogger logger, Exception exception, string sink, long sequence, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit export to '{Sink}': the receiver rejected {Count} records: {Message}")]
    private static partial void LogPartial(ILogger logger, string sink, long count, string message);
}
