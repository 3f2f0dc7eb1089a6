using System.Data.Common;
using System.Text.Json;
using Dapper;
using Warden.Data.Audit;
using Warden.Data.Identity;

namespace Warden.Data.Gateway;

/// <summary>
/// Model routes per org: the alias a client asks for, mapped to weighted targets and ordered fallbacks on the org's
/// providers. Owners and admins manage routes; every member may list them.
/// </summary>
public sealed class ModelRouteStore(ConnectionFactory connections, TimeProvider time, IAuditRecorder? audit = null)
{
    /// <summary>Longest per-attempt timeout a route may set.</summary>
    public const int MaxTimeoutMs = 600_000;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly IAuditRecorder _audit = audit ?? NullAuditRecorder.Instance;

    /// <summary>Raised after any change, with the org id.</summary>
    public event Action<string>? Changed;

    /// <summary>Creates or replaces a route. Every target must name a provider of the org.</summary>
    public async Task<ModelRoute> PutAsync(Actor actor, string org, RouteSpec spec, CancellationToken cancellationToken = default)
    {
        var name = GatewayNames.RequireName("route name", spec.Name);
        var targets = Validate(spec.Targets, "targets", requireOne: true);
        var fallbacks = Validate(spec.Fallbacks ?? [], "fallbacks", requireOne: false);
        var timeoutMs = spec.TimeoutMs ?? 120_000;
        var retries = spec.Retries ?? 1;
        if (timeoutMs is < 100 or > MaxTimeoutMs)
        {
            throw WardenException.Invalid($"timeoutMs must be between 100 and {MaxTimeoutMs}.");
        }

        if (retries is < 0 or > 5)
        {
            throw WardenException.Invalid("retries must be between 0 and 5.");
        }

        var now = Time.Ms(time.GetUtcNow());
        string orgId;
        Row row;
        bool created;
        await using (var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            var access = await OrgAccess.ResolveAsync(connection, actor, org, tx).ConfigureAwait(false);
            access.RequireManage();
            orgId = access.OrgId;
            var providers = (await connection.QueryAsync<string>("SELECT name FROM model_providers WHERE org_id = @orgId", new { orgId }, tx).ConfigureAwait(false)).ToHashSet(StringComparer.Ordinal);
            var unknown = targets.Concat(fallbacks).Select(t => t.Provider).Where(p => !providers.Contains(p)).Distinct().ToList();
            if (unknown.Count > 0)
            {
                throw WardenException.Invalid($"Unknown provider(s): {string.Join(", ", unknown)}. Add them first (warden model provider add).");
            }

            var existing = await SelectAsync(connection, tx, orgId, name).ConfigureAwait(false);
            created = existing is null;
            var args = new
            {
                id = existing?.Id ?? Ids.New("rte"), orgId, name, targets = JsonSerializer.Serialize(targets, Json), fallbacks = JsonSerializer.Serialize(fallbacks, Json),
                timeoutMs, retries, by = actor.Name, now,
            };
            await connection.ExecuteAsync(created
                ? "INSERT INTO model_routes (id, org_id, name, targets, fallbacks, timeout_ms, retries, created_by, created_at, updated_at) VALUES (@id, @orgId, @name, @targets, @fallbacks, @timeoutMs, @retries, @by, @now, @now)"
                : "UPDATE model_routes SET targets = @targets, fallbacks = @fallbacks, timeout_ms = @timeoutMs, retries = @retries, updated_at = @now WHERE id = @id",
                args, tx).ConfigureAwait(false);
            row = (await SelectAsync(connection, tx, orgId, name).ConfigureAwait(false))!;
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        Changed?.Invoke(orgId);
        await _audit.RecordAsync(AuditDrafts.For(actor, orgId, created ? "model.route.create" : "model.route.update", "model_route", row.Id,
            new Dictionary<string, string?>
            {
                ["name"] = name, ["targets"] = row.Targets, ["fallbacks"] = row.Fallbacks,
                ["timeoutMs"] = timeoutMs.ToString(System.Globalization.CultureInfo.InvariantCulture), ["retries"] = retries.ToString(System.Globalization.CultureInfo.InvariantCulture),
            }), cancellationToken).ConfigureAwait(false);
        return row.ToRoute();
    }

    /// <summary>The org's routes, by name.</summary>
    public async Task<IReadOnlyList<ModelRoute>> ListAsync(Actor actor, string org, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        return await LoadAsync(connection, access.OrgId).ConfigureAwait(false);
    }

    /// <summary>One route by name.</summary>
    public async Task<ModelRoute> GetAsync(Actor actor, string org, string name, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        return (await SelectAsync(connection, null, access.OrgId, name).ConfigureAwait(false))?.ToRoute() ?? throw WardenException.NotFound("Model route", name);
    }

    /// <summary>Deletes a route.</summary>
    public async Task DeleteAsync(Actor actor, string org, string name, CancellationToken cancellationToken = default)
    {
        string orgId;
        string id;
        await using (var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
            access.RequireManage();
            orgId = access.OrgId;
            id = (await SelectAsync(connection, null, orgId, name).ConfigureAwait(false))?.Id ?? throw WardenException.NotFound("Model route", name);
            await connection.ExecuteAsync("DELETE FROM model_routes WHERE id = @id", new { id }).ConfigureAwait(false);
        }

        Changed?.Invoke(orgId);
        await _audit.RecordAsync(AuditDrafts.For(actor, orgId, "model.route.delete", "model_route", id,
            new Dictionary<string, string?> { ["name"] = name }), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every route of an org, for the gateway's cache.</summary>
    public async Task<IReadOnlyList<ModelRoute>> LoadAsync(string orgId, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await LoadAsync(connection, orgId).ConfigureAwait(false);
    }

    /// <summary>Names of the routes that send traffic to <paramref name="provider"/>.</summary>
    internal static async Task<IReadOnlyList<string>> RoutesUsingAsync(DbConnection connection, DbTransaction? tx, string orgId, string provider)
    {
        var rows = await connection.QueryAsync<Row>($"{SelectSql} WHERE org_id = @orgId", new { orgId }, tx).ConfigureAwait(false);
        return rows.Select(r => r.ToRoute()).Where(r => r.Targets.Concat(r.Fallbacks).Any(t => t.Provider == provider)).Select(r => r.Name).ToList();
    }

    private static async Task<IReadOnlyList<ModelRoute>> LoadAsync(DbConnection connection, string orgId)
    {
        var rows = await connection.QueryAsync<Row>($"{SelectSql} WHERE org_id = @orgId ORDER BY name", new { orgId }).ConfigureAwait(false);
        return rows.Select(r => r.ToRoute()).ToList();
    }

    private static List<RouteTarget> Validate(IReadOnlyList<RouteTarget>? targets, string what, bool requireOne)
    {
        if (targets is null || (requireOne && targets.Count == 0))
        {
            throw WardenException.Invalid($"A route needs at least one target (provider and model).");
        }

        if (targets.Count > 20)
        {
            throw WardenException.Invalid($"At most 20 {what} per route.");
        }

        return targets.Select(t =>
        {
            if (t is null)
            {
                throw WardenException.Invalid($"Empty entry in {what}.");
            }

            if (t.Weight is < 1 or > 1000)
            {
                throw WardenException.Invalid($"Weights must be between 1 and 1000 (got {t.Weight} in {what}).");
            }

            return new RouteTarget(GatewayNames.RequireName("provider name", t.Provider), GatewayNames.RequireName("model name", t.Model), t.Weight);
        }).ToList();
    }

    private const string SelectSql = "SELECT id, name, targets, fallbacks, timeout_ms, retries, created_by, created_at, updated_at FROM model_routes";

    private static Task<Row?> SelectAsync(DbConnection connection, DbTransaction? tx, string orgId, string name) =>
        connection.QuerySingleOrDefaultAsync<Row>($"{SelectSql} WHERE org_id = @orgId AND name = @name", new { orgId, name }, tx);

    private sealed class Row
    {
        public string Id { get; set; } = string.Empty;
        public string Name { get; set; } = string.Empty;
        public string Targets { get; set; } = "[]";
        public string Fallbacks { get; set; } = "[]";
        public long TimeoutMs { get; set; }
        public long Retries { get; set; }
        public string CreatedBy { get; set; } = string.Empty;
        public long CreatedAt { get; set; }
        public long UpdatedAt { get; set; }

        public ModelRoute ToRoute() => new(Id, Name,
            JsonSerializer.Deserialize<List<RouteTarget>>(Targets, Json) ?? [], JsonSerializer.Deserialize<List<RouteTarget>>(Fallbacks, Json) ?? [],
            (int)TimeoutMs, (int)Retries, CreatedBy, Time.At(CreatedAt), Time.At(UpdatedAt));
    }
}
