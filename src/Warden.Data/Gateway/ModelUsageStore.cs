using System.Data.Common;
using System.Text;
using Dapper;
using Warden.Data.Identity;
using Warden.Data.Security;

namespace Warden.Data.Gateway;

/// <summary>
/// Usage rows (one per gateway call: tokens, cost, latency, outcome) and optional prompt/response captures, sealed
/// under the master key and purged after their retention. The gateway writes in batches off the request path.
/// Owners, admins and auditors read an org's usage; members read their own keys' usage.
/// </summary>
public sealed class ModelUsageStore(ConnectionFactory connections, SecretBox secrets, TimeProvider time)
{
    /// <summary>Writes a batch of usage rows and captures in one transaction.</summary>
    public async Task InsertAsync(IReadOnlyList<ModelUsageRecord> usage, IReadOnlyList<ModelCapture> captures, CancellationToken cancellationToken = default)
    {
        if (usage.Count == 0 && captures.Count == 0)
        {
            return;
        }

        // Sealing captures is CPU work: done before joining the writers, which hold the write lock.
        var usageRows = usage.Select(u => new
        {
            u.Id, u.OrgId, u.KeyId, u.UserId, u.TeamId, u.Route, u.Provider, u.Model, u.Client, u.Status, u.Outcome, u.InputTokens, u.OutputTokens,
            u.CachedTokens, u.CostMicros, u.LatencyMs, streamed = u.Streamed ? 1 : 0, at = Time.Ms(u.At),
        }).ToList();
        var captureRows = captures.Select(c => new
        {
            c.UsageId, c.OrgId, c.KeyId,
            request = secrets.Seal(Encoding.UTF8.GetBytes(c.Request), CapturePurpose(c.UsageId, "request")),
            response = c.Response is null ? null : secrets.Seal(Encoding.UTF8.GetBytes(c.Response), CapturePurpose(c.UsageId, "response")),
            at = Time.Ms(c.At), expires = Time.Ms(c.ExpiresAt),
        }).ToList();

        // In the write queue: on SQLite these batches take turns with the session and audit writers.
        await connections.WriteAsync(async (connection, tx) =>
        {
            await connection.ExecuteAsync(
                """
                INSERT INTO model_usage (id, org_id, key_id, user_id, team_id, route, provider, model, client, status, outcome, input_tokens, output_tokens, cached_tokens, cost_micros, latency_ms, streamed, at)
                VALUES (@Id, @OrgId, @KeyId, @UserId, @TeamId, @Route, @Provider, @Model, @Client, @Status, @Outcome, @InputTokens, @OutputTokens, @CachedTokens, @CostMicros, @LatencyMs, @streamed, @at)
                """,
                usageRows, tx).ConfigureAwait(false);
            await connection.ExecuteAsync(
                "INSERT INTO model_captures (usage_id, org_id, key_id, request, response, at, expires_at) VALUES (@UsageId, @OrgId, @KeyId, @request, @response, @at, @expires)",
                captureRows, tx).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Micro-dollars a key has spent since <paramref name="since"/> (null: ever).</summary>
    public async Task<long> SpentMicrosAsync(string keyId, DateTimeOffset? since, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await connection.ExecuteScalarAsync<long?>(
            "SELECT SUM(cost_micros) FROM model_usage WHERE key_id = @keyId AND at >= @since", new { keyId, since = since is null ? 0 : Time.Ms(since.Value) }).ConfigureAwait(false) ?? 0;
    }

    /// <summary>Deletes captures past their retention; returns how many.</summary>
    public async Task<int> PurgeExpiredCapturesAsync(CancellationToken cancellationToken = default)
    {
        return await connections.WriteAsync(
            (connection, tx) => connection.ExecuteAsync("DELETE FROM model_captures WHERE expires_at <= @now", new { now = Time.Ms(time.GetUtcNow()) }, tx),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Totals grouped by <paramref name="groupBy"/> (key, team, user, model, route, client) over [from, to). Members
    /// see only their own keys' calls.
    /// </summary>
    public async Task<IReadOnlyList<UsageTotal>> SummaryAsync(Actor actor, string org, string groupBy, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        var (column, labelSql) = GatewayNames.RequireOneOf("group", groupBy, ["key", "team", "user", "model", "route", "client"]) switch
        {
            "key" => ("u.key_id", "(SELECT name FROM virtual_keys k WHERE k.id = u.key_id)"),
            "team" => ("u.team_id", "(SELECT name FROM teams t WHERE t.id = u.team_id)"),
            "user" => ("u.user_id", "(SELECT name FROM users x WHERE x.id = u.user_id)"),
            "model" => ("u.model", "NULL"),
            "route" => ("u.route", "NULL"),
            _ => ("u.client", "NULL"),
        };
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        var rows = await connection.QueryAsync<TotalRow>(
            $"""
            SELECT {column} AS grp, MIN({labelSql}) AS label, COUNT(*) AS requests, SUM(CASE WHEN u.outcome = 'success' THEN 0 ELSE 1 END) AS errors,
                   SUM(u.input_tokens) AS input_tokens, SUM(u.output_tokens) AS output_tokens, SUM(u.cost_micros) AS cost_micros
            FROM model_usage u WHERE u.org_id = @OrgId AND u.at >= @from AND u.at < @to {OwnFilter(access)}
            GROUP BY {column} ORDER BY SUM(u.cost_micros) DESC, COUNT(*) DESC
            """,
            new { access.OrgId, from = Time.Ms(from), to = Time.Ms(to), actor.UserId, actor.Name }).ConfigureAwait(false);
        return rows.Select(r => new UsageTotal(r.Grp ?? "(none)", r.Label, r.Requests, r.Errors, r.InputTokens, r.OutputTokens, r.CostMicros / 1_000_000m)).ToList();
    }

    /// <summary>The most recent calls, newest first, optionally for one key.</summary>
    public async Task<IReadOnlyList<ModelUsageRecord>> RecentAsync(Actor actor, string org, string? keyId, int limit, CancellationToken cancellationToken = default)
    {
        limit = Math.Clamp(limit, 1, 500);
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        var rows = await connection.QueryAsync<UsageRow>(
            $"SELECT u.* FROM model_usage u WHERE u.org_id = @OrgId {(keyId is null ? string.Empty : "AND u.key_id = @keyId")} {OwnFilter(access)} ORDER BY u.at DESC, u.id DESC LIMIT {limit}",
            new { access.OrgId, keyId, actor.UserId, actor.Name }).ConfigureAwait(false);
        return rows.Select(r => r.ToRecord()).ToList();
    }

    /// <summary>A captured prompt and response, decrypted, for owners, admins and auditors of the org.</summary>
    public async Task<ModelCapture> GetCaptureAsync(Actor actor, string org, string usageId, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        if (!access.Role.CanManage() && access.Role != Role.Auditor)
        {
            throw WardenException.Forbidden("Captured prompts are for owners, admins and auditors of the org.");
        }

        var row = await connection.QuerySingleOrDefaultAsync<CaptureRow>(
            "SELECT usage_id, org_id, key_id, request, response, at, expires_at FROM model_captures WHERE usage_id = @usageId AND org_id = @OrgId AND expires_at > @now",
            new { usageId, access.OrgId, now = Time.Ms(time.GetUtcNow()) }).ConfigureAwait(false) ?? throw WardenException.NotFound("Capture", usageId);
        return new ModelCapture(row.UsageId, row.OrgId, row.KeyId,
            Encoding.UTF8.GetString(secrets.Open(row.Request, CapturePurpose(row.UsageId, "request"))),
            row.Response is null ? null : Encoding.UTF8.GetString(secrets.Open(row.Response, CapturePurpose(row.UsageId, "response"))),
            Time.At(row.At), Time.At(row.ExpiresAt));
    }

    /// <summary>
    /// Which of <paramref name="usageIds"/> have a capture that has not expired, for owners, admins and auditors (who
    /// alone may read captures); empty for anyone else, so a page links only to captures the reader can open.
    /// </summary>
    public async Task<IReadOnlySet<string>> CapturedAsync(Actor actor, string org, IReadOnlyCollection<string> usageIds, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        if (usageIds.Count == 0 || (!access.Role.CanManage() && access.Role != Role.Auditor))
        {
            return new HashSet<string>(StringComparer.Ordinal);
        }

        // Parameters named one by one: Dapper's list expansion turns into an array parameter on PostgreSQL, which IN does not take.
        var args = new DynamicParameters(new { access.OrgId, now = Time.Ms(time.GetUtcNow()) });
        var names = usageIds.Select((id, i) =>
        {
            args.Add($"u{i}", id);
            return $"@u{i}";
        }).ToList();
        var ids = await connection.QueryAsync<string>(
            $"SELECT usage_id FROM model_captures WHERE org_id = @OrgId AND expires_at > @now AND usage_id IN ({string.Join(", ", names)})", args).ConfigureAwait(false);
        return ids.ToHashSet(StringComparer.Ordinal);
    }

    private static string OwnFilter(OrgAccess access) => access.Role.CanManage() || access.Role == Role.Auditor
        ? string.Empty
        : "AND u.key_id IN (SELECT id FROM virtual_keys WHERE (owner_kind = 'user' AND owner_id = @UserId) OR created_by = @Name)";

    private static string CapturePurpose(string usageId, string part) => $"model-capture:{part}:{usageId}";

    private sealed class TotalRow
    {
        public string? Grp { get; set; }
        public string? Label { get; set; }
        public long Requests { get; set; }
        public long Errors { get; set; }
        public long InputTokens { get; set; }
        public long OutputTokens { get; set; }
        public long CostMicros { get; set; }
    }

    private sealed class UsageRow
    {
        public string Id { get; set; } = string.Empty;
        public string OrgId { get; set; } = string.Empty;
        public string KeyId { get; set; } = string.Empty;
        public string? UserId { get; set; }
        public string? TeamId { get; set; }
        public string Route { get; set; } = string.Empty;
        public string? Provider { get; set; }
        public string? Model { get; set; }
        public string? Client { get; set; }
        public long Status { get; set; }
        public string Outcome { get; set; } = string.Empty;
        public long InputTokens { get; set; }
        public long OutputTokens { get; set; }
        public long CachedTokens { get; set; }
        public long CostMicros { get; set; }
        public long LatencyMs { get; set; }
        public long Streamed { get; set; }
        public long At { get; set; }

        public ModelUsageRecord ToRecord() => new(Id, OrgId, KeyId, UserId, TeamId, Route, Provider, Model, Client, (int)Status, Outcome,
            InputTokens, OutputTokens, CachedTokens, CostMicros, LatencyMs, Streamed != 0, Time.At(At));
    }

    private sealed class CaptureRow
    {
        public string UsageId { get; set; } = string.Empty;
        public string OrgId { get; set; } = string.Empty;
        public string KeyId { get; set; } = string.Empty;
        public byte[] Request { get; set; } = [];
        public byte[]? Response { get; set; }
        public long At { get; set; }
        public long ExpiresAt { get; set; }
    }
}
