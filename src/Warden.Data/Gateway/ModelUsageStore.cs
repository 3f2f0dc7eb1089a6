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
    /// <summary>
    /// Rows per SQLite INSERT statement. Few on purpose: Microsoft.Data.Sqlite matches every parameter of a statement
    /// against the command's parameters by name, so a statement's bind cost grows with the square of its width. On
    /// this project's machine (512-row batches, WAL, synchronous=FULL) 4 rows a statement wrote fastest; 1 and 8 were
    /// within the noise of it, 16 took about twice and 64 six times as long per row.
    /// </summary>
    internal const int SqliteRowsPerStatement = 4;

    private const string UsageColumns = "id, org_id, key_id, user_id, team_id, route, provider, model, client, status, outcome, input_tokens, output_tokens, cached_tokens, cost_micros, latency_ms, streamed, at";
    private const int UsageColumnCount = 18;
    private static readonly string?[] SqliteUsageInserts = new string?[SqliteRowsPerStatement + 1];

    /// <summary>
    /// Writes a batch of usage rows and captures in one transaction: on SQLite as one prepared multi-row INSERT of
    /// <see cref="SqliteRowsPerStatement"/> rows executed for each chunk, on PostgreSQL as one INSERT over <c>unnest</c> of column arrays (one
    /// round trip for the whole batch), so the writer keeps up with the gateway however many rows the tables hold.
    /// </summary>
    public async Task InsertAsync(IReadOnlyList<ModelUsageRecord> usage, IReadOnlyList<ModelCapture> captures, CancellationToken cancellationToken = default)
    {
        if (usage.Count == 0 && captures.Count == 0)
        {
            return;
        }

        // In the write queue: on SQLite these batches take turns with the session and audit writers.
        await connections.WriteAsync(InsertWork(usage, captures, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// As <see cref="InsertAsync(IReadOnlyList{ModelUsageRecord}, IReadOnlyList{ModelCapture}, CancellationToken)"/>,
    /// together with the calls' audit events: <paramref name="recorder"/> (the server's ledger) commits the events, the
    /// rows and the captures in one transaction, so a batch of calls costs one durable write, and no usage row is ever
    /// stored without its audit event or the other way round.
    /// </summary>
    public async Task InsertAsync(IReadOnlyList<ModelUsageRecord> usage, IReadOnlyList<ModelCapture> captures, IReadOnlyList<Warden.Audit.AuditEventDraft> audit,
        Audit.IAuditRecorder recorder, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(audit);
        ArgumentNullException.ThrowIfNull(recorder);
        if (usage.Count == 0 && captures.Count == 0 && audit.Count == 0)
        {
            return;
        }

        await recorder.RecordWithAsync(audit, connections, InsertWork(usage, captures, cancellationToken), cancellationToken).ConfigureAwait(false);
    }

    private Func<DbConnection, DbTransaction, Task<bool>> InsertWork(IReadOnlyList<ModelUsageRecord> usage, IReadOnlyList<ModelCapture> captures, CancellationToken cancellationToken)
    {
        // Sealing is the expensive part of a capture; done before joining the writers, which hold the write lock.
        var sealedCaptures = captures.Select(c => new SealedCapture(c.UsageId, c.OrgId, c.KeyId,
            secrets.Seal(Encoding.UTF8.GetBytes(c.Request), CapturePurpose(c.UsageId, "request")),
            c.Response is null ? null : secrets.Seal(Encoding.UTF8.GetBytes(c.Response), CapturePurpose(c.UsageId, "response")),
            Time.Ms(c.At), Time.Ms(c.ExpiresAt))).ToList();
        return async (connection, tx) =>
        {
            if (connections.Dialect == SqlDialect.Postgres)
            {
                await InsertUsagePostgresAsync(connection, tx, usage, cancellationToken).ConfigureAwait(false);
                await InsertCapturesPostgresAsync(connection, tx, sealedCaptures, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                // Microsoft.Data.Sqlite runs in-process and its async methods complete synchronously: plain calls cost less.
                InsertUsageSqlite(connection, tx, usage);
                InsertCapturesSqlite(connection, tx, sealedCaptures);
            }

            return true;
        };
    }

    private static void InsertUsageSqlite(DbConnection connection, DbTransaction tx, IReadOnlyList<ModelUsageRecord> usage)
    {
        var offset = 0;
        DbCommand? full = null;
        try
        {
            while (usage.Count - offset >= SqliteRowsPerStatement)
            {
                // One prepared statement of the full width, reused for every full chunk of the batch.
                full ??= SqliteUsageCommand(connection, tx, SqliteRowsPerStatement);
                BindUsage(full, usage, offset, SqliteRowsPerStatement);
                full.ExecuteNonQuery();
                offset += SqliteRowsPerStatement;
            }
        }
        finally
        {
            full?.Dispose();
        }

        if (offset < usage.Count)
        {
            using var rest = SqliteUsageCommand(connection, tx, usage.Count - offset);
            BindUsage(rest, usage, offset, usage.Count - offset);
            rest.ExecuteNonQuery();
        }
    }

    private static DbCommand SqliteUsageCommand(DbConnection connection, DbTransaction tx, int rows)
    {
        var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = SqliteUsageInserts[rows] ??= BuildSqliteUsageInsert(rows);
        for (var i = 0; i < rows * UsageColumnCount; i++)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = "@p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            cmd.Parameters.Add(p);
        }

        return cmd;
    }

    private static string BuildSqliteUsageInsert(int rows)
    {
        var sql = new StringBuilder("INSERT INTO model_usage (").Append(UsageColumns).Append(") VALUES ");
        for (var r = 0; r < rows; r++)
        {
            sql.Append(r == 0 ? "(" : ", (");
            for (var c = 0; c < UsageColumnCount; c++)
            {
                sql.Append(c == 0 ? "@p" : ", @p").Append((r * UsageColumnCount) + c);
            }

            sql.Append(')');
        }

        return sql.ToString();
    }

    private static void BindUsage(DbCommand cmd, IReadOnlyList<ModelUsageRecord> usage, int offset, int rows)
    {
        var p = cmd.Parameters;
        for (var r = 0; r < rows; r++)
        {
            var u = usage[offset + r];
            var b = r * UsageColumnCount;
            p[b].Value = u.Id;
            p[b + 1].Value = u.OrgId;
            p[b + 2].Value = u.KeyId;
            p[b + 3].Value = (object?)u.UserId ?? DBNull.Value;
            p[b + 4].Value = (object?)u.TeamId ?? DBNull.Value;
            p[b + 5].Value = u.Route;
            p[b + 6].Value = (object?)u.Provider ?? DBNull.Value;
            p[b + 7].Value = (object?)u.Model ?? DBNull.Value;
            p[b + 8].Value = (object?)u.Client ?? DBNull.Value;
            p[b + 9].Value = (long)u.Status;
            p[b + 10].Value = u.Outcome;
            p[b + 11].Value = u.InputTokens;
            p[b + 12].Value = u.OutputTokens;
            p[b + 13].Value = u.CachedTokens;
            p[b + 14].Value = u.CostMicros;
            p[b + 15].Value = u.LatencyMs;
            p[b + 16].Value = u.Streamed ? 1L : 0L;
            p[b + 17].Value = Time.Ms(u.At);
        }
    }

    private static void InsertCapturesSqlite(DbConnection connection, DbTransaction tx, List<SealedCapture> captures)
    {
        if (captures.Count == 0)
        {
            return;
        }

        using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "INSERT INTO model_captures (usage_id, org_id, key_id, request, response, at, expires_at) VALUES (@usage, @org, @key, @request, @response, @at, @expires)";
        string[] names = ["usage", "org", "key", "request", "response", "at", "expires"];
        foreach (var name in names)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            cmd.Parameters.Add(p);
        }

        foreach (var c in captures)
        {
            cmd.Parameters[0].Value = c.UsageId;
            cmd.Parameters[1].Value = c.OrgId;
            cmd.Parameters[2].Value = c.KeyId;
            cmd.Parameters[3].Value = c.Request;
            cmd.Parameters[4].Value = (object?)c.Response ?? DBNull.Value;
            cmd.Parameters[5].Value = c.At;
            cmd.Parameters[6].Value = c.ExpiresAt;
            cmd.ExecuteNonQuery();
        }
    }

    private static async Task InsertUsagePostgresAsync(DbConnection connection, DbTransaction tx, IReadOnlyList<ModelUsageRecord> usage, CancellationToken cancellationToken)
    {
        if (usage.Count == 0)
        {
            return;
        }

        var n = usage.Count;
        var id = new string[n];
        var org = new string[n];
        var key = new string[n];
        var user = new string?[n];
        var team = new string?[n];
        var route = new string[n];
        var provider = new string?[n];
        var model = new string?[n];
        var client = new string?[n];
        var status = new long[n];
        var outcome = new string[n];
        var input = new long[n];
        var output = new long[n];
        var cached = new long[n];
        var cost = new long[n];
        var latency = new long[n];
        var streamed = new long[n];
        var at = new long[n];
        for (var i = 0; i < n; i++)
        {
            var u = usage[i];
            id[i] = u.Id;
            org[i] = u.OrgId;
            key[i] = u.KeyId;
            user[i] = u.UserId;
            team[i] = u.TeamId;
            route[i] = u.Route;
            provider[i] = u.Provider;
            model[i] = u.Model;
            client[i] = u.Client;
            status[i] = u.Status;
            outcome[i] = u.Outcome;
            input[i] = u.InputTokens;
            output[i] = u.OutputTokens;
            cached[i] = u.CachedTokens;
            cost[i] = u.CostMicros;
            latency[i] = u.LatencyMs;
            streamed[i] = u.Streamed ? 1 : 0;
            at[i] = Time.Ms(u.At);
        }

        await using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = $"INSERT INTO model_usage ({UsageColumns}) SELECT * FROM unnest(@id, @org, @key, @user, @team, @route, @provider, @model, @client, @status, @outcome, @input, @output, @cached, @cost, @latency, @streamed, @at)";
        Add(cmd, "id", id);
        Add(cmd, "org", org);
        Add(cmd, "key", key);
        Add(cmd, "user", user);
        Add(cmd, "team", team);
        Add(cmd, "route", route);
        Add(cmd, "provider", provider);
        Add(cmd, "model", model);
        Add(cmd, "client", client);
        Add(cmd, "status", status);
        Add(cmd, "outcome", outcome);
        Add(cmd, "input", input);
        Add(cmd, "output", output);
        Add(cmd, "cached", cached);
        Add(cmd, "cost", cost);
        Add(cmd, "latency", latency);
        Add(cmd, "streamed", streamed);
        Add(cmd, "at", at);
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task InsertCapturesPostgresAsync(DbConnection connection, DbTransaction tx, List<SealedCapture> captures, CancellationToken cancellationToken)
    {
        if (captures.Count == 0)
        {
            return;
        }

        await using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "INSERT INTO model_captures (usage_id, org_id, key_id, request, response, at, expires_at) SELECT * FROM unnest(@usage, @org, @key, @request, @response, @at, @expires)";
        Add(cmd, "usage", captures.Select(c => c.UsageId).ToArray());
        Add(cmd, "org", captures.Select(c => c.OrgId).ToArray());
        Add(cmd, "key", captures.Select(c => c.KeyId).ToArray());
        Add(cmd, "request", captures.Select(c => c.Request).ToArray());
        Add(cmd, "response", captures.Select(c => c.Response).ToArray());
        Add(cmd, "at", captures.Select(c => c.At).ToArray());
        Add(cmd, "expires", captures.Select(c => c.ExpiresAt).ToArray());
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static void Add(DbCommand cmd, string name, object value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        cmd.Parameters.Add(p);
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

    private sealed record SealedCapture(string UsageId, string OrgId, string KeyId, byte[] Request, byte[]? Response, long At, long ExpiresAt);

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
