using System.Data.Common;
using Dapper;
using Warden.Audit;
using Warden.Data.Identity;

namespace Warden.Data.Audit;

/// <summary>An org's (or the site's) retention period and legal holds.</summary>
/// <param name="Scope">The org's name, or <see cref="AuditDrafts.SiteOrg"/> for site-level events.</param>
/// <param name="Days">Events older than this many days are erased; null keeps them forever.</param>
/// <param name="UpdatedAt">When the period was last set (null: never).</param>
/// <param name="UpdatedBy">Who set it.</param>
/// <param name="Holds">Legal holds, active ones first.</param>
public sealed record AuditRetention(string Scope, int? Days, DateTimeOffset? UpdatedAt, string? UpdatedBy, IReadOnlyList<LegalHold> Holds);

/// <summary>A legal hold: while active, nothing of the org's trail (or, on the site, of the whole ledger) is erased.</summary>
public sealed record LegalHold(string Id, string Reason, DateTimeOffset CreatedAt, string CreatedBy, DateTimeOffset? ReleasedAt, string? ReleasedBy)
{
    /// <summary>Whether the hold still applies.</summary>
    public bool IsActive => ReleasedAt is null;
}

/// <summary>A batch of events to erase under one retention record.</summary>
/// <param name="OrgId">The org whose events they are (<see cref="AuditDrafts.SiteOrg"/> for site-level events).</param>
/// <param name="Days">The retention period applied.</param>
/// <param name="Cutoff">Events before this time were eligible.</param>
/// <param name="Events">Sequence and stored hash of each, ascending.</param>
public sealed record ErasurePlan(string OrgId, int Days, DateTimeOffset Cutoff, IReadOnlyList<(long Sequence, AuditHash Hash)> Events);

/// <summary>
/// Retention settings, legal holds, and the two storage operations retention performs on the ledger: erasing the
/// content of events past their org's period (<see cref="PlanErasuresAsync"/>, <see cref="EraseAsync"/>) and removing
/// a fully erased prefix up to a checkpoint (<see cref="PlanCompactionAsync"/>, <see cref="CompactAsync"/>).
/// The ledger is one chain across orgs, so an erased event keeps its sequence, time, org and hashes and the chain
/// still links through it; see <see cref="Warden.Audit.Verification.ErasureAccounting"/> for how verification
/// accounts for it. The order of operations (record first, then erase) is the retention service's.
/// </summary>
/// <remarks>
/// Who may do what: an org's owners and admins set its period and release its holds; owners, admins and auditors
/// place holds and read the settings. The site's period, site-wide holds and running retention are for site
/// administrators.
/// </remarks>
public sealed class AuditRetentionStore(ConnectionFactory connections, TimeProvider time, IAuditRecorder? audit = null)
{
    /// <summary>The longest period accepted (100 years).</summary>
    public const int MaxDays = 36_500;

    private const string RecordActions = "('" + AuditActions.RetentionErase + "', '" + AuditActions.RetentionCompact + "')";

    private readonly IAuditRecorder _audit = audit ?? NullAuditRecorder.Instance;

    /// <summary>The retention period and holds of <paramref name="org"/> (an org name, or <see cref="AuditDrafts.SiteOrg"/>).</summary>
    public async Task<AuditRetention> GetAsync(Actor actor, string org, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var (orgId, _) = await ResolveAsync(connection, actor, org, Need.Read).ConfigureAwait(false);
        return await ReadAsync(connection, org, orgId).ConfigureAwait(false);
    }

    /// <summary>Sets (or, with null, clears) the retention period in days.</summary>
    public async Task<AuditRetention> SetAsync(Actor actor, string org, int? days, CancellationToken cancellationToken = default)
    {
        if (days is < 1 or > MaxDays)
        {
            throw WardenException.Invalid($"The retention period must be between 1 and {MaxDays} days (or none, to keep events forever).");
        }

        string orgId;
        int? before;
        await using (var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            (orgId, _) = await ResolveAsync(connection, actor, org, Need.Manage).ConfigureAwait(false);
            before = await connection.ExecuteScalarAsync<int?>("SELECT days FROM audit_retention WHERE org_id = @orgId", new { orgId }).ConfigureAwait(false);
            if (days is null)
            {
                await connection.ExecuteAsync("DELETE FROM audit_retention WHERE org_id = @orgId", new { orgId }).ConfigureAwait(false);
            }
            else
            {
                await connection.ExecuteAsync(
                    "INSERT INTO audit_retention (org_id, days, updated_at, updated_by) VALUES (@orgId, @days, @at, @by) " +
                    "ON CONFLICT (org_id) DO UPDATE SET days = excluded.days, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                    new { orgId, days, at = Time.Ms(time.GetUtcNow()), by = actor.Name }).ConfigureAwait(false);
            }
        }

        await _audit.RecordAsync(AuditDrafts.For(actor, orgId, AuditActions.RetentionSet, "audit_retention", orgId,
            new Dictionary<string, string?> { ["days"] = days?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "forever", ["before"] = before?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "forever" }),
            cancellationToken).ConfigureAwait(false);
        return await GetAsync(actor, org, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Places a legal hold on <paramref name="org"/>'s trail (on the site: the whole ledger).</summary>
    public async Task<LegalHold> PlaceHoldAsync(Actor actor, string org, string reason, CancellationToken cancellationToken = default)
    {
        reason = Names.RequireText("hold reason", reason, 500);
        var hold = new LegalHold(Ids.New("hold"), reason, time.GetUtcNow(), actor.Name, null, null);
        string orgId;
        await using (var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            (orgId, _) = await ResolveAsync(connection, actor, org, Need.Hold).ConfigureAwait(false);
            await connection.ExecuteAsync(
                "INSERT INTO audit_legal_holds (id, org_id, reason, created_at, created_by) VALUES (@Id, @orgId, @Reason, @at, @CreatedBy)",
                new { hold.Id, orgId, hold.Reason, at = Time.Ms(hold.CreatedAt), hold.CreatedBy }).ConfigureAwait(false);
        }

        await _audit.RecordAsync(AuditDrafts.For(actor, orgId, AuditActions.LegalHoldPlace, "legal_hold", hold.Id,
            new Dictionary<string, string?> { ["reason"] = hold.Reason }), cancellationToken).ConfigureAwait(false);
        return hold;
    }

    /// <summary>Releases a hold; releasing twice is not an error, another org's hold is 404.</summary>
    public async Task<LegalHold> ReleaseHoldAsync(Actor actor, string org, string holdId, CancellationToken cancellationToken = default)
    {
        string orgId;
        LegalHold hold;
        await using (var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            (orgId, _) = await ResolveAsync(connection, actor, org, Need.Manage).ConfigureAwait(false);
            hold = (await connection.QuerySingleOrDefaultAsync<HoldRow>(
                "SELECT id, reason, created_at, created_by, released_at, released_by FROM audit_legal_holds WHERE id = @holdId AND org_id = @orgId",
                new { holdId, orgId }).ConfigureAwait(false))?.ToHold() ?? throw WardenException.NotFound("Legal hold", holdId);
            if (!hold.IsActive)
            {
                return hold;
            }

            hold = hold with { ReleasedAt = time.GetUtcNow(), ReleasedBy = actor.Name };
            await connection.ExecuteAsync(
                "UPDATE audit_legal_holds SET released_at = @at, released_by = @by WHERE id = @holdId AND released_at IS NULL",
                new { at = Time.Ms(hold.ReleasedAt!.Value), by = actor.Name, holdId }).ConfigureAwait(false);
        }

        await _audit.RecordAsync(AuditDrafts.For(actor, orgId, AuditActions.LegalHoldRelease, "legal_hold", hold.Id,
            new Dictionary<string, string?> { ["reason"] = hold.Reason }), cancellationToken).ConfigureAwait(false);
        return hold;
    }

    /// <summary>
    /// The next batches to erase as of <paramref name="now"/>: for each org (and the site) with a period and no active
    /// hold (and no site-wide hold), its events older than the period, covered by a checkpoint (sequence ≤
    /// <paramref name="anchoredThrough"/>), not yet erased and not retention records themselves; site-level events of
    /// members of an org under hold are kept. At most <paramref name="maxPerPlan"/> events per batch.
    /// </summary>
    public async Task<IReadOnlyList<ErasurePlan>> PlanErasuresAsync(DateTimeOffset now, long anchoredThrough, int maxPerPlan = 10_000, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        if (await SiteHeldAsync(connection, null).ConfigureAwait(false))
        {
            return [];
        }

        var plans = new List<ErasurePlan>();
        var periods = await connection.QueryAsync<(string OrgId, int Days)>(
            "SELECT org_id, days FROM audit_retention r WHERE NOT EXISTS (SELECT 1 FROM audit_legal_holds h WHERE h.org_id = r.org_id AND h.released_at IS NULL) ORDER BY org_id").ConfigureAwait(false);
        foreach (var (orgId, days) in periods)
        {
            var cutoff = now - TimeSpan.FromDays(days);
            // Oldest first by (ts, seq), the order of ix_audit_events_org_ts, so the scan stops at the limit. Ledger time
            // never decreases along the chain, so that is sequence order; the batch is sorted by sequence regardless,
            // as the erase record's digest requires.
            var rows = await connection.QueryAsync<(long Seq, byte[] Hash)>(
                "SELECT seq, hash FROM audit_events WHERE org_id = @orgId AND ts < @cutoff AND seq <= @anchoredThrough AND erased_by IS NULL " +
                "AND action NOT IN " + RecordActions + HeldMembersClause(orgId) + " ORDER BY ts, seq LIMIT @max",
                new { orgId, cutoff = Time.Ms(cutoff), anchoredThrough, max = maxPerPlan }).ConfigureAwait(false);
            var events = rows.Select(r => (r.Seq, new AuditHash(r.Hash))).OrderBy(e => e.Seq).ToList();
            if (events.Count > 0)
            {
                plans.Add(new ErasurePlan(orgId, days, cutoff, events));
            }
        }

        return plans;
    }

    /// <summary>
    /// Erases the planned events' content in one transaction, naming <paramref name="recordSequence"/> (the durable
    /// <c>audit.retention.erase</c> event that digests them) in each. Writes nothing and returns false when any of
    /// them changed since planning or a hold now covers them: the record then stands for an erasure not applied.
    /// </summary>
    public Task<bool> EraseAsync(ErasurePlan plan, long recordSequence, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        // On SQLite a long erasure takes its turn among the server's queued writes instead of meeting them in the busy handler.
        return connections.ExclusiveWriteAsync(() => EraseNowAsync(plan, recordSequence, cancellationToken), cancellationToken);
    }

    private async Task<bool> EraseNowAsync(ErasurePlan plan, long recordSequence, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        if (connections.Dialect == SqlDialect.Postgres)
        {
            // The same lock the ledger's appends take, so erasure never interleaves with a chain check.
            await connection.ExecuteAsync("SELECT pg_advisory_xact_lock(7263537)", transaction: tx).ConfigureAwait(false);
        }

        if (await SiteHeldAsync(connection, tx).ConfigureAwait(false)
            || await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_legal_holds WHERE org_id = @OrgId AND released_at IS NULL", new { plan.OrgId }, tx).ConfigureAwait(false) > 0)
        {
            return false;
        }

        // Dapper expands a list into IN (...) for SQLite; Npgsql takes the array as one parameter.
        var inList = connections.Dialect == SqlDialect.Postgres ? "seq = ANY(@seqs)" : "seq IN @seqs";
        var erased = 0;
        foreach (var chunk in plan.Events.Chunk(500))
        {
            var seqs = chunk.Select(e => e.Sequence).ToArray();
            erased += await connection.ExecuteAsync(
                "UPDATE audit_events SET body = @empty, erased_by = @recordSequence, actor_kind = '', actor_id = '', action = '', resource_type = NULL, resource_id = NULL, " +
                "session_id = NULL, vendor = '', outcome = '' WHERE " + inList + " AND org_id = @OrgId AND erased_by IS NULL" + HeldMembersClause(plan.OrgId),
                new { empty = Array.Empty<byte>(), recordSequence, seqs, plan.OrgId }, tx).ConfigureAwait(false);
        }

        if (erased != plan.Events.Count)
        {
            await tx.RollbackAsync(cancellationToken).ConfigureAwait(false);
            return false;
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// The checkpoint boundary up to which every stored event is erased (or is a retention record, whose erased
    /// events all come before it), beyond what is already pruned; null when there is nothing to remove.
    /// </summary>
    public async Task<long?> PlanCompactionAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var pruned = await SqlAuditLedgerStore.ReadPrunedThroughAsync(connection, null, cancellationToken).ConfigureAwait(false);
        var firstKept = await connection.ExecuteScalarAsync<long?>(
            "SELECT seq FROM audit_events WHERE erased_by IS NULL AND action NOT IN " + RecordActions + " ORDER BY seq LIMIT 1").ConfigureAwait(false);
        if (firstKept is null)
        {
            return null;
        }

        var boundary = await connection.ExecuteScalarAsync<long?>(
            "SELECT MAX(to_seq) FROM audit_checkpoints WHERE to_seq < @firstKept", new { firstKept }).ConfigureAwait(false);
        return boundary is { } b && b > pruned ? b : null;
    }

    /// <summary>
    /// Removes events up to <paramref name="throughSequence"/> (a checkpoint's end) in one transaction and records
    /// where the stored chain now starts. Writes nothing and returns false when an event in the range is not erased.
    /// The <c>audit.retention.compact</c> record must already be durable.
    /// </summary>
    public Task<bool> CompactAsync(long throughSequence, CancellationToken cancellationToken = default) =>
        connections.ExclusiveWriteAsync(() => CompactNowAsync(throughSequence, cancellationToken), cancellationToken);

    private async Task<bool> CompactNowAsync(long throughSequence, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        if (connections.Dialect == SqlDialect.Postgres)
        {
            await connection.ExecuteAsync("SELECT pg_advisory_xact_lock(7263537)", transaction: tx).ConfigureAwait(false);
        }

        var kept = await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM audit_events WHERE seq <= @throughSequence AND erased_by IS NULL AND action NOT IN " + RecordActions,
            new { throughSequence }, tx).ConfigureAwait(false);
        var isCheckpoint = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_checkpoints WHERE to_seq = @throughSequence", new { throughSequence }, tx).ConfigureAwait(false);
        if (kept > 0 || isCheckpoint == 0)
        {
            return false;
        }

        await connection.ExecuteAsync("DELETE FROM audit_events WHERE seq <= @throughSequence", new { throughSequence }, tx).ConfigureAwait(false);
        await connection.ExecuteAsync(
            "INSERT INTO settings (key, value) VALUES (@key, @value) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            new { key = SqlAuditLedgerStore.PrunedThroughSetting, value = throughSequence.ToString(System.Globalization.CultureInfo.InvariantCulture) }, tx).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>For site-level events: leave out those of members of an org under an active hold.</summary>
    private static string HeldMembersClause(string orgId) => orgId != AuditDrafts.SiteOrg
        ? string.Empty
        : " AND actor_id NOT IN (SELECT m.user_id FROM org_members m JOIN audit_legal_holds h ON h.org_id = m.org_id WHERE h.released_at IS NULL)";

    private static async Task<bool> SiteHeldAsync(DbConnection connection, DbTransaction? tx) =>
        await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM audit_legal_holds WHERE org_id = @site AND released_at IS NULL", new { site = AuditDrafts.SiteOrg }, tx).ConfigureAwait(false) > 0;

    private static async Task<AuditRetention> ReadAsync(DbConnection connection, string scope, string orgId)
    {
        var period = await connection.QuerySingleOrDefaultAsync<PeriodRow>(
            "SELECT days, updated_at, updated_by FROM audit_retention WHERE org_id = @orgId", new { orgId }).ConfigureAwait(false);
        var holds = await connection.QueryAsync<HoldRow>(
            "SELECT id, reason, created_at, created_by, released_at, released_by FROM audit_legal_holds WHERE org_id = @orgId " +
            "ORDER BY CASE WHEN released_at IS NULL THEN 0 ELSE 1 END, created_at DESC, id DESC", new { orgId }).ConfigureAwait(false);
        return new AuditRetention(scope, period?.Days, period is null ? null : Time.At(period.UpdatedAt), period?.UpdatedBy, holds.Select(h => h.ToHold()).ToList());
    }

    private enum Need
    {
        Read,
        Hold,
        Manage,
    }

    private static async Task<(string OrgId, Role Role)> ResolveAsync(DbConnection connection, Actor actor, string org, Need need)
    {
        if (org == AuditDrafts.SiteOrg)
        {
            if (!actor.IsSiteAdmin)
            {
                throw WardenException.Forbidden("Only site administrators may read or change the site's audit retention.");
            }

            return (AuditDrafts.SiteOrg, Role.Owner);
        }

        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        var allowed = need switch
        {
            Need.Manage => access.Role.CanManage(),
            _ => access.Role.CanManage() || access.Role == Role.Auditor,
        };
        if (!allowed)
        {
            throw WardenException.Forbidden(need == Need.Manage
                ? $"Changing the audit retention of '{org}' needs the owner or admin role."
                : $"Audit retention and legal holds of '{org}' need the owner, admin or auditor role.");
        }

        return (access.OrgId, access.Role);
    }

    private sealed class HoldRow
    {
        public string Id { get; set; } = string.Empty;
        public string Reason { get; set; } = string.Empty;
        public long CreatedAt { get; set; }
        public string CreatedBy { get; set; } = string.Empty;
        public long? ReleasedAt { get; set; }
        public string? ReleasedBy { get; set; }

        public LegalHold ToHold() => new(Id, Reason, Time.At(CreatedAt), CreatedBy, Time.At(ReleasedAt), ReleasedBy);
    }

    private sealed class PeriodRow
    {
        public int Days { get; set; }
        public long UpdatedAt { get; set; }
        public string UpdatedBy { get; set; } = string.Empty;
    }
}
