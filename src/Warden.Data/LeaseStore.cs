using Dapper;
using Warden.Data.Identity;

namespace Warden.Data;

/// <summary>
/// Named leases in the database, so that with several server replicas on one database a piece of singleton work (an
/// audit exporter's sink, the retention schedule) runs on one replica at a time, and moves to another when the one
/// holding it stops or dies. A lease is held until its expiry; the holder renews it while it works; anyone may take
/// it once it has lapsed. Expiry is judged by the clock of the replica that asks, so replicas' clocks should agree to
/// well within the lease's time to live.
/// </summary>
/// <remarks>
/// A lease is not a fence: a holder that stalls past its expiry may still finish the step it was in while another
/// replica already started. Work guarded by a lease must tolerate that overlap (exporters deliver at least once and
/// their cursors only move forward; a retention erasure applies only to events still unerased).
/// </remarks>
public sealed class LeaseStore(ConnectionFactory connections, TimeProvider time)
{
    /// <summary>A holder name unique to one component of one server process (host, process id, random part).</summary>
    public static string NewHolder() => $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";

    /// <summary>
    /// Takes or renews <paramref name="name"/> for <paramref name="holder"/> until now + <paramref name="timeToLive"/>;
    /// returns false when another holder's lease has not lapsed.
    /// </summary>
    public async Task<bool> TryAcquireAsync(string name, string holder, TimeSpan timeToLive, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(holder);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeToLive, TimeSpan.Zero);
        var now = Time.Ms(time.GetUtcNow());
        var until = now + (long)timeToLive.TotalMilliseconds;
        var changed = await connections.WriteAsync((connection, tx) => connection.ExecuteAsync(
            """
            INSERT INTO leases (name, holder, expires_at) VALUES (@name, @holder, @until)
            ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
            WHERE leases.holder = excluded.holder OR leases.expires_at <= @now
            """,
            new { name, holder, until, now }, tx), cancellationToken).ConfigureAwait(false);
        return changed == 1;
    }

    /// <summary>Gives up <paramref name="name"/> if <paramref name="holder"/> holds it, so another replica takes over at once.</summary>
    public Task ReleaseAsync(string name, string holder, CancellationToken cancellationToken = default) =>
        connections.WriteAsync((connection, tx) => connection.ExecuteAsync(
            "DELETE FROM leases WHERE name = @name AND holder = @holder", new { name, holder }, tx), cancellationToken);

    /// <summary>Who holds <paramref name="name"/> now, or null when nobody does (never taken, released or lapsed).</summary>
    public async Task<string?> HolderAsync(string name, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<string?>(
            "SELECT holder FROM leases WHERE name = @name AND expires_at > @now", new { name, now = Time.Ms(time.GetUtcNow()) }).ConfigureAwait(false);
    }
}
