using Dapper;
using Warden.Data.Identity;

namespace Warden.Data.Audit;

/// <summary>
/// Where each audit exporter sink got to: the last ledger sequence the sink acknowledged. The exporter advances it only
/// after the sink accepted a batch, so after a restart it re-sends at most what was in flight (at-least-once).
/// </summary>
public sealed class AuditExportCursorStore(ConnectionFactory connections, TimeProvider time)
{
    /// <summary>The last exported sequence for <paramref name="sink"/>, 0 when it has exported nothing.</summary>
    public async Task<long> GetAsync(Actor actor, string sink, CancellationToken cancellationToken = default)
    {
        RequireSiteAdmin(actor);
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<long?>("SELECT last_seq FROM audit_export_cursors WHERE sink = @sink", new { sink }).ConfigureAwait(false) ?? 0;
    }

    /// <summary>Moves the cursor forward to <paramref name="lastSequence"/>; never backwards.</summary>
    public async Task AdvanceAsync(Actor actor, string sink, long lastSequence, CancellationToken cancellationToken = default)
    {
        RequireSiteAdmin(actor);
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(
            """
            INSERT INTO audit_export_cursors (sink, last_seq, updated_at) VALUES (@sink, @lastSequence, @at)
            ON CONFLICT (sink) DO UPDATE SET last_seq = excluded.last_seq, updated_at = excluded.updated_at
            WHERE audit_export_cursors.last_seq < excluded.last_seq
            """,
            new { sink, lastSequence, at = time.GetUtcNow().ToUnixTimeMilliseconds() }).ConfigureAwait(false);
    }

    private static void RequireSiteAdmin(Actor actor)
    {
        // Cursors span every org's events; only the exporter's system actor (a site-wide actor) moves them.
        if (!actor.IsSiteAdmin)
        {
            throw WardenException.Forbidden("Only the audit exporter may read or move export cursors.");
        }
    }
}
