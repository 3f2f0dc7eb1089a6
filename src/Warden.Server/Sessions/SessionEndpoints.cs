using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Warden.Client.Contracts;
using Warden.Data;
using Warden.Data.Sessions;
using Warden.Server.Auth;

namespace Warden.Server.Sessions;

/// <summary><c>/api/v1/orgs/{org}/sessions/...</c>: agent sessions (tasks), their transcripts, approvals and messages.</summary>
public static class SessionEndpoints
{
    /// <summary>Maps the session endpoints onto <paramref name="api"/> (already behind authentication).</summary>
    public static void MapSessionApi(this RouteGroupBuilder api)
    {
        var sessions = api.MapGroup("/orgs/{org}/sessions").WithTags("Sessions");
        sessions.MapPost(string.Empty, async Task<Created<SessionDto>> (string org, CreateSessionRequest body, HttpContext ctx, SessionService service) =>
        {
            var session = await service.CreateAsync(ctx.GetActor(), org, body, ctx.RequestAborted);
            return TypedResults.Created($"/api/v1/orgs/{Uri.EscapeDataString(org)}/sessions/{session.Id}", ToDto(session));
        }).WithName("CreateSession");
        sessions.MapGet(string.Empty, async Task<Ok<List<SessionDto>>> (string org, string? state, string? repo, string? user, string? parent, int? limit, string? before,
            HttpContext ctx, AgentSessionStore store) =>
            TypedResults.Ok((await store.ListAsync(ctx.GetActor(), org, new SessionFilter(state, repo, user, parent, limit, before), ctx.RequestAborted)).Select(ToDto).ToList()))
            .WithName("ListSessions");
        sessions.MapGet("/{id}", async Task<Ok<SessionDto>> (string org, string id, HttpContext ctx, AgentSessionStore store) =>
            TypedResults.Ok(ToDto(await store.GetAsync(ctx.GetActor(), org, id, ctx.RequestAborted)))).WithName("GetSession");
        sessions.MapGet("/{id}/events", async Task<Ok<List<SessionEventDto>>> (string org, string id, long? after, int? limit, HttpContext ctx, AgentSessionStore store) =>
            TypedResults.Ok((await store.EventsAsync(ctx.GetActor(), org, id, after ?? 0, limit ?? 1000, ctx.RequestAborted)).Select(ToDto).ToList()))
            .WithName("ListSessionEvents");
        sessions.MapGet("/{id}/stream", StreamAsync).WithName("StreamSession").Produces(200, contentType: "text/event-stream");
        sessions.MapPost("/{id}/cancel", async Task<Ok<SessionDto>> (string org, string id, CancelSessionRequest? body, HttpContext ctx, SessionService service) =>
            TypedResults.Ok(ToDto(await service.CancelAsync(ctx.GetActor(), org, id, body?.Reason, ctx.RequestAborted)))).WithName("CancelSession");
        sessions.MapPost("/{id}/retry", async Task<Created<SessionDto>> (string org, string id, HttpContext ctx, SessionService service) =>
        {
            var session = await service.RetryAsync(ctx.GetActor(), org, id, ctx.RequestAborted);
            return TypedResults.Created($"/api/v1/orgs/{Uri.EscapeDataString(org)}/sessions/{session.Id}", ToDto(session));
        }).WithName("RetrySession");
        sessions.MapPost("/{id}/messages", async Task<Accepted> (string org, string id, SessionMessageRequest body, HttpContext ctx, AgentSessionStore store) =>
        {
            await store.SendAsync(ctx.GetActor(), org, id, body.Text, ctx.RequestAborted);
            return TypedResults.Accepted((string?)null);
        }).WithName("SendSessionMessage");
        sessions.MapGet("/{id}/diff", async Task<Ok<SessionDiffDto>> (string org, string id, HttpContext ctx, SessionService service) =>
            TypedResults.Ok(await service.DiffAsync(ctx.GetActor(), org, id, ctx.RequestAborted))).WithName("GetSessionDiff");
        sessions.MapGet("/{id}/approvals", async Task<Ok<List<ApprovalDto>>> (string org, string id, HttpContext ctx, AgentSessionStore store) =>
            TypedResults.Ok((await store.ApprovalsAsync(ctx.GetActor(), org, id, ctx.RequestAborted)).Select(ToDto).ToList())).WithName("ListSessionApprovals");
        sessions.MapPost("/{id}/approvals/{approval}/approve", async Task<Ok<ApprovalDto>> (string org, string id, string approval, DecideApprovalRequest? body, HttpContext ctx, AgentSessionStore store) =>
            TypedResults.Ok(ToDto(await store.DecideAsync(ctx.GetActor(), org, id, approval, true, body?.Comment, ctx.RequestAborted)))).WithName("ApproveSessionAction");
        sessions.MapPost("/{id}/approvals/{approval}/reject", async Task<Ok<ApprovalDto>> (string org, string id, string approval, DecideApprovalRequest? body, HttpContext ctx, AgentSessionStore store) =>
            TypedResults.Ok(ToDto(await store.DecideAsync(ctx.GetActor(), org, id, approval, false, body?.Comment, ctx.RequestAborted)))).WithName("RejectSessionAction");

        api.MapGet("/orgs/{org}/approvals", async Task<Ok<List<ApprovalDto>>> (string org, HttpContext ctx, AgentSessionStore store) =>
            TypedResults.Ok((await store.PendingApprovalsAsync(ctx.GetActor(), org, ctx.RequestAborted)).Select(ToDto).ToList())).WithTags("Sessions").WithName("ListPendingApprovals");
    }

    /// <summary>The API shape of a session.</summary>
    public static SessionDto ToDto(AgentSession s) => new()
    {
        Id = s.Id, Org = s.OrgName, ParentId = s.ParentId, RetryOf = s.RetryOf, User = s.UserName, Repo = s.Repo, Base = s.BaseRef, Instruction = s.Instruction,
        Route = s.Route, Pool = s.Pool, State = s.State, StateReason = s.StateReason, Steps = s.Steps, MaxSteps = s.Limits.MaxSteps,
        CostUsd = s.CostMicros / 1_000_000m, MaxCostUsd = s.Limits.MaxCostMicros / 1_000_000m, MaxMinutes = s.Limits.MaxWallMs / 60_000d,
        InputTokens = s.InputTokens, OutputTokens = s.OutputTokens, Worker = s.WorkerName, BaseCommit = s.BaseCommit, Branch = s.Branch, Commit = s.CommitSha,
        PullRequest = s.PrUrl, Summary = s.Summary, CreatedAt = s.CreatedAt, StartedAt = s.StartedAt, UpdatedAt = s.UpdatedAt, EndedAt = s.EndedAt,
    };

    /// <summary>The API shape of a transcript entry.</summary>
    public static SessionEventDto ToDto(SessionEvent e) => new(e.Seq, e.Kind, JsonDocument.Parse(e.Data).RootElement.Clone(), e.At);

    /// <summary>The API shape of an approval.</summary>
    public static ApprovalDto ToDto(SessionApproval a) =>
        new(a.Id, a.SessionId, a.CallId, a.Action, a.Resource, a.Summary, a.Policies, a.State, a.RequestedAt, a.DecidedBy, a.DecidedAt, a.Comment);

    /// <summary>
    /// Server-Sent Events for a session: every transcript entry after <c>Last-Event-ID</c> (or <c>?after=</c>) as
    /// <c>event: entry</c> with the sequence number as its id, the session itself as <c>event: session</c> whenever it
    /// changes, live output of running tool calls as <c>event: output</c>, and <c>event: end</c> once it is over.
    /// </summary>
    private static async Task StreamAsync(string org, long? after, HttpContext ctx, AgentSessionStore store, SessionLive live)
    {
        var actor = ctx.GetActor();
        var id = (string)ctx.Request.RouteValues["id"]!;
        var session = await store.GetAsync(actor, org, id, ctx.RequestAborted);
        var seq = after ?? (long.TryParse(ctx.Request.Headers["Last-Event-ID"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var last) ? last : 0);
        ctx.Response.ContentType = "text/event-stream";
        ctx.Response.Headers.CacheControl = "no-cache";
        ctx.Response.Headers["X-Accel-Buffering"] = "no";
        var outputSeq = live.OutputSince(id, 0).LastOrDefault()?.Seq ?? 0;
        string? lastSession = null;
        try
        {
            while (!ctx.RequestAborted.IsCancellationRequested)
            {
                var changed = live.NextChangeAsync(id);
                foreach (var e in await store.EventsAsync(actor, org, id, seq, 500, ctx.RequestAborted))
                {
                    seq = e.Seq;
                    await ctx.Response.WriteAsync($"id: {e.Seq}\nevent: entry\ndata: {JsonSerializer.Serialize(ToDto(e), SessionJsonContext.Default.SessionEventDto)}\n\n", ctx.RequestAborted);
                }

                foreach (var chunk in live.OutputSince(id, outputSeq))
                {
                    outputSeq = chunk.Seq;
                    await ctx.Response.WriteAsync($"event: output\ndata: {JsonSerializer.Serialize(new { callId = chunk.CallId, stream = chunk.Stream, text = chunk.Text })}\n\n", ctx.RequestAborted);
                }

                session = await store.GetAsync(actor, org, id, ctx.RequestAborted);
                var json = JsonSerializer.Serialize(ToDto(session), SessionJsonContext.Default.SessionDto);
                if (json != lastSession)
                {
                    lastSession = json;
                    await ctx.Response.WriteAsync($"event: session\ndata: {json}\n\n", ctx.RequestAborted);
                }

                if (SessionStates.IsFinal(session.State) && (await store.EventsAsync(actor, org, id, seq, 1, ctx.RequestAborted)).Count == 0)
                {
                    await ctx.Response.WriteAsync($"event: end\ndata: {JsonSerializer.Serialize(new { state = session.State })}\n\n", ctx.RequestAborted);
                    await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
                    return;
                }

                await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
                await Task.WhenAny(changed, Task.Delay(TimeSpan.FromSeconds(15), ctx.RequestAborted));
                if (!changed.IsCompleted)
                {
                    await ctx.Response.WriteAsync(": keep-alive\n\n", ctx.RequestAborted);
                }
            }
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            // The watcher went away.
        }
    }
}
