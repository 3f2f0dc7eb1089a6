using System.Data;
using System.Data.Common;
using System.Text;
using Warden.Data.Identity;

namespace Warden.Data.Audit;

/// <summary>
/// Reads the ledger for people. An org's trail is its own events plus the user-level events (sign-in, tokens) of its
/// members; owners, admins and auditors may read it, other roles get 403, non-members 404. The whole ledger, across
/// orgs, is for site administrators. Events retention erased are not found (only their place in the chain remains).
/// </summary>
public sealed class AuditQueryStore(ConnectionFactory connections)
{
    private const string Columns = "prev_hash, hash, body";

    /// <summary>Searches one org's trail, or the whole ledger when <paramref name="org"/> is null.</summary>
    public async Task<AuditPage> SearchAsync(Actor actor, string? org, AuditQuery query, CancellationToken cancellationToken = default)
    {
        if (query.Limit is < 1 or > AuditQuery.MaxLimit)
        {
            throw WardenException.Invalid($"limit must be between 1 and {AuditQuery.MaxLimit}.");
        }

        if (query.Before is not null && query.After is not null)
        {
            throw WardenException.Invalid("Use either before or after, not both.");
        }

        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = connection.CreateCommand();
        var filters = new StringBuilder(" AND erased_by IS NULL");
        Filter(cmd, filters, "ts >= @from", "from", query.From?.ToUnixTimeMilliseconds());
        Filter(cmd, filters, "ts < @to", "to", query.To?.ToUnixTimeMilliseconds());
        Filter(cmd, filters, "actor_id = @actor", "actor", query.Actor);
        Filter(cmd, filters, "resource_type = @rt", "rt", query.ResourceType);
        Filter(cmd, filters, "resource_id = @rid", "rid", query.ResourceId);
        Filter(cmd, filters, "session_id = @session", "session", query.Session);
        Filter(cmd, filters, "vendor = @vendor", "vendor", query.Vendor);
        Filter(cmd, filters, "outcome = @outcome", "outcome", query.Outcome);
        if (query.Action is { Length: > 0 } action)
        {
            if (action.EndsWith('*'))
            {
                // Escape LIKE's own wildcards so "a_b.*" matches literally.
                var prefix = action[..^1].Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);
                Filter(cmd, filters, "action LIKE @action ESCAPE '\\'", "action", prefix + "%");
            }
            else
            {
                Filter(cmd, filters, "action = @action", "action", action);
            }
        }

        Filter(cmd, filters, "seq < @before", "before", query.Before);
        Filter(cmd, filters, "seq > @after", "after", query.After);
        var order = query.After is null ? "DESC" : "ASC";
        var limit = (query.Limit + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (org is null)
        {
            SiteScope(actor);
            cmd.CommandText = $"SELECT {Columns} FROM audit_events WHERE 1 = 1{filters} ORDER BY seq {order} LIMIT {limit}";
        }
        else
        {
            // An org's trail is two sets: its own events and its members' site-level events. Each is read newest (or
            // oldest) first through its own index and cut at the page size, then the two are merged; one query with an
            // OR of both would read and sort all of the org's events for every page. Ledger time never decreases along
            // the chain, so (ts, seq) order is sequence order and the (org_id, ts) index serves it; the cursor's own
            // time bounds the index range.
            Filter(cmd, filters, order == "DESC" ? "ts <= COALESCE((SELECT c.ts FROM audit_events c WHERE c.seq = @before), @maxTs)" : "ts >= COALESCE((SELECT c.ts FROM audit_events c WHERE c.seq = @after), 0)",
                "maxTs", query.Before is not null ? long.MaxValue : query.After is not null ? (object)0L : null);
            var orgId = await OrgScopeAsync(connection, actor, org).ConfigureAwait(false);
            SqlAuditLedgerStore.Add(cmd, "orgId", orgId);
            string Branch(string scope) =>
                $"SELECT * FROM (SELECT seq, {Columns} FROM audit_events WHERE {scope}{filters} ORDER BY ts {order}, seq {order} LIMIT {limit}) b";
            cmd.CommandText =
                $"SELECT {Columns} FROM ({Branch("org_id = @orgId")} UNION ALL " +
                $"{Branch($"org_id = '{AuditDrafts.SiteOrg}' AND actor_id IN (SELECT user_id FROM org_members WHERE org_id = @orgId)")}) u " +
                $"ORDER BY seq {order} LIMIT {limit}";
        }

        var events = new List<Warden.Audit.AuditEvent>(Math.Min(query.Limit + 1, 128));
        await using (var reader = await cmd.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                events.Add(SqlAuditLedgerStore.ReadEvent(reader, 0));
            }
        }

        var more = events.Count > query.Limit;
        if (more)
        {
            events.RemoveAt(events.Count - 1);
        }

        return new AuditPage(events, more ? events[^1].Sequence : null);
    }

    /// <summary>One event by sequence, within the same scope rules as <see cref="SearchAsync"/>.</summary>
    public async Task<Warden.Audit.AuditEvent> GetAsync(Actor actor, string? org, long sequence, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = connection.CreateCommand();
        var sql = new StringBuilder("SELECT ").Append(Columns).Append(" FROM audit_events WHERE seq = @seq AND erased_by IS NULL");
        SqlAuditLedgerStore.Add(cmd, "seq", sequence);
        await ScopeAsync(connection, cmd, sql, actor, org).ConfigureAwait(false);
        cmd.CommandText = sql.ToString();
        await using var reader = await cmd.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? SqlAuditLedgerStore.ReadEvent(reader, 0)
            : throw WardenException.NotFound("Audit event", sequence.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    private static void SiteScope(Actor actor)
    {
        if (!actor.IsSiteAdmin)
        {
            throw WardenException.Forbidden("Only site administrators may read the whole ledger; read an org's trail instead.");
        }
    }

    /// <summary>The org's id, once <paramref name="actor"/> is found to be allowed to read its trail.</summary>
    private static async Task<string> OrgScopeAsync(DbConnection connection, Actor actor, string org)
    {
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        if (access.Role is not (Role.Owner or Role.Admin or Role.Auditor))
        {
            throw WardenException.Forbidden($"Reading the audit trail of '{org}' needs the owner, admin or auditor role.");
        }

        return access.OrgId;
    }

    private static async Task ScopeAsync(DbConnection connection, DbCommand cmd, StringBuilder sql, Actor actor, string? org)
    {
        if (org is null)
        {
            SiteScope(actor);
            return;
        }

        var orgId = await OrgScopeAsync(connection, actor, org).ConfigureAwait(false);
        sql.Append(" AND (org_id = @orgId OR (org_id = '").Append(AuditDrafts.SiteOrg)
           .Append("' AND actor_id IN (SELECT user_id FROM org_members WHERE org_id = @orgId)))");
        SqlAuditLedgerStore.Add(cmd, "orgId", orgId);
    }

    private static void Filter(DbCommand cmd, StringBuilder sql, string clause, string name, object? value)
    {
        if (value is null)
        {
            return;
        }

        sql.Append(" AND ").Append(clause);
        SqlAuditLedgerStore.Add(cmd, name, value);
    }
}
