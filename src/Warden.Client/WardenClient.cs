using System.Globalization;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Warden.Client.Contracts;

namespace Warden.Client;

/// <summary>
/// Typed client for Warden's REST API. The CLI and the tests reach the server only through it, so whatever they do
/// any other API client can do too.
/// </summary>
public sealed partial class WardenClient : IDisposable
{
    private static readonly WardenJsonContext Json = WardenJsonContext.Default;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;

    /// <summary>Creates a client for <paramref name="server"/> authenticating with <paramref name="token"/> (may be null for health checks).</summary>
    public WardenClient(Uri server, string? token, HttpMessageHandler? handler = null)
    {
        _http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        _ownsHttp = true;
        _http.BaseAddress = server;
        _http.Timeout = TimeSpan.FromSeconds(100);
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("warden-cli", typeof(WardenClient).Assembly.GetName().Version?.ToString(3) ?? "0"));
        if (!string.IsNullOrEmpty(token))
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    /// <summary>The server's base address.</summary>
    public Uri Server => _http.BaseAddress!;

    /// <summary><c>GET /api/v1/me</c>.</summary>
    public Task<MeDto> GetMeAsync(CancellationToken ct = default) => GetAsync("api/v1/me", Json.MeDto, ct);

    /// <summary><c>PUT /api/v1/me/password</c>.</summary>
    public Task SetPasswordAsync(SetPasswordRequest request, CancellationToken ct = default) => SendAsync(HttpMethod.Put, "api/v1/me/password", request, Json.SetPasswordRequest, ct);

    /// <summary><c>GET /api/v1/orgs</c>.</summary>
    public Task<IReadOnlyList<OrgDto>> ListOrgsAsync(CancellationToken ct = default) => GetAsync("api/v1/orgs", Json.IReadOnlyListOrgDto, ct);

    /// <summary><c>GET /api/v1/orgs/{org}</c>.</summary>
    public Task<OrgDto> GetOrgAsync(string org, CancellationToken ct = default) => GetAsync($"api/v1/orgs/{E(org)}", Json.OrgDto, ct);

    /// <summary><c>POST /api/v1/orgs</c>.</summary>
    public Task<OrgDto> CreateOrgAsync(CreateOrgRequest request, CancellationToken ct = default) => PostAsync("api/v1/orgs", request, Json.CreateOrgRequest, Json.OrgDto, ct);

    /// <summary><c>GET /api/v1/orgs/{org}/teams</c>.</summary>
    public Task<IReadOnlyList<TeamDto>> ListTeamsAsync(string org, CancellationToken ct = default) => GetAsync($"api/v1/orgs/{E(org)}/teams", Json.IReadOnlyListTeamDto, ct);

    /// <summary><c>GET /api/v1/orgs/{org}/teams/{team}</c>.</summary>
    public Task<TeamDto> GetTeamAsync(string org, string team, CancellationToken ct = default) => GetAsync($"api/v1/orgs/{E(org)}/teams/{E(team)}", Json.TeamDto, ct);

    /// <summary><c>POST /api/v1/orgs/{org}/teams</c>.</summary>
    public Task<TeamDto> CreateTeamAsync(string org, CreateTeamRequest request, CancellationToken ct = default) =>
        PostAsync($"api/v1/orgs/{E(org)}/teams", request, Json.CreateTeamRequest, Json.TeamDto, ct);

    /// <summary><c>DELETE /api/v1/orgs/{org}/teams/{team}</c>.</summary>
    public Task DeleteTeamAsync(string org, string team, CancellationToken ct = default) => DeleteAsync($"api/v1/orgs/{E(org)}/teams/{E(team)}", ct);

    /// <summary><c>GET /api/v1/orgs/{org}/teams/{team}/members</c>.</summary>
    public Task<IReadOnlyList<UserDto>> ListTeamMembersAsync(string org, string team, CancellationToken ct = default) =>
        GetAsync($"api/v1/orgs/{E(org)}/teams/{E(team)}/members", Json.IReadOnlyListUserDto, ct);

    /// <summary><c>POST /api/v1/orgs/{org}/teams/{team}/members</c>.</summary>
    public Task AddTeamMemberAsync(string org, string team, string user, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, $"api/v1/orgs/{E(org)}/teams/{E(team)}/members", new AddTeamMemberRequest(user), Json.AddTeamMemberRequest, ct);

    /// <summary><c>DELETE /api/v1/orgs/{org}/teams/{team}/members/{user}</c>.</summary>
    public Task RemoveTeamMemberAsync(string org, string team, string user, CancellationToken ct = default) =>
        DeleteAsync($"api/v1/orgs/{E(org)}/teams/{E(team)}/members/{E(user)}", ct);

    /// <summary><c>GET /api/v1/orgs/{org}/users</c>.</summary>
    public Task<IReadOnlyList<UserDto>> ListUsersAsync(string org, CancellationToken ct = default) => GetAsync($"api/v1/orgs/{E(org)}/users", Json.IReadOnlyListUserDto, ct);

    /// <summary><c>GET /api/v1/orgs/{org}/users/{user}</c>.</summary>
    public Task<UserDto> GetUserAsync(string org, string user, CancellationToken ct = default) => GetAsync($"api/v1/orgs/{E(org)}/users/{E(user)}", Json.UserDto, ct);

    /// <summary><c>POST /api/v1/orgs/{org}/users</c>.</summary>
    public Task<UserDto> CreateUserAsync(string org, CreateUserRequest request, CancellationToken ct = default) =>
        PostAsync($"api/v1/orgs/{E(org)}/users", request, Json.CreateUserRequest, Json.UserDto, ct);

    /// <summary><c>PATCH /api/v1/orgs/{org}/users/{user}</c>.</summary>
    public async Task<UserDto> UpdateUserAsync(string org, string user, UpdateUserRequest request, CancellationToken ct = default)
    {
        using var response = await _http.PatchAsJsonAsync($"api/v1/orgs/{E(org)}/users/{E(user)}", request, Json.UpdateUserRequest, ct).ConfigureAwait(false);
        return await ReadAsync(response, Json.UserDto, ct).ConfigureAwait(false);
    }

    /// <summary><c>DELETE /api/v1/orgs/{org}/users/{user}</c>: removes the membership.</summary>
    public Task RemoveUserAsync(string org, string user, CancellationToken ct = default) => DeleteAsync($"api/v1/orgs/{E(org)}/users/{E(user)}", ct);

    /// <summary><c>GET /api/v1/tokens</c>: the caller's tokens.</summary>
    public Task<IReadOnlyList<TokenDto>> ListTokensAsync(CancellationToken ct = default) => GetAsync("api/v1/tokens", Json.IReadOnlyListTokenDto, ct);

    /// <summary><c>POST /api/v1/tokens</c>.</summary>
    public Task<CreatedTokenDto> CreateTokenAsync(CreateTokenRequest request, CancellationToken ct = default) =>
        PostAsync("api/v1/tokens", request, Json.CreateTokenRequest, Json.CreatedTokenDto, ct);

    /// <summary><c>DELETE /api/v1/tokens/{id}</c>: revokes the token.</summary>
    public Task RevokeTokenAsync(string id, CancellationToken ct = default) => DeleteAsync($"api/v1/tokens/{E(id)}", ct);

    /// <summary>Searches an org's audit trail, or the whole ledger when <paramref name="org"/> is null (site administrators).</summary>
    /// <param name="org">The org, or null.</param>
    /// <param name="filters">Query filters: from, to, actor, action, resource_type, resource_id, session, vendor, outcome, before, after, limit.</param>
    /// <param name="ct">Cancels the call.</param>
    public Task<AuditPageDto> SearchAuditAsync(string? org, IReadOnlyDictionary<string, string?>? filters = null, CancellationToken ct = default) =>
        GetAsync(AuditPath(org, "events") + Query(filters), Json.AuditPageDto, ct);

    /// <summary>One audit event of an org's trail.</summary>
    public Task<AuditEventDto> GetAuditEventAsync(string org, long sequence, CancellationToken ct = default) =>
        GetAsync($"{AuditPath(org, "events")}/{sequence}", Json.AuditEventDto, ct);

    /// <summary><c>GET /api/v1/audit/verify</c>: verifies the stored ledger on the server.</summary>
    public Task<AuditVerificationDto> VerifyAuditAsync(CancellationToken ct = default) => GetAsync("api/v1/audit/verify", Json.AuditVerificationDto, ct);

    /// <summary><c>GET /api/v1/audit/keys</c>: the checkpoint-verification public keys.</summary>
    public Task<IReadOnlyList<AuditKeyDto>> ListAuditKeysAsync(CancellationToken ct = default) => GetAsync("api/v1/audit/keys", Json.IReadOnlyListAuditKeyDto, ct);

    /// <summary><c>POST /api/v1/audit/checkpoint</c>: signs a checkpoint over everything written so far.</summary>
    public async Task CheckpointAuditAsync(CancellationToken ct = default)
    {
        using var response = await _http.PostAsync("api/v1/audit/checkpoint", null, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
    }

    /// <summary>An org's audit retention and legal holds, or the site's when <paramref name="org"/> is null.</summary>
    public Task<AuditRetentionDto> GetAuditRetentionAsync(string? org, CancellationToken ct = default) =>
        GetAsync(AuditPath(org, "retention"), Json.AuditRetentionDto, ct);

    /// <summary>Sets the retention period in days (null: keep forever) of an org, or of the site's own events.</summary>
    public async Task<AuditRetentionDto> SetAuditRetentionAsync(string? org, int? days, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, AuditPath(org, "retention")) { Content = JsonContent.Create(new SetAuditRetentionRequest(days), Json.SetAuditRetentionRequest) };
        using var response = await _http.SendAsync(request, ct).ConfigureAwait(false);
        return await ReadAsync(response, Json.AuditRetentionDto, ct).ConfigureAwait(false);
    }

    /// <summary>Places a legal hold on an org's trail, or on the whole ledger when <paramref name="org"/> is null.</summary>
    public Task<LegalHoldDto> PlaceLegalHoldAsync(string? org, string reason, CancellationToken ct = default) =>
        PostAsync(AuditPath(org, "holds"), new PlaceLegalHoldRequest(reason), Json.PlaceLegalHoldRequest, Json.LegalHoldDto, ct);

    /// <summary>Releases a legal hold.</summary>
    public async Task<LegalHoldDto> ReleaseLegalHoldAsync(string? org, string id, CancellationToken ct = default)
    {
        using var response = await _http.PostAsync(AuditPath(org, $"holds/{E(id)}/release"), null, ct).ConfigureAwait(false);
        return await ReadAsync(response, Json.LegalHoldDto, ct).ConfigureAwait(false);
    }

    /// <summary><c>POST /api/v1/audit/retention/run</c>: runs retention now (site administrators), or only reports what it would do.</summary>
    public async Task<AuditRetentionRunDto> RunAuditRetentionAsync(bool dryRun, CancellationToken ct = default)
    {
        using var response = await _http.PostAsync("api/v1/audit/retention/run" + (dryRun ? "?dry_run=true" : string.Empty), null, ct).ConfigureAwait(false);
        return await ReadAsync(response, Json.AuditRetentionRunDto, ct).ConfigureAwait(false);
    }

    /// <summary><c>GET /api/v1/audit/export</c>: copies the export file (JSON lines) to <paramref name="output"/>.</summary>
    public async Task ExportAuditAsync(Stream output, long? from = null, long? to = null, CancellationToken ct = default)
    {
        using var response = await _http.GetAsync("api/v1/audit/export" + Query(new Dictionary<string, string?> { ["from"] = from?.ToString(CultureInfo.InvariantCulture), ["to"] = to?.ToString(CultureInfo.InvariantCulture) }),
            HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
        await response.Content.CopyToAsync(output, ct).ConfigureAwait(false);
    }

    /// <summary>Follows an org's trail (or the whole ledger) over Server-Sent Events, yielding events as they are written.</summary>
    public async IAsyncEnumerable<AuditEventDto> FollowAuditAsync(string? org, IReadOnlyDictionary<string, string?>? filters = null, [EnumeratorCancellation] CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, AuditPath(org, "stream") + Query(filters));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
        await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        using var reader = new StreamReader(stream);
        while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                yield return JsonSerializer.Deserialize(line.AsSpan(6), Json.AuditEventDto)!;
            }
        }
    }

    /// <summary><c>GET /api/v1/orgs/{org}/policies</c>: versions, newest first.</summary>
    public Task<IReadOnlyList<PolicyVersionDto>> ListPolicyVersionsAsync(string org, CancellationToken ct = default) =>
        GetAsync($"api/v1/orgs/{E(org)}/policies", Json.IReadOnlyListPolicyVersionDto, ct);

    /// <summary><c>GET /api/v1/orgs/{org}/policies/{version}</c> ("v3", "active", "default").</summary>
    public Task<PolicyVersionDto> GetPolicyVersionAsync(string org, string version, CancellationToken ct = default) =>
        GetAsync($"api/v1/orgs/{E(org)}/policies/{E(version)}", Json.PolicyVersionDto, ct);

    /// <summary><c>POST /api/v1/orgs/{org}/policies</c>: validate, test, then activate.</summary>
    public Task<PushPolicyResponse> PushPoliciesAsync(string org, PushPolicyRequest request, CancellationToken ct = default) =>
        PostAsync($"api/v1/orgs/{E(org)}/policies", request, Json.PushPolicyRequest, Json.PushPolicyResponse, ct);

    /// <summary><c>GET /api/v1/orgs/{org}/policies/diff?from=&amp;to=</c>.</summary>
    public Task<PolicyDiffDto> DiffPoliciesAsync(string org, string from, string to, CancellationToken ct = default) =>
        GetAsync($"api/v1/orgs/{E(org)}/policies/diff?from={E(from)}&to={E(to)}", Json.PolicyDiffDto, ct);

    /// <summary><c>POST /api/v1/orgs/{org}/authorize</c>.</summary>
    public Task<AuthorizeResponse> AuthorizeAsync(string org, AuthorizeRequest request, CancellationToken ct = default) =>
        PostAsync($"api/v1/orgs/{E(org)}/authorize", request, Json.AuthorizeRequest, Json.AuthorizeResponse, ct);

    /// <summary><c>GET /readyz</c>.</summary>
    public Task<HealthDto> GetReadinessAsync(CancellationToken ct = default) => GetAsync("readyz", Json.HealthDto, ct);

    /// <summary><c>POST /api/v1/orgs/{org}/audit/ingest-keys</c>: a new ingestion key; the secret is returned this once.</summary>
    public Task<CreatedIngestKeyDto> CreateIngestKeyAsync(string org, CreateIngestKeyRequest request, CancellationToken ct = default) =>
        PostAsync(AuditPath(org, "ingest-keys"), request, Json.CreateIngestKeyRequest, Json.CreatedIngestKeyDto, ct);

    /// <summary><c>GET /api/v1/orgs/{org}/audit/ingest-keys</c>: the org's ingestion keys, newest first.</summary>
    public Task<IReadOnlyList<IngestKeyDto>> ListIngestKeysAsync(string org, CancellationToken ct = default) =>
        GetAsync(AuditPath(org, "ingest-keys"), Json.IReadOnlyListIngestKeyDto, ct);

    /// <summary><c>DELETE /api/v1/orgs/{org}/audit/ingest-keys/{id}</c>: revokes an ingestion key.</summary>
    public Task RevokeIngestKeyAsync(string org, string id, CancellationToken ct = default) => DeleteAsync(AuditPath(org, "ingest-keys/" + E(id)), ct);

    /// <summary>
    /// <c>POST /api/v1/orgs/{org}/audit/import?format=github</c>: imports a vendor audit export (all events or none).
    /// </summary>
    public async Task<AuditImportResultDto> ImportAuditAsync(string org, string format, Stream content, CancellationToken ct = default)
    {
        using var body = new StreamContent(content);
        body.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await _http.PostAsync(AuditPath(org, "import") + Query(new Dictionary<string, string?> { ["format"] = format }), body, ct).ConfigureAwait(false);
        return await ReadAsync(response, Json.AuditImportResultDto, ct).ConfigureAwait(false);
    }

    /// <summary><c>GET /api/v1/orgs/{org}/models/providers</c>.</summary>
    public Task<IReadOnlyList<ModelProviderDto>> ListModelProvidersAsync(string org, CancellationToken ct = default) =>
        GetAsync(ModelsPath(org, "providers"), Json.IReadOnlyListModelProviderDto, ct);

    /// <summary><c>PUT /api/v1/orgs/{org}/models/providers/{name}</c>: creates or replaces a provider.</summary>
    public async Task<ModelProviderDto> PutModelProviderAsync(string org, string name, PutModelProviderRequest request, CancellationToken ct = default)
    {
        using var message = new HttpRequestMessage(HttpMethod.Put, ModelsPath(org, "providers/" + E(name))) { Content = JsonContent.Create(request, Json.PutModelProviderRequest) };
        using var response = await _http.SendAsync(message, ct).ConfigureAwait(false);
        return await ReadAsync(response, Json.ModelProviderDto, ct).ConfigureAwait(false);
    }

    /// <summary><c>DELETE /api/v1/orgs/{org}/models/providers/{name}</c>.</summary>
    public Task DeleteModelProviderAsync(string org, string name, CancellationToken ct = default) => DeleteAsync(ModelsPath(org, "providers/" + E(name)), ct);

    /// <summary><c>GET /api/v1/orgs/{org}/models/routes</c>, with live target health.</summary>
    public Task<IReadOnlyList<ModelRouteDto>> ListModelRoutesAsync(string org, CancellationToken ct = default) =>
        GetAsync(ModelsPath(org, "routes"), Json.IReadOnlyListModelRouteDto, ct);

    /// <summary><c>GET /api/v1/orgs/{org}/models/routes/{name}</c>.</summary>
    public Task<ModelRouteDto> GetModelRouteAsync(string org, string name, CancellationToken ct = default) =>
        GetAsync(ModelsPath(org, "routes/" + Segments(name)), Json.ModelRouteDto, ct);

    /// <summary><c>PUT /api/v1/orgs/{org}/models/routes/{name}</c>: creates or replaces a route.</summary>
    public async Task<ModelRouteDto> PutModelRouteAsync(string org, string name, PutModelRouteRequest request, CancellationToken ct = default)
    {
        using var message = new HttpRequestMessage(HttpMethod.Put, ModelsPath(org, "routes/" + Segments(name))) { Content = JsonContent.Create(request, Json.PutModelRouteRequest) };
        using var response = await _http.SendAsync(message, ct).ConfigureAwait(false);
        return await ReadAsync(response, Json.ModelRouteDto, ct).ConfigureAwait(false);
    }

    /// <summary><c>DELETE /api/v1/orgs/{org}/models/routes/{name}</c>.</summary>
    public Task DeleteModelRouteAsync(string org, string name, CancellationToken ct = default) => DeleteAsync(ModelsPath(org, "routes/" + Segments(name)), ct);

    /// <summary><c>GET /api/v1/orgs/{org}/models/prices</c>: the effective price catalogue.</summary>
    public Task<IReadOnlyList<ModelPriceDto>> ListModelPricesAsync(string org, CancellationToken ct = default) =>
        GetAsync(ModelsPath(org, "prices"), Json.IReadOnlyListModelPriceDto, ct);

    /// <summary><c>POST /api/v1/orgs/{org}/models/prices</c>: sets the org's price for a model.</summary>
    public Task<ModelPriceDto> SetModelPriceAsync(string org, PutModelPriceRequest request, CancellationToken ct = default) =>
        PostAsync(ModelsPath(org, "prices"), request, Json.PutModelPriceRequest, Json.ModelPriceDto, ct);

    /// <summary><c>DELETE /api/v1/orgs/{org}/models/prices?model=</c>: back to the default price.</summary>
    public Task DeleteModelPriceAsync(string org, string model, CancellationToken ct = default) =>
        DeleteAsync(ModelsPath(org, "prices") + Query(new Dictionary<string, string?> { ["model"] = model }), ct);

    /// <summary><c>GET /api/v1/orgs/{org}/models/keys</c>.</summary>
    public Task<IReadOnlyList<VirtualKeyDto>> ListVirtualKeysAsync(string org, CancellationToken ct = default) =>
        GetAsync(ModelsPath(org, "keys"), Json.IReadOnlyListVirtualKeyDto, ct);

    /// <summary><c>GET /api/v1/orgs/{org}/models/keys/{key}</c>, with what it has spent.</summary>
    public Task<VirtualKeyDto> GetVirtualKeyAsync(string org, string key, CancellationToken ct = default) =>
        GetAsync(ModelsPath(org, "keys/" + E(key)), Json.VirtualKeyDto, ct);

    /// <summary><c>POST /api/v1/orgs/{org}/models/keys</c>: a new virtual key; the secret is returned this once.</summary>
    public Task<CreatedVirtualKeyDto> CreateVirtualKeyAsync(string org, CreateVirtualKeyRequest request, CancellationToken ct = default) =>
        PostAsync(ModelsPath(org, "keys"), request, Json.CreateVirtualKeyRequest, Json.CreatedVirtualKeyDto, ct);

    /// <summary><c>DELETE /api/v1/orgs/{org}/models/keys/{key}</c>: revokes a key.</summary>
    public async Task<VirtualKeyDto> RevokeVirtualKeyAsync(string org, string key, CancellationToken ct = default)
    {
        using var response = await _http.DeleteAsync(ModelsPath(org, "keys/" + E(key)), ct).ConfigureAwait(false);
        return await ReadAsync(response, Json.VirtualKeyDto, ct).ConfigureAwait(false);
    }

    /// <summary><c>GET /api/v1/orgs/{org}/models/usage</c>: totals grouped by key, team, user, model, route or client.</summary>
    public Task<IReadOnlyList<UsageTotalDto>> GetModelUsageAsync(string org, string groupBy, DateTimeOffset? from = null, DateTimeOffset? to = null, CancellationToken ct = default) =>
        GetAsync(ModelsPath(org, "usage") + Query(new Dictionary<string, string?>
        {
            ["groupBy"] = groupBy, ["from"] = from?.ToString("O", CultureInfo.InvariantCulture), ["to"] = to?.ToString("O", CultureInfo.InvariantCulture),
        }), Json.IReadOnlyListUsageTotalDto, ct);

    /// <summary><c>GET /api/v1/orgs/{org}/models/calls</c>: recent gateway calls, newest first.</summary>
    public Task<IReadOnlyList<ModelCallDto>> ListModelCallsAsync(string org, string? key = null, int? limit = null, CancellationToken ct = default) =>
        GetAsync(ModelsPath(org, "calls") + Query(new Dictionary<string, string?> { ["key"] = key, ["limit"] = limit?.ToString(CultureInfo.InvariantCulture) }), Json.IReadOnlyListModelCallDto, ct);

    /// <summary><c>GET /api/v1/orgs/{org}/models/calls/{id}/capture</c>: a captured prompt and response.</summary>
    public Task<ModelCaptureDto> GetModelCaptureAsync(string org, string callId, CancellationToken ct = default) =>
        GetAsync(ModelsPath(org, $"calls/{E(callId)}/capture"), Json.ModelCaptureDto, ct);

    /// <summary><c>POST /api/v1/orgs/{org}/pools</c>: creates a worker pool.</summary>
    public Task<PoolDto> CreatePoolAsync(string org, CreatePoolRequest request, CancellationToken ct = default) =>
        PostAsync($"api/v1/orgs/{E(org)}/pools", request, Json.CreatePoolRequest, Json.PoolDto, ct);

    /// <summary><c>GET /api/v1/orgs/{org}/pools</c>.</summary>
    public Task<IReadOnlyList<PoolDto>> ListPoolsAsync(string org, CancellationToken ct = default) => GetAsync($"api/v1/orgs/{E(org)}/pools", Json.IReadOnlyListPoolDto, ct);

    /// <summary><c>GET /api/v1/orgs/{org}/pools/{pool}</c>.</summary>
    public Task<PoolDto> GetPoolAsync(string org, string pool, CancellationToken ct = default) => GetAsync($"api/v1/orgs/{E(org)}/pools/{E(pool)}", Json.PoolDto, ct);

    /// <summary><c>DELETE /api/v1/orgs/{org}/pools/{pool}</c>.</summary>
    public Task DeletePoolAsync(string org, string pool, CancellationToken ct = default) => DeleteAsync($"api/v1/orgs/{E(org)}/pools/{E(pool)}", ct);

    /// <summary><c>POST /api/v1/orgs/{org}/pools/{pool}/tokens</c>: a new join token; the secret is returned this once.</summary>
    public Task<CreatedJoinTokenDto> CreateJoinTokenAsync(string org, string pool, CreateJoinTokenRequest request, CancellationToken ct = default) =>
        PostAsync($"api/v1/orgs/{E(org)}/pools/{E(pool)}/tokens", request, Json.CreateJoinTokenRequest, Json.CreatedJoinTokenDto, ct);

    /// <summary><c>GET /api/v1/orgs/{org}/pools/{pool}/tokens</c>.</summary>
    public Task<IReadOnlyList<JoinTokenDto>> ListJoinTokensAsync(string org, string pool, CancellationToken ct = default) =>
        GetAsync($"api/v1/orgs/{E(org)}/pools/{E(pool)}/tokens", Json.IReadOnlyListJoinTokenDto, ct);

    /// <summary><c>DELETE /api/v1/orgs/{org}/pools/{pool}/tokens/{id}</c>: revokes a join token and disconnects the workers that joined with it.</summary>
    public Task RevokeJoinTokenAsync(string org, string pool, string id, CancellationToken ct = default) =>
        DeleteAsync($"api/v1/orgs/{E(org)}/pools/{E(pool)}/tokens/{E(id)}", ct);

    /// <summary><c>GET /api/v1/orgs/{org}/workers[?pool=]</c>: workers with their live state and load.</summary>
    public Task<IReadOnlyList<WorkerDto>> ListWorkersAsync(string org, string? pool = null, CancellationToken ct = default) =>
        GetAsync($"api/v1/orgs/{E(org)}/workers" + Query(new Dictionary<string, string?> { ["pool"] = pool }), Json.IReadOnlyListWorkerDto, ct);

    /// <summary><c>GET /api/v1/orgs/{org}/workers/{id}</c>: a worker and its recent sessions.</summary>
    public Task<WorkerDetailDto> GetWorkerAsync(string org, string id, CancellationToken ct = default) =>
        GetAsync($"api/v1/orgs/{E(org)}/workers/{E(id)}", Json.WorkerDetailDto, ct);

    /// <summary><c>POST /api/v1/orgs/{org}/workers/{id}/drain</c>: the worker finishes its sessions, takes no new ones, then leaves.</summary>
    public async Task<WorkerDto> DrainWorkerAsync(string org, string id, CancellationToken ct = default)
    {
        using var response = await _http.PostAsync($"api/v1/orgs/{E(org)}/workers/{E(id)}/drain", null, ct).ConfigureAwait(false);
        return await ReadAsync(response, Json.WorkerDto, ct).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    private static string E(string segment) => Uri.EscapeDataString(segment);

    private static string ModelsPath(string org, string leaf) => $"api/v1/orgs/{E(org)}/models/{leaf}";

    private static string Segments(string name) => string.Join('/', name.Split('/').Select(E));

    private static string AuditPath(string? org, string leaf) => org is null ? $"api/v1/audit/{leaf}" : $"api/v1/orgs/{E(org)}/audit/{leaf}";

    private static string Query(IReadOnlyDictionary<string, string?>? values)
    {
        if (values is null)
        {
            return string.Empty;
        }

        var parts = values.Where(kv => !string.IsNullOrEmpty(kv.Value)).Select(kv => $"{E(kv.Key)}={E(kv.Value!)}").ToList();
        return parts.Count == 0 ? string.Empty : "?" + string.Join('&', parts);
    }

    private async Task<T> GetAsync<T>(string path, JsonTypeInfo<T> type, CancellationToken ct)
    {
        using var response = await _http.GetAsync(path, ct).ConfigureAwait(false);
        return await ReadAsync(response, type, ct).ConfigureAwait(false);
    }

    private async Task<TResponse> PostAsync<TRequest, TResponse>(string path, TRequest body, JsonTypeInfo<TRequest> requestType, JsonTypeInfo<TResponse> responseType, CancellationToken ct)
    {
        using var response = await _http.PostAsJsonAsync(path, body, requestType, ct).ConfigureAwait(false);
        return await ReadAsync(response, responseType, ct).ConfigureAwait(false);
    }

    private async Task SendAsync<TRequest>(HttpMethod method, string path, TRequest body, JsonTypeInfo<TRequest> requestType, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body, requestType) };
        using var response = await _http.SendAsync(request, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
    }

    private async Task DeleteAsync(string path, CancellationToken ct)
    {
        using var response = await _http.DeleteAsync(path, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> type, CancellationToken ct)
    {
        await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
        return await response.Content.ReadFromJsonAsync(type, ct).ConfigureAwait(false)
            ?? throw new WardenApiException((int)response.StatusCode, null, "The server sent an empty response.");
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken ct)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        ProblemDto? problem = null;
        try
        {
            var text = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
            if (text.Length > 0)
            {
                problem = JsonSerializer.Deserialize(text, Json.ProblemDto);
            }
        }
        catch (JsonException)
        {
            // Not a problem document (a proxy's HTML page, say): fall back to the status line.
        }

        var message = problem?.Detail ?? problem?.Title ?? $"{(int)response.StatusCode} {response.ReasonPhrase}";
        throw new WardenApiException((int)response.StatusCode, problem?.Type, message.ReplaceLineEndings(" ")) { Errors = problem?.Errors ?? [] };
    }
}
