using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Warden.Audit;
using Warden.Audit.Verification;
using Warden.Data;
using Warden.Data.Audit;
using Warden.Data.Identity;
using Warden.Server.Hosting;

namespace Warden.Server.Audit;

/// <summary>What one retention run did (or, for a dry run, would do).</summary>
/// <param name="DryRun">Nothing was written.</param>
/// <param name="Erasures">Per batch: the org, its period, the cutoff, how many events, and whether it was applied.</param>
/// <param name="PrunedThrough">Where the stored chain starts after the run (0: nothing pruned).</param>
/// <param name="CompactedThrough">The prefix this run removed (or would remove), if any.</param>
public sealed record AuditRetentionRun(bool DryRun, IReadOnlyList<AuditErasureResult> Erasures, long PrunedThrough, long? CompactedThrough);

/// <summary>One erasure batch of a retention run.</summary>
public sealed record AuditErasureResult(string OrgId, int Days, DateTimeOffset Cutoff, int Events, long? RecordSequence, bool Applied);

/// <summary>
/// Runs audit retention on the server that holds the ledger's writer: for each org with a period and no legal hold,
/// erases the content of its events older than the period, then removes a prefix of the chain that is entirely
/// erased up to a checkpoint. The order keeps the ledger verifiable at every point, including after a crash:
/// <list type="number">
/// <item>sign a checkpoint, so only events a signed checkpoint covers are erased (their hashes cannot be forged);</item>
/// <item>append an <c>audit.retention.erase</c> record stating the batch's count, range and digest, and sign a
/// checkpoint over it (an unanchored record accounts for nothing);</item>
/// <item>erase the batch in one transaction (all or nothing: an interrupted erasure leaves a record that erased
/// nothing, which verification accepts);</item>
/// <item>for compaction, likewise: the <c>audit.retention.compact</c> record first, then the deletion.</item>
/// </list>
/// </summary>
public sealed partial class AuditRetentionService(
    WardenServerOptions options,
    AuditLedger ledger,
    AuditRetentionStore store,
    LeaseStore leases,
    TimeProvider time,
    ILogger<AuditRetentionService> logger) : BackgroundService
{
    private static readonly Actor Scheduler = Actor.System("audit-retention");
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private readonly string _holder = LeaseStore.NewHolder();

    /// <summary>The most erasure batches one run makes, so a run always ends; the next run goes on.</summary>
    public int MaxBatchesPerRun { get; init; } = 1_000;

    /// <summary>Events per erasure record.</summary>
    public int BatchSize { get; init; } = 10_000;

    /// <summary>Runs retention now as <paramref name="actor"/> (a site administrator), or only reports what it would do.</summary>
    public async Task<AuditRetentionRun> RunAsync(Actor actor, bool dryRun, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(actor);
        if (!actor.IsSiteAdmin)
        {
            throw WardenException.Forbidden("Only site administrators may run audit retention.");
        }

        await _oneAtATime.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await RunLockedAsync(actor, dryRun, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    private async Task<AuditRetentionRun> RunLockedAsync(Actor actor, bool dryRun, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var results = new List<AuditErasureResult>();
        if (!dryRun)
        {
            await ledger.CheckpointAsync(cancellationToken).ConfigureAwait(false);
        }

        // A real run has just signed a checkpoint over everything; a dry run plans as if it had.
        var anchored = dryRun
            ? ledger.LastSequence
            : (await ledger.Store.GetLastCheckpointAsync(cancellationToken).ConfigureAwait(false))?.ToSequence ?? 0;
        for (var batch = 0; batch < MaxBatchesPerRun;)
        {
            var plans = await store.PlanErasuresAsync(now, anchored, BatchSize, cancellationToken).ConfigureAwait(false);
            if (plans.Count == 0)
            {
                break;
            }

            if (dryRun)
            {
                results.AddRange(plans.Select(p => new AuditErasureResult(p.OrgId, p.Days, p.Cutoff, p.Events.Count, null, false)));
                break;
            }

            foreach (var plan in plans)
            {
                batch++;
                var record = await ledger.AppendAsync(EraseRecord(actor, plan), cancellationToken).ConfigureAwait(false);
                await ledger.CheckpointAsync(cancellationToken).ConfigureAwait(false);
                var applied = await store.EraseAsync(plan, record.Sequence, cancellationToken).ConfigureAwait(false);
                results.Add(new AuditErasureResult(plan.OrgId, plan.Days, plan.Cutoff, plan.Events.Count, record.Sequence, applied));
                LogErased(logger, plan.Events.Count, plan.OrgId, plan.Days, record.Sequence, applied);
                if (!applied)
                {
                    // A hold arrived or events changed meanwhile: stop here; the next run plans afresh.
                    return await FinishAsync(results, null, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        var compactable = await store.PlanCompactionAsync(cancellationToken).ConfigureAwait(false);
        if (compactable is { } through && !dryRun)
        {
            var record = await ledger.AppendAsync(new AuditEventDraft
            {
                OrgId = AuditDrafts.SiteOrg,
                Actor = AuditDrafts.ActorOf(actor),
                Action = AuditActions.RetentionCompact,
                Resource = new AuditResource("audit_ledger", ledger.LedgerId),
                Outcome = AuditOutcome.Success,
                Details = JsonSerializer.SerializeToElement(new Dictionary<string, long> { ["through_seq"] = through }),
            }, cancellationToken).ConfigureAwait(false);
            await ledger.CheckpointAsync(cancellationToken).ConfigureAwait(false);
            var done = await store.CompactAsync(through, cancellationToken).ConfigureAwait(false);
            LogCompacted(logger, through, record.Sequence, done);
            compactable = done ? through : null;
        }

        return await FinishAsync(results, compactable, cancellationToken).ConfigureAwait(false);

        async Task<AuditRetentionRun> FinishAsync(List<AuditErasureResult> erasures, long? compacted, CancellationToken ct) =>
            new(dryRun, erasures, await ledger.Store.GetPrunedThroughAsync(ct).ConfigureAwait(false), compacted);
    }

    private static AuditEventDraft EraseRecord(Actor actor, ErasurePlan plan)
    {
        var details = new Dictionary<string, object>
        {
            ["days"] = plan.Days,
            ["cutoff"] = plan.Cutoff.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            ["count"] = plan.Events.Count,
            ["first_seq"] = plan.Events[0].Sequence,
            ["last_seq"] = plan.Events[^1].Sequence,
            ["digest"] = ErasureAccounting.ComputeDigest(plan.Events),
        };
        return new AuditEventDraft
        {
            OrgId = plan.OrgId,
            Actor = AuditDrafts.ActorOf(actor),
            Action = AuditActions.RetentionErase,
            Resource = new AuditResource("audit_retention", plan.OrgId),
            Outcome = AuditOutcome.Success,
            Details = JsonSerializer.SerializeToElement(details),
        };
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.AuditRetentionInterval <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            await Task.Delay(TimeSpan.FromMinutes(1), time, stoppingToken).ConfigureAwait(false);
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    // With several replicas, the first to reach its turn in an interval runs it; the others skip it.
                    if (await leases.TryAcquireAsync("audit.retention", _holder, options.AuditRetentionInterval * 0.9, stoppingToken).ConfigureAwait(false))
                    {
                        await RunAsync(Scheduler, dryRun: false, stoppingToken).ConfigureAwait(false);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogFailed(logger, ex);
                }

                await Task.Delay(options.AuditRetentionInterval, time, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Audit retention erased {Count} events of org {OrgId} older than {Days} days (record {Record}, applied: {Applied}).")]
    private static partial void LogErased(ILogger logger, int count, string orgId, int days, long record, bool applied);

    [LoggerMessage(Level = LogLevel.Information, Message = "Audit retention pruned the ledger through sequence {Through} (record {Record}, applied: {Applied}).")]
    private static partial void LogCompacted(ILogger logger, long through, long record, bool applied);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit retention failed; it runs again at the next interval.")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
