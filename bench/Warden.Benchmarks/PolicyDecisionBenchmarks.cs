using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using Warden.Policy;
using Warden.Policy.Entities;
using Warden.Policy.Values;

namespace Warden.Benchmarks;

/// <summary>
/// Policy decisions over a realistic set: 100 policies and 50 entities in an org / team / user / agent / repo hierarchy,
/// asked the questions an agent's tool calls raise. The baseline is the same authoriser over one permit-all policy:
/// the floor cost of a decision, so the ratio shows what a realistic policy set adds.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class PolicyDecisionBenchmarks
{
    private PolicySet _realistic = PolicySet.Empty;
    private PolicySet _floor = PolicySet.Empty;
    private EntityStore _entities = EntityStore.Empty;
    private AuthorizationRequest _shell = null!;
    private AuthorizationRequest _write = null!;
    private AuthorizationRequest _egress = null!;

    [GlobalSetup]
    public void Setup()
    {
        (_realistic, _entities) = RealisticWorkload.Build();
        _floor = PolicySet.Parse("permit (principal, action, resource);");
        var agent = new EntityUid("Agent", "ses_3");
        _shell = new AuthorizationRequest(agent, new EntityUid("Action", "shell.exec"), new EntityUid("Tool", "shell"),
            Record(("command", new StringValue("dotnet test tests/App.Tests")), ("repo", new EntityUid("Repo", "repo_3"))));
        _write = new AuthorizationRequest(agent, new EntityUid("Action", "file.write"), new EntityUid("Path", "src/App/Program.cs"),
            Record(("repo", new EntityUid("Repo", "repo_3")), ("path", new StringValue("src/App/Program.cs"))));
        _egress = new AuthorizationRequest(agent, new EntityUid("Action", "egress.connect"), new EntityUid("Host", "registry.npmjs.org"),
            Record(("port", LongValue.Of(443))));
        if (Authorizer.Decide(_shell, _realistic, _entities) != Decision.Allow || Authorizer.Decide(_egress, _realistic, _entities) != Decision.Allow)
        {
            throw new InvalidOperationException("The workload does not decide as designed.");
        }
    }

    [Benchmark(Baseline = true, Description = "floor: 1 permit-all policy")]
    public Decision Floor() => Authorizer.Decide(_shell, _floor, _entities);

    [Benchmark(Description = "shell.exec (100 policies)")]
    public Decision ShellExec() => Authorizer.Decide(_shell, _realistic, _entities);

    [Benchmark(Description = "file.write (100 policies)")]
    public Decision FileWrite() => Authorizer.Decide(_write, _realistic, _entities);

    [Benchmark(Description = "egress.connect (100 policies)")]
    public Decision Egress() => Authorizer.Decide(_egress, _realistic, _entities);

    [Benchmark(Description = "shell.exec with reasons (IsAuthorized)")]
    public AuthorizationResponse ShellExecWithReasons() => Authorizer.IsAuthorized(_shell, _realistic, _entities);

    private static RecordValue Record(params (string Key, Value Value)[] pairs) =>
        new(pairs.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal));
}

/// <summary>Builds the benchmark's policy set and entities.</summary>
public static class RealisticWorkload
{
    /// <summary>100 policies over 50 entities: 1 org, 5 teams, 15 users, 10 agents, 10 repos, 5 hosts, 2 host groups, a tool, a path and an action (50).</summary>
    public static (PolicySet Policies, EntityStore Entities) Build()
    {
        var entities = new List<Entity> { new(new EntityUid("Org", "acme")) };
        for (var t = 0; t < 5; t++)
        {
            entities.Add(new Entity(new EntityUid("Team", $"team_{t}"), null, [new EntityUid("Org", "acme")]));
        }

        for (var u = 0; u < 15; u++)
        {
            entities.Add(new Entity(new EntityUid("User", $"user_{u}"), Attrs(("role", new StringValue(u % 5 == 0 ? "admin" : "member"))), [new EntityUid("Team", $"team_{u % 5}")]));
        }

        for (var a = 0; a < 10; a++)
        {
            entities.Add(new Entity(new EntityUid("Agent", $"ses_{a}"), Attrs(("repo", new EntityUid("Repo", $"repo_{a}"))), [new EntityUid("User", $"user_{a}"), new EntityUid("Team", $"team_{a % 5}")]));
        }

        for (var r = 0; r < 10; r++)
        {
            entities.Add(new Entity(new EntityUid("Repo", $"repo_{r}"), Attrs(("sensitive", r % 4 == 0 ? BoolValue.True : BoolValue.False)), [new EntityUid("Team", $"team_{r % 5}")]));
        }

        entities.Add(new Entity(new EntityUid("HostGroup", "package-registries")));
        entities.Add(new Entity(new EntityUid("HostGroup", "git-hosts")));
        foreach (var (host, group) in new[] { ("registry.npmjs.org", "package-registries"), ("pypi.org", "package-registries"), ("api.nuget.org", "package-registries"), ("github.com", "git-hosts"), ("gitlab.com", "git-hosts") })
        {
            entities.Add(new Entity(new EntityUid("Host", host), null, [new EntityUid("HostGroup", group)]));
        }

        entities.Add(new Entity(new EntityUid("Tool", "shell")));
        entities.Add(new Entity(new EntityUid("Path", "src/App/Program.cs")));
        entities.Add(new Entity(new EntityUid("Action", "shell.exec")));

        var text = new StringBuilder();
        var id = 0;
        void Policy(string body) => text.Append(CultureInfo.InvariantCulture, $"@id(\"p{id++}\")\n{body}\n");
        for (var t = 0; t < 5; t++)
        {
            Policy($"permit (principal in Team::\"team_{t}\", action == Action::\"shell.exec\", resource) when {{ context.repo in Team::\"team_{t}\" && !(context.command like \"*rm -rf /*\") }};");
            Policy($"permit (principal in Team::\"team_{t}\", action == Action::\"file.write\", resource) when {{ context.repo in Team::\"team_{t}\" && !(context.path like \".github/workflows/*\") }};");
            Policy($"permit (principal in Team::\"team_{t}\", action == Action::\"file.read\", resource);");
            Policy($"forbid (principal in Team::\"team_{t}\", action == Action::\"file.write\", resource) when {{ context.path like \"secrets/*\" }};");
            Policy($"permit (principal in Team::\"team_{t}\", action == Action::\"git.push\", resource) when {{ context has branch && context.branch like \"warden/*\" }};");
        }

        for (var r = 0; r < 10; r++)
        {
            Policy($"forbid (principal, action in [Action::\"shell.exec\", Action::\"file.write\"], resource) when {{ context has repo && context.repo == Repo::\"repo_{r}\" && context has frozen && context.frozen }};");
            Policy($"permit (principal in Repo::\"repo_{r}\", action == Action::\"pr.open\", resource == Repo::\"repo_{r}\");");
            Policy($"forbid (principal, action == Action::\"git.push\", resource) when {{ context has repo && context.repo == Repo::\"repo_{r}\" && context has branch && context.branch == \"main\" }};");
        }

        for (var u = 0; u < 15; u++)
        {
            Policy($"permit (principal == User::\"user_{u}\", action == Action::\"task.create\", resource in Team::\"team_{u % 5}\");");
        }

        Policy("permit (principal is Agent, action == Action::\"egress.connect\", resource in HostGroup::\"package-registries\") when { context.port == 443 };");
        Policy("permit (principal is Agent, action == Action::\"egress.connect\", resource in HostGroup::\"git-hosts\") when { context.port == 443 || context.port == 22 };");
        Policy("forbid (principal, action == Action::\"egress.connect\", resource) when { context.port < 1024 && context.port != 443 && context.port != 22 && context.port != 80 };");
        for (var m = 0; m < 10; m++)
        {
            Policy($"permit (principal is Agent, action == Action::\"model.invoke\", resource == Model::\"model_{m}\") when {{ context has tokens && context.tokens < {10_000 * (m + 1)} }};");
        }

        for (var s = 0; s < 17; s++)
        {
            Policy($"@approval(\"required\")\npermit (principal is Agent, action == Action::\"mcp.call\", resource == McpServer::\"mcp_{s}\") when {{ context has tool && context.tool like \"create_*\" }};");
        }

        var policies = PolicySet.Parse(text.ToString());
        if (policies.Policies.Count != 100)
        {
            throw new InvalidOperationException($"Expected 100 policies, built {policies.Policies.Count}.");
        }

        return (policies, new EntityStore(entities));
    }

    private static Dictionary<string, Value> Attrs(params (string Key, Value Value)[] pairs) => pairs.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
}
