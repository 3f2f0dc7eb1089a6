using System.Collections.Concurrent;
using Dapper;
using Warden.Audit;
using Warden.Data;
using Warden.Data.Audit;
using Warden.Data.Identity;
using Warden.Policy;
using Warden.Policy.Entities;
using Warden.Policy.Values;
using Warden.Server.Policy;

namespace Warden.Server.Workers;

/// <summary>
/// Decides whether a session's sandbox may connect to a host (<c>egress.connect</c>: principal
/// <c>Warden::Agent::"&lt;session&gt;"</c>, resource <c>Warden::Host::"&lt;host&gt;"</c> in its host groups, context
/// <c>port</c>) and records every attempt the worker's egress proxy reports, allowed or denied, in the audit ledger.
/// </summary>
public sealed class EgressAuthorizer(PolicyDecisions decisions, ConnectionFactory connections, IAuditRecorder audit)
{
    /// <summary>
    /// The built-in host group of public package registries, which Warden's default policy opens on port 443. An org
    /// widens or replaces it with its own policies (for example a permit naming its internal mirror).
    /// </summary>
    public static readonly IReadOnlySet<string> PackageRegistries = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "registry.npmjs.org", "registry.yarnpkg.com", "pypi.org", "files.pythonhosted.org", "proxy.golang.org", "sum.golang.org",
        "crates.io", "index.crates.io", "static.crates.io", "repo.maven.apache.org", "repo1.maven.org", "api.nuget.org",
        "rubygems.org", "index.rubygems.org", "deb.debian.org", "security.debian.org",
    };

    private static readonly Actor EgressActor = Actor.System("egress");
    private static readonly EntityUid ConnectAction = new("Warden::Action", "egress.connect");
    private readonly ConcurrentDictionary<string, string> _orgNames = new(StringComparer.Ordinal);

    // The policy reason of the latest decision per session, host and port, so the attempt's audit event can name it.
    private readonly ConcurrentDictionary<(string Session, string Host, int Port), string> _lastDecision = new();

    /// <summary>The decision for one connection attempt, with the determining policies or the reason for a denial.</summary>
    public async Task<(bool Allowed, string Reason)> DecideAsync(string orgId, string sessionId, string host, int port, CancellationToken cancellationToken)
    {
        var orgName = await OrgNameAsync(orgId, cancellationToken).ConfigureAwait(false);
        var (version, bundle) = await decisions.GetActiveAsync(EgressActor, orgName, cancellationToken).ConfigureAwait(false);
        var principal = new EntityUid("Warden::Agent", sessionId);
        var resource = new EntityUid("Warden::Host", host.ToLowerInvariant());
        var groups = PackageRegistries.Contains(host) ? new[] { new EntityUid("Warden::HostGroup", "package-registries") } : [];
        var entities = new EntityStore(
        [
            new Entity(principal, new Dictionary<string, Value>(StringComparer.Ordinal) { ["repo"] = StringValue.Empty }),
            new Entity(resource, parents: groups),
            .. bundle.Schema.ActionEntities(),
        ]);
        var context = new RecordValue(new Dictionary<string, Value>(StringComparer.Ordinal) { ["port"] = LongValue.Of(port) });
        var response = Authorizer.IsAuthorized(new AuthorizationRequest(principal, ConnectAction, resource, context), bundle.Policies, entities);
        var result = response.Decision == Decision.Allow
            ? (true, $"permitted by {string.Join(", ", response.Reasons)} (policy {version})")
            : (false, response.Reasons.Count > 0 ? $"forbidden by {string.Join(", ", response.Reasons)} (policy {version})" : $"no policy permits {host}:{port} (policy {version})");
        if (_lastDecision.Count > 10_000)
        {
            _lastDecision.Clear();
        }

        _lastDecision[(sessionId, host, port)] = result.Item2;
        return result;
    }

    /// <summary>Records one finished attempt.</summary>
    public Task RecordAsync(string orgId, Protocol.EgressAttemptMessage attempt, string workerName, CancellationToken cancellationToken)
    {
        _lastDecision.TryRemove((attempt.SessionId, attempt.Host, attempt.Port), out var policy);
        return audit.RecordAsync(new AuditEventDraft
        {
            OrgId = orgId,
            Actor = new AuditActor(Warden.Audit.ActorKind.AgentSession, attempt.SessionId),
            Source = new AuditSource("warden", "warden-worker", attempt.SessionId),
            Action = "egress.connect",
            Resource = new AuditResource("host", $"{attempt.Host}:{attempt.Port}"),
            Outcome = attempt.Allowed ? AuditOutcome.Success : AuditOutcome.Denied,
            Details = AuditDrafts.Details(new Dictionary<string, string?>
            {
                ["worker"] = workerName,
                ["scheme"] = attempt.Scheme,
                ["reason"] = attempt.Reason,
                ["policy"] = policy,
                ["status"] = attempt.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["address"] = attempt.ResolvedAddress,
                ["bytesUp"] = attempt.BytesUp.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["bytesDown"] = attempt.BytesDown.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["durationMs"] = attempt.DurationMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
            }),
        }, cancellationToken);
    }

    private async Task<string> OrgNameAsync(string orgId, CancellationToken cancellationToken)
    {
        if (_orgNames.TryGetValue(orgId, out var name))
        {
            return name;
        }

        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        name = await connection.QuerySingleOrDefaultAsync<string>("SELECT name FROM orgs WHERE id = @orgId", new { orgId }).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Org {orgId} does not exist.");
        _orgNames[orgId] = name;
        return name;
    }
}
