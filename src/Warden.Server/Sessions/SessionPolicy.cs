using Dapper;
using Warden.Data;
using Warden.Data.Identity;
using Warden.Policy;
using Warden.Policy.Entities;
using Warden.Policy.Values;
using Warden.Server.Policy;

namespace Warden.Server.Sessions;

/// <summary>
/// Asks the org's active policy set about agent sessions: whether a person may start one on a repository
/// (<c>task.create</c>), and whether the session's agent may take each action (<c>shell.exec</c> with the command,
/// <c>file.write</c> with the path, <c>git.push</c> of its branch, <c>pr.open</c> ...). The agent is
/// <c>Warden::Agent::"&lt;session&gt;"</c>, a child of its user and the user's teams, so policies written for people
/// and teams reach their agents too. Entity ids are names, as in the policy tests.
/// </summary>
public sealed class SessionPolicy(PolicyDecisions decisions, ConnectionFactory connections)
{
    private static readonly Actor PolicyActor = Actor.System("sessions");

    /// <summary>A decision: allowed or not, whether a person must approve first, and the policies that decided.</summary>
    /// <param name="Allowed">True when a permit applies and no forbid does.</param>
    /// <param name="ApprovalRequired">True when a determining permit is annotated <c>@approval("required")</c>.</param>
    /// <param name="Policies">The determining policies.</param>
    /// <param name="Erroring">Policies that failed to evaluate (skipped).</param>
    /// <param name="Version">The policy-set version and content hash.</param>
    public sealed record Verdict(bool Allowed, bool ApprovalRequired, IReadOnlyList<string> Policies, IReadOnlyList<string> Erroring, string Version)
    {
        /// <summary>A sentence for the agent, the transcript and the audit trail.</summary>
        public string Explain(string what) => Allowed
            ? $"{what}: permitted by {string.Join(", ", Policies)}{(ApprovalRequired ? " once a person approves" : string.Empty)} (policy {Version})"
            : Policies.Count > 0 ? $"{what}: forbidden by {string.Join(", ", Policies)} (policy {Version})" : $"{what}: no policy permits it (policy {Version})";
    }

    /// <summary>Who a session acts for: the user, their teams and role, and the repository.</summary>
    /// <param name="OrgName">The org.</param>
    /// <param name="UserName">The user.</param>
    /// <param name="Role">The user's role in the org.</param>
    /// <param name="Teams">The user's teams in the org.</param>
    public sealed record Principal(string OrgName, string UserName, string Role, IReadOnlyList<string> Teams);

    /// <summary>Loads the user's role and teams (once per session run).</summary>
    public async Task<Principal> LoadPrincipalAsync(string orgId, string orgName, string userId, string userName, CancellationToken cancellationToken)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var role = await connection.QuerySingleOrDefaultAsync<string>("SELECT role FROM org_members WHERE org_id = @orgId AND user_id = @userId", new { orgId, userId }).ConfigureAwait(false);
        var teams = (await connection.QueryAsync<string>(
            "SELECT t.name FROM teams t JOIN team_members tm ON tm.team_id = t.id WHERE t.org_id = @orgId AND tm.user_id = @userId ORDER BY t.name",
            new { orgId, userId }).ConfigureAwait(false)).ToList();
        return new Principal(orgName, userName, role ?? "member", teams);
    }

    /// <summary><c>task.create</c>: may this person start an agent on this repository?</summary>
    public Task<Verdict> CanCreateTaskAsync(Principal person, string repo, string defaultBranch, CancellationToken cancellationToken)
    {
        var user = new EntityUid("Warden::User", person.UserName);
        return DecideAsync(person, user, "task.create", RepoUid(repo), [RepoEntity(person, repo, defaultBranch)], RecordValue.Empty, cancellationToken);
    }

    /// <summary>An action of the session's agent on a resource, with the action's context.</summary>
    public Task<Verdict> CanAgentAsync(Principal person, string sessionId, string repo, string action, EntityUid resource, IReadOnlyList<Entity> resourceEntities,
        IReadOnlyDictionary<string, Value> context, CancellationToken cancellationToken)
    {
        var agent = new EntityUid("Warden::Agent", sessionId);
        var parents = new List<EntityUid> { new("Warden::User", person.UserName) };
        parents.AddRange(person.Teams.Select(t => new EntityUid("Warden::Team", t)));
        var agentEntity = new Entity(agent, new Dictionary<string, Value>(StringComparer.Ordinal) { ["repo"] = new StringValue(repo) }, parents);
        return DecideAsync(person, agent, action, resource, [agentEntity, .. resourceEntities], new RecordValue(new Dictionary<string, Value>(context, StringComparer.Ordinal)), cancellationToken);
    }

    /// <summary>The entity of a repository, a child of its org.</summary>
    public static Entity RepoEntity(Principal person, string repo, string defaultBranch) =>
        new(RepoUid(repo), new Dictionary<string, Value>(StringComparer.Ordinal)
        {
            ["org"] = new EntityUid("Warden::Org", person.OrgName),
            ["defaultBranch"] = new StringValue(defaultBranch),
        }, [new EntityUid("Warden::Org", person.OrgName)]);

    /// <summary>A repository's uid.</summary>
    public static EntityUid RepoUid(string repo) => new("Warden::Repo", repo);

    private async Task<Verdict> DecideAsync(Principal person, EntityUid principal, string action, EntityUid resource, IReadOnlyList<Entity> extra,
        RecordValue context, CancellationToken cancellationToken)
    {
        var (version, bundle) = await decisions.GetActiveAsync(PolicyActor, person.OrgName, cancellationToken).ConfigureAwait(false);
        var org = new EntityUid("Warden::Org", person.OrgName);
        var user = new Entity(new EntityUid("Warden::User", person.UserName),
            new Dictionary<string, Value>(StringComparer.Ordinal) { ["role"] = new StringValue(person.Role) },
            [org, .. person.Teams.Select(t => new EntityUid("Warden::Team", t))]);
        var entities = new EntityStore(
        [
            new Entity(org),
            user,
            .. person.Teams.Select(t => new Entity(new EntityUid("Warden::Team", t), parents: [org])),
            .. extra,
            .. bundle.Schema.ActionEntities(),
        ]);
        var response = Authorizer.IsAuthorized(new AuthorizationRequest(principal, new EntityUid("Warden::Action", action), resource, context), bundle.Policies, entities);
        var allowed = response.Decision == Decision.Allow;
        var approval = allowed && response.Reasons.Any(id => PolicyDecisions.RequiresApproval(bundle, id));
        return new Verdict(allowed, approval, response.Reasons, response.Errors.Select(e => e.PolicyId).ToList(), $"{version} {bundle.ContentHash}");
    }
}
