using System.Text.Json;
using System.Text.Json.Nodes;
using Warden.Audit;
using Warden.Client.Contracts;
using Warden.Data;
using Warden.Data.Audit;
using Warden.Data.Identity;
using Warden.Data.Sessions;
using Warden.Protocol;
using Warden.Server.Workers;

namespace Warden.Server.Sessions;

/// <summary>
/// What people do with sessions, shared by the API, the web UI and the CLI (through the API): start one (after
/// <c>task.create</c> policy), cancel, retry, send a message, approve or reject, and read the work's diff.
/// </summary>
public sealed class SessionService(AgentSessionStore store, ISessionRepositories repositories, SessionPolicy policy, SessionRunner runner,
    IWorkerDispatcher workers, OrgStore orgs, IAuditRecorder audit)
{
    /// <summary>Starts a session for <paramref name="actor"/>, or refuses with 403 naming the policy.</summary>
    public async Task<AgentSession> CreateAsync(Actor actor, string org, CreateSessionRequest request, CancellationToken cancellationToken)
    {
        if (request is null || string.IsNullOrWhiteSpace(request.Repo))
        {
            throw WardenException.Invalid("repo is required: name a repository registered in the org (warden repo list).");
        }

        var limits = Limits(request);
        var orgRecord = await orgs.GetAsync(actor, org, cancellationToken).ConfigureAwait(false);
        var repo = await repositories.ResolveAsync(actor, org, request.Repo.Trim(), cancellationToken).ConfigureAwait(false);
        var baseRef = string.IsNullOrWhiteSpace(request.Base) ? repo.DefaultBranch : request.Base.Trim();
        var person = await policy.LoadPrincipalAsync(orgRecord.Id, orgRecord.Name, actor.UserId, actor.Name, cancellationToken).ConfigureAwait(false);
        var verdict = await policy.CanCreateTaskAsync(person, repo.Name, repo.DefaultBranch, cancellationToken).ConfigureAwait(false);
        if (!verdict.Allowed)
        {
            await audit.RecordAsync(new AuditEventDraft
            {
                OrgId = orgRecord.Id,
                Actor = AuditDrafts.ActorOf(actor),
                Action = "task.create",
                Resource = new AuditResource("repo", repo.Name),
                Outcome = AuditOutcome.Denied,
                Policy = new PolicyDecision
                {
                    Effect = PolicyEffect.Deny, PolicySetVersion = verdict.Version, DeterminingPolicies = verdict.Policies, ErroringPolicies = verdict.Erroring,
                },
            }, cancellationToken).ConfigureAwait(false);
            throw WardenException.Forbidden("Policy does not let you start an agent on this repository. " + verdict.Explain($"task.create on {repo.Name}"));
        }

        var session = await store.CreateAsync(actor, org, new SessionSpec(repo.Name, baseRef, request.Instruction, request.Route, request.Pool, limits), cancellationToken).ConfigureAwait(false);
        runner.Wake();
        return session;
    }

    /// <summary>Starts a new session with the same task as <paramref name="id"/>.</summary>
    public async Task<AgentSession> RetryAsync(Actor actor, string org, string id, CancellationToken cancellationToken)
    {
        var old = await store.GetAsync(actor, org, id, cancellationToken).ConfigureAwait(false);
        if (!SessionStates.IsFinal(old.State))
        {
            throw WardenException.Conflict($"Session '{id}' is still {old.State}; cancel it first or wait for it to end.");
        }

        if (old.ParentId is not null)
        {
            throw WardenException.Invalid("A sub-agent's session is retried by its parent, not on its own.");
        }

        var orgRecord = await orgs.GetAsync(actor, org, cancellationToken).ConfigureAwait(false);
        var repo = await repositories.ResolveAsync(actor, org, old.Repo, cancellationToken).ConfigureAwait(false);
        var person = await policy.LoadPrincipalAsync(orgRecord.Id, orgRecord.Name, actor.UserId, actor.Name, cancellationToken).ConfigureAwait(false);
        var verdict = await policy.CanCreateTaskAsync(person, repo.Name, repo.DefaultBranch, cancellationToken).ConfigureAwait(false);
        if (!verdict.Allowed)
        {
            throw WardenException.Forbidden("Policy does not let you start an agent on this repository. " + verdict.Explain($"task.create on {repo.Name}"));
        }

        var session = await store.CreateAsync(actor, org, new SessionSpec(old.Repo, old.BaseRef, old.Instruction, old.Route, old.Pool, old.Limits, RetryOf: old.Id), cancellationToken).ConfigureAwait(false);
        runner.Wake();
        return session;
    }

    /// <summary>Cancels a session and stops its loop at once.</summary>
    public async Task<AgentSession> CancelAsync(Actor actor, string org, string id, string? reason, CancellationToken cancellationToken)
    {
        var session = await store.CancelAsync(actor, org, id, reason, cancellationToken).ConfigureAwait(false);
        runner.Cancel(id);
        return session;
    }

    /// <summary>
    /// The session's work as a diff: read live from the workspace while the session runs, otherwise the diff taken
    /// when it finished (empty when it never got that far).
    /// </summary>
    public async Task<SessionDiffDto> DiffAsync(Actor actor, string org, string id, CancellationToken cancellationToken)
    {
        var session = await store.GetAsync(actor, org, id, cancellationToken).ConfigureAwait(false);
        if (!SessionStates.IsFinal(session.State) && session.BaseCommit is not null)
        {
            try
            {
                var result = await workers.ExecuteToolAsync(id, WorkerOperations.DiffCall("diff-" + Guid.NewGuid().ToString("N")[..12]),
                    _ => ValueTask.CompletedTask, cancellationToken).ConfigureAwait(false);
                var (diff, stat, truncated) = SessionDiffs.Read(result);
                return new SessionDiffDto(diff, stat, truncated, Live: true);
            }
            catch (WorkerDispatchException)
            {
                // The workspace is not reachable now (preparing, or its worker is away): fall back to what is stored.
            }
        }

        var finish = (await store.EventsAsync(actor, org, id, 0, 5000, cancellationToken).ConfigureAwait(false)).LastOrDefault(e => e.Kind == SessionEventKinds.Finish);
        if (finish is not null && JsonNode.Parse(finish.Data) is JsonObject data)
        {
            return new SessionDiffDto(data["diff"]?.GetValue<string>() ?? string.Empty, data["stat"]?.GetValue<string>(), data["truncated"]?.GetValue<bool>() ?? false, Live: false);
        }

        return new SessionDiffDto(string.Empty, null, false, Live: false);
    }

    private static SessionLimitSet? Limits(CreateSessionRequest request)
    {
        if (request.MaxSteps is null && request.MaxCostUsd is null && request.MaxMinutes is null)
        {
            return null;
        }

        var d = SessionLimitSet.Default;
        if (request.MaxCostUsd is { } usd && (usd <= 0 || usd > 10_000))
        {
            throw WardenException.Invalid("maxCostUsd must be more than 0 and at most 10,000.");
        }

        if (request.MaxMinutes is { } minutes && (double.IsNaN(minutes) || minutes <= 0 || minutes > 7 * 24 * 60))
        {
            throw WardenException.Invalid("maxMinutes must be more than 0 and at most 7 days.");
        }

        return new SessionLimitSet(
            request.MaxSteps ?? d.MaxSteps,
            request.MaxCostUsd is { } cost ? (long)(cost * 1_000_000m) : d.MaxCostMicros,
            request.MaxMinutes is { } m ? (long)(m * 60_000) : d.MaxWallMs);
    }
}
