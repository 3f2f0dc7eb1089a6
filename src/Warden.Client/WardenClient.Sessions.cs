using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Warden.Client.Contracts;

namespace Warden.Client;

/// <summary>Agent sessions: start, follow, steer, approve, cancel, retry.</summary>
public sealed partial class WardenClient
{
    private static readonly SessionJsonContext SessionJson = SessionJsonContext.Default;

    /// <summary><c>POST /api/v1/orgs/{org}/sessions</c>: starts an agent session on a repository.</summary>
    public Task<SessionDto> CreateSessionAsync(string org, CreateSessionRequest request, CancellationToken ct = default) =>
        PostAsync(SessionsPath(org, string.Empty), request, SessionJson.CreateSessionRequest, SessionJson.SessionDto, ct);

    /// <summary><c>GET /api/v1/orgs/{org}/sessions</c>, newest first, with optional filters (state, repo, user, parent, limit, before).</summary>
    public Task<IReadOnlyList<SessionDto>> ListSessionsAsync(string org, IReadOnlyDictionary<string, string?>? filters = null, CancellationToken ct = default) =>
        GetAsync(SessionsPath(org, string.Empty) + Query(filters), SessionJson.IReadOnlyListSessionDto, ct);

    /// <summary><c>GET /api/v1/orgs/{org}/sessions/{id}</c>.</summary>
    public Task<SessionDto> GetSessionAsync(string org, string id, CancellationToken ct = default) =>
        GetAsync(SessionsPath(org, E(id)), SessionJson.SessionDto, ct);

    /// <summary><c>GET /api/v1/orgs/{org}/sessions/{id}/events?after=</c>: the transcript after a sequence number.</summary>
    public Task<IReadOnlyList<SessionEventDto>> ListSessionEventsAsync(string org, string id, long after = 0, CancellationToken ct = default) =>
        GetAsync(SessionsPath(org, $"{E(id)}/events?after={after}"), SessionJson.IReadOnlyListSessionEventDto, ct);

    /// <summary><c>POST .../sessions/{id}/cancel</c>.</summary>
    public Task<SessionDto> CancelSessionAsync(string org, string id, string? reason = null, CancellationToken ct = default) =>
        PostAsync(SessionsPath(org, $"{E(id)}/cancel"), new CancelSessionRequest(reason), SessionJson.CancelSessionRequest, SessionJson.SessionDto, ct);

    /// <summary><c>POST .../sessions/{id}/retry</c>: a new session with the same task.</summary>
    public async Task<SessionDto> RetrySessionAsync(string org, string id, CancellationToken ct = default)
    {
        using var response = await _http.PostAsync(SessionsPath(org, $"{E(id)}/retry"), null, ct).ConfigureAwait(false);
        return await ReadAsync(response, SessionJson.SessionDto, ct).ConfigureAwait(false);
    }

    /// <summary><c>POST .../sessions/{id}/messages</c>: a message the agent reads before its next step.</summary>
    public Task SendSessionMessageAsync(string org, string id, string text, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Post, SessionsPath(org, $"{E(id)}/messages"), new SessionMessageRequest(text), SessionJson.SessionMessageRequest, ct);

    /// <summary><c>GET .../sessions/{id}/diff</c>.</summary>
    public Task<SessionDiffDto> GetSessionDiffAsync(string org, string id, CancellationToken ct = default) =>
        GetAsync(SessionsPath(org, $"{E(id)}/diff"), SessionJson.SessionDiffDto, ct);

    /// <summary><c>GET .../sessions/{id}/approvals</c>.</summary>
    public Task<IReadOnlyList<ApprovalDto>> ListSessionApprovalsAsync(string org, string id, CancellationToken ct = default) =>
        GetAsync(SessionsPath(org, $"{E(id)}/approvals"), SessionJson.IReadOnlyListApprovalDto, ct);

    /// <summary><c>GET /api/v1/orgs/{org}/approvals</c>: pending approvals across the org.</summary>
    public Task<IReadOnlyList<ApprovalDto>> ListPendingApprovalsAsync(string org, CancellationToken ct = default) =>
        GetAsync($"api/v1/orgs/{E(org)}/approvals", SessionJson.IReadOnlyListApprovalDto, ct);

    /// <summary><c>POST .../sessions/{id}/approvals/{approval}/approve</c> (or <c>reject</c>).</summary>
    public Task<ApprovalDto> DecideApprovalAsync(string org, string sessionId, string approvalId, bool approve, string? comment = null, CancellationToken ct = default) =>
        PostAsync(SessionsPath(org, $"{E(sessionId)}/approvals/{E(approvalId)}/{(approve ? "approve" : "reject")}"), new DecideApprovalRequest(comment),
            SessionJson.DecideApprovalRequest, SessionJson.ApprovalDto, ct);

    /// <summary>
    /// Follows a session over Server-Sent Events: yields <c>(kind, json)</c> pairs for <c>entry</c>, <c>session</c>,
    /// <c>output</c> and, last, <c>end</c>.
    /// </summary>
    public async IAsyncEnumerable<(string Event, JsonElement Data)> FollowSessionAsync(string org, string id, long after = 0, [EnumeratorCancellation] CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, SessionsPath(org, $"{E(id)}/stream?after={after}"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
        await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        using var reader = new StreamReader(stream);
        var kind = "message";
        while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                kind = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                using var doc = JsonDocument.Parse(line[6..]);
                yield return (kind, doc.RootElement.Clone());
                if (kind == "end")
                {
                    yield break;
                }
            }
            else if (line.Length == 0)
            {
                kind = "message";
            }
        }
    }

    private static string SessionsPath(string org, string leaf) => $"api/v1/orgs/{E(org)}/sessions" + (leaf.Length == 0 ? string.Empty : "/" + leaf);
}
