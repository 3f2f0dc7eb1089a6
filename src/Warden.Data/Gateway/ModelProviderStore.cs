using System.Data.Common;
using Dapper;
using Warden.Data.Audit;
using Warden.Data.Identity;
using Warden.Data.Security;

namespace Warden.Data.Gateway;

/// <summary>
/// Model providers per org. Credentials are sealed under the master key (AES-256-GCM, bound to the provider id) and
/// leave the store only through <see cref="LoadResolvedAsync"/>, which the gateway alone calls; no API returns them.
/// Owners and admins manage providers; every member may list them.
/// </summary>
public sealed class ModelProviderStore(ConnectionFactory connections, SecretBox secrets, TimeProvider time, IAuditRecorder? audit = null)
{
    private readonly IAuditRecorder _audit = audit ?? NullAuditRecorder.Instance;

    /// <summary>Raised after any change, with the org id, so caches can drop what they hold.</summary>
    public event Action<string>? Changed;

    /// <summary>Creates a provider, or replaces the settings of an existing one with the same name.</summary>
    public async Task<ModelProvider> PutAsync(Actor actor, string org, ProviderSpec spec, CancellationToken cancellationToken = default)
    {
        var name = GatewayNames.RequireName("provider name", spec.Name);
        var kind = GatewayNames.RequireOneOf("provider kind", spec.Kind, GatewayNames.ProviderKinds);
        var baseUrl = RequireUrl(spec.BaseUrl);
        var apiVersion = Optional(spec.ApiVersion, "api version");
        var region = Optional(spec.Region, "region");
        if (kind == "bedrock" && spec.Credential is { Length: > 0 } c && c.Split(':').Length is < 2 or > 3)
        {
            throw WardenException.Invalid("A Bedrock credential is ACCESS_KEY_ID:SECRET_ACCESS_KEY[:SESSION_TOKEN].");
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
            var existing = await SelectAsync(connection, tx, orgId, name).ConfigureAwait(false);
            created = existing is null;
            var id = existing?.Id ?? Ids.New("prv");
            byte[]? credential = spec.Credential switch
            {
                null => existing?.Credential,
                "" => null,
                var secret => secrets.Seal(System.Text.Encoding.UTF8.GetBytes(secret), Purpose(id)),
            };
            if (created)
            {
                await connection.ExecuteAsync(
                    """
                    INSERT INTO model_providers (id, org_id, name, kind, base_url, api_version, region, credential, created_by, created_at, updated_at)
                    VALUES (@id, @orgId, @name, @kind, @baseUrl, @apiVersion, @region, @credential, @by, @now, @now)
                    """,
                    new { id, orgId, name, kind, baseUrl, apiVersion, region, credential, by = actor.Name, now }, tx).ConfigureAwait(false);
            }
            else
            {
                await connection.ExecuteAsync(
                    "UPDATE model_providers SET kind = @kind, base_url = @baseUrl, api_version = @apiVersion, region = @region, credential = @credential, updated_at = @now WHERE id = @id",
                    new { id, kind, baseUrl, apiVersion, region, credential, now }, tx).ConfigureAwait(false);
            }

            row = (await SelectAsync(connection, tx, orgId, name).ConfigureAwait(false))!;
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        Changed?.Invoke(orgId);
        // The credential is a Secret field: recorded only as "changed", never its value.
        await _audit.RecordAsync(AuditDrafts.For(actor, orgId, created ? "model.provider.create" : "model.provider.update", "model_provider", row.Id,
            new Dictionary<string, string?>
            {
                ["name"] = name, ["kind"] = kind, ["baseUrl"] = baseUrl, ["apiVersion"] = apiVersion, ["region"] = region,
                ["credential"] = spec.Credential is null ? "unchanged" : spec.Credential.Length == 0 ? "cleared" : "changed",
            }), cancellationToken).ConfigureAwait(false);
        return row.ToProvider();
    }

    /// <summary>The org's providers, by name.</summary>
    public async Task<IReadOnlyList<ModelProvider>> ListAsync(Actor actor, string org, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        var rows = await connection.QueryAsync<Row>($"{SelectSql} WHERE org_id = @OrgId ORDER BY name", new { access.OrgId }).ConfigureAwait(false);
        return rows.Select(r => r.ToProvider()).ToList();
    }

    /// <summary>One provider by name.</summary>
    public async Task<ModelProvider> GetAsync(Actor actor, string org, string name, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        var row = await SelectAsync(connection, null, access.OrgId, name).ConfigureAwait(false);
        return row?.ToProvider() ?? throw WardenException.NotFound("Model provider", name);
    }

    /// <summary>Deletes a provider that no route uses.</summary>
    public async Task DeleteAsync(Actor actor, string org, string name, CancellationToken cancellationToken = default)
    {
        string orgId;
        string id;
        await using (var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            var access = await OrgAccess.ResolveAsync(connection, actor, org, tx).ConfigureAwait(false);
            access.RequireManage();
            orgId = access.OrgId;
            var row = await SelectAsync(connection, tx, orgId, name).ConfigureAwait(false) ?? throw WardenException.NotFound("Model provider", name);
            id = row.Id;
            var routes = await ModelRouteStore.RoutesUsingAsync(connection, tx, orgId, name).ConfigureAwait(false);
            if (routes.Count > 0)
            {
                throw WardenException.Conflict($"Provider '{name}' is used by route(s) {string.Join(", ", routes)}; change those first.");
            }

            await connection.ExecuteAsync("DELETE FROM model_providers WHERE id = @id", new { id }, tx).ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        Changed?.Invoke(orgId);
        await _audit.RecordAsync(AuditDrafts.For(actor, orgId, "model.provider.delete", "model_provider", id,
            new Dictionary<string, string?> { ["name"] = name }), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Every provider of an org with its credential decrypted. For the gateway's routing only: the result must not
    /// be logged or returned to any caller.
    /// </summary>
    public async Task<IReadOnlyList<ResolvedProvider>> LoadResolvedAsync(string orgId, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<Row>($"{SelectSql} WHERE org_id = @orgId", new { orgId }).ConfigureAwait(false);
        return rows.Select(r => new ResolvedProvider(r.Name, r.Kind, r.BaseUrl, r.ApiVersion, r.Region,
            r.Credential is null ? null : System.Text.Encoding.UTF8.GetString(secrets.Open(r.Credential, Purpose(r.Id))))).ToList();
    }

    private static string Purpose(string providerId) => "model-provider-credential:" + providerId;

    private const string SelectSql = "SELECT id, name, kind, base_url, api_version, region, credential, created_by, created_at, updated_at FROM model_providers";

    private static Task<Row?> SelectAsync(DbConnection connection, DbTransaction? tx, string orgId, string name) =>
        connection.QuerySingleOrDefaultAsync<Row>($"{SelectSql} WHERE org_id = @orgId AND name = @name", new { orgId, name }, tx);

    private static string RequireUrl(string? value)
    {
        if (!Uri.TryCreate(value?.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || !string.IsNullOrEmpty(uri.UserInfo))
        {
            throw WardenException.Invalid($"Invalid base URL '{value}': use an absolute http(s) URL without credentials in it.");
        }

        var text = uri.GetLeftPart(UriPartial.Path);
        return text.EndsWith('/') ? text : text + "/";
    }

    private static string? Optional(string? value, string what)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        value = value.Trim();
        return value.Length <= 100 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_')
            ? value
            : throw WardenException.Invalid($"Invalid {what} '{value}'.");
    }

    private sealed class Row
    {
        public string Id { get; set; } = string.Empty;
        public string Name { get; set; } = string.Empty;
        public string Kind { get; set; } = string.Empty;
        public string BaseUrl { get; set; } = string.Empty;
        public string? ApiVersion { get; set; }
        public string? Region { get; set; }
        public byte[]? Credential { get; set; }
        public string CreatedBy { get; set; } = string.Empty;
        public long CreatedAt { get; set; }
        public long UpdatedAt { get; set; }

        public ModelProvider ToProvider() => new(Id, Name, Kind, BaseUrl, ApiVersion, Region, Credential is not null, CreatedBy, Time.At(CreatedAt), Time.At(UpdatedAt));
    }
}
