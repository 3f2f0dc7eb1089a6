using System.Text.Json;
using Warden.Client;
using Warden.Client.Contracts;
using Warden.Server.Policy;
using Warden.Testing;

namespace Warden.IntegrationTests;

/// <summary>Policy as code through the server: defaults, decisions with approvals, versions, and refusing bad bundles.</summary>
public sealed class PolicyTests
{
    private static readonly EntityRefDto Agent = new("Warden::Agent", "ses_1");

    private static JsonElement Entities => JsonDocument.Parse(PolicyBundle.Default.Files["tests/entities.json"]).RootElement.Clone();

    private static AuthorizeRequest Push(string branch, bool workflows) => new(
        Agent, new EntityRefDto("Warden::Action", "git.push"), new EntityRefDto("Warden::Branch", branch),
        JsonDocument.Parse($"{{\"touchesWorkflows\": {(workflows ? "true" : "false")}}}").RootElement.Clone(), Entities);

    [Fact]
    public void DefaultBundle_ValidatesStrictlyAndPassesItsOwnTests()
    {
        var bundle = PolicyBundle.Default;

        bundle.Validate().Errors.ShouldBeEmpty();
        var report = bundle.RunTests();
        report.TestsFailed.ShouldBe(0, string.Join("\n", report.Failures));
        report.RequestsTotal.ShouldBeGreaterThanOrEqualTo(13);
        bundle.Policies.Policies.Select(p => p.Id).ShouldContain("no-push-to-protected-branches");
    }

    [Theory]
    [InlineData("../escape.cedar")]
    [InlineData("/abs.cedar")]
    [InlineData("notes.txt")]
    [InlineData("dir\\win.cedar")]
    public void Bundle_RefusesUnsafeFileNames(string name)
    {
        var files = new Dictionary<string, string>(PolicyBundle.Default.Files) { [name] = "permit (principal, action, resource);" };
        Should.Throw<PolicyBundleException>(() => PolicyBundle.Load(files)).Errors.ShouldContain(e => e.StartsWith(name, StringComparison.Ordinal));
    }

    [Fact]
    public void Bundle_ReportsParseErrorsWithFileLineAndColumn_AndDuplicateIds()
    {
        var files = new Dictionary<string, string>
        {
            ["a.cedar"] = "@id(\"x\")\npermit (principal, action, resource);",
            ["b.cedar"] = "@id(\"x\")\npermit (principal, action, resource);\n",
            ["c.cedar"] = "permit (principal,\n  action ==, resource);",
        };

        var errors = Should.Throw<PolicyBundleException>(() => PolicyBundle.Load(files)).Errors;

        errors.ShouldContain(e => e.StartsWith("c.cedar:2:", StringComparison.Ordinal));
        errors.ShouldContain(e => e.Contains("'x' is used twice", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Defaults_DenyProtectedPushes_AndRequireApprovalForWorkflowChanges_AndAuditBoth(string engine)
    {
        await using var server = await TestServer.StartAsync(engine);
        using var admin = server.Client();

        var own = await admin.AuthorizeAsync("default", Push("acme/app#warden/ses_1", workflows: false));
        var workflows = await admin.AuthorizeAsync("default", Push("acme/app#warden/ses_1", workflows: true));
        var protectedPush = await admin.AuthorizeAsync("default", Push("acme/app#main", workflows: false));

        own.Decision.ShouldBe("allow");
        own.ApprovalRequired.ShouldBeFalse();
        own.PolicyVersion.ShouldBe("default");
        workflows.Decision.ShouldBe("allow");
        workflows.ApprovalRequired.ShouldBeTrue();
        workflows.Determining.ShouldContain("approve-workflow-changes");
        protectedPush.Decision.ShouldBe("deny");
        protectedPush.Determining.ShouldBe(["no-push-to-protected-branches"]);

        var audited = (await admin.SearchAuditAsync("default", new Dictionary<string, string?> { ["action"] = "policy.decision" })).Events;
        audited.Count.ShouldBe(2, "denials and approvals are audited; a plain allow is not");
        var deny = audited.Single(e => e.Outcome == "denied");
        deny.ResourceId.ShouldBe("acme/app#main");
        var policy = deny.Record.GetProperty("policy");
        policy.GetProperty("effect").GetString().ShouldBe("deny");
        policy.GetProperty("determining")[0].GetString().ShouldBe("no-push-to-protected-branches");
        policy.GetProperty("version").GetString()!.ShouldStartWith("default sha256:");
        audited.Single(e => e.Outcome == "success").Record.GetProperty("details").GetProperty("approvalRequired").GetString().ShouldBe("true");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Push_ActivatesANewVersion_KeepsHistory_Diffs_AndIsAudited(string engine)
    {
        await using var server = await TestServer.StartAsync(engine);
        using var admin = server.Client();
        var files = new Dictionary<string, string>(PolicyBundle.Default.Files)
        {
            ["extra.cedar"] = "@id(\"no-models-for-agents\")\nforbid (principal is Warden::Agent, action == Warden::Action::\"model.invoke\", resource);\n",
        };
        var modelCall = new AuthorizeRequest(Agent, new("Warden::Action", "model.invoke"), new("Warden::Model", "gpt-4.1"), null, Entities);
        (await admin.AuthorizeAsync("default", modelCall)).Decision.ShouldBe("allow");

        // The shipped tests expect agents to call models, so this bundle fails its own tests and is refused.
        var refused = await Should.ThrowAsync<WardenApiException>(admin.PushPoliciesAsync("default", new PushPolicyRequest(files, "block models")));
        refused.Status.ShouldBe(400);
        refused.Errors.ShouldContain(e => e.StartsWith("test:", StringComparison.Ordinal));
        (await admin.ListPolicyVersionsAsync("default")).Single().Version.ShouldBe("default");

        // Drop the now-outdated test and push again: activated as v1.
        files.Remove("tests/defaults.json");
        var pushed = await admin.PushPoliciesAsync("default", new PushPolicyRequest(files, "block models"));
        var again = await admin.PushPoliciesAsync("default", new PushPolicyRequest(files, "same again"));

        pushed.Created.ShouldBeTrue();
        pushed.Version.Version.ShouldBe("v1");
        again.Created.ShouldBeFalse();
        var decision = await admin.AuthorizeAsync("default", modelCall);
        decision.Decision.ShouldBe("deny");
        decision.PolicyVersion.ShouldBe("v1");
        decision.Determining.ShouldBe(["no-models-for-agents"]);
        var diff = await admin.DiffPoliciesAsync("default", "default", "v1");
        diff.Diff.ShouldContain("+++ b/extra.cedar");
        diff.Diff.ShouldContain("+forbid (principal is Warden::Agent");
        diff.Diff.ShouldContain("--- a/tests/defaults.json");
        var activation = (await admin.SearchAuditAsync("default", new Dictionary<string, string?> { ["action"] = "policy.activate" })).Events.Single();
        activation.Record.GetProperty("details").GetProperty("contentHash").GetString().ShouldBe(pushed.Version.ContentHash);

        // Roll back by pushing the defaults: a new version with the old content.
        var rollback = await admin.PushPoliciesAsync("default", new PushPolicyRequest(PolicyBundle.Default.Files, "roll back"));
        rollback.Version.Version.ShouldBe("v2");
        rollback.Version.ContentHash.ShouldBe(PolicyBundle.Default.ContentHash);
        (await admin.AuthorizeAsync("default", modelCall)).Decision.ShouldBe("allow");
        (await admin.ListPolicyVersionsAsync("default")).Select(v => v.Version).ShouldBe(["v2", "v1"]);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task InvalidBundles_AndMalformedRequests_AreRefusedWithReasons(string engine)
    {
        await using var server = await TestServer.StartAsync(engine);
        using var admin = server.Client();

        var syntax = await Should.ThrowAsync<WardenApiException>(admin.PushPoliciesAsync("default",
            new PushPolicyRequest(new Dictionary<string, string> { ["p.cedar"] = "permit (principal, action, resource) when { 1 + };" })));
        var unknownAttribute = await Should.ThrowAsync<WardenApiException>(admin.PushPoliciesAsync("default",
            new PushPolicyRequest(new Dictionary<string, string> { ["p.cedar"] = "permit (principal is Warden::Agent, action == Warden::Action::\"pr.open\", resource) when { resource.stars > 10 };" })));
        var unknownAction = await Should.ThrowAsync<WardenApiException>(admin.AuthorizeAsync("default",
            new AuthorizeRequest(Agent, new("Warden::Action", "launch.missiles"), new("Warden::Repo", "acme/app"))));
        var badContext = await Should.ThrowAsync<WardenApiException>(admin.AuthorizeAsync("default",
            new AuthorizeRequest(Agent, new("Warden::Action", "egress.connect"), new("Warden::Host", "x"), JsonDocument.Parse("{\"port\": \"443\"}").RootElement)));

        syntax.Status.ShouldBe(400);
        syntax.Message.ShouldContain("p.cedar:1:");
        unknownAttribute.Status.ShouldBe(400);
        unknownAttribute.Errors.ShouldContain(e => e.StartsWith("validation:", StringComparison.Ordinal));
        unknownAction.Status.ShouldBe(400);
        unknownAction.Message.ShouldContain("Unknown action");
        badContext.Status.ShouldBe(400);
        (await admin.ListPolicyVersionsAsync("default")).Single().Version.ShouldBe("default");
    }

    [Fact]
    public async Task Members_MayAskForDecisionsButNotChangePolicies()
    {
        await using var server = await TestServer.StartAsync("sqlite");
        using var admin = server.Client();
        await admin.CreateUserAsync("default", new CreateUserRequest("mem", Role: "member", Password: "member password!"));
        using var member = server.Client(await ApiTests.LoginAndMintTokenAsync(server, "mem", "member password!"));

        (await member.AuthorizeAsync("default", Push("acme/app#main", false))).Decision.ShouldBe("deny");
        (await Should.ThrowAsync<WardenApiException>(member.PushPoliciesAsync("default", new PushPolicyRequest(PolicyBundle.Default.Files)))).Status.ShouldBe(403);
        (await member.GetPolicyVersionAsync("default", "active")).Files!.Keys.ShouldContain("policies.cedar");
    }

    [Fact]
    public async Task Cli_InitValidatePushListDiffExplainAndTest()
    {
        await using var server = await TestServer.StartAsync("sqlite");
        var work = Path.Combine(server.Db.Folder, "cli");
        var dir = Path.Combine(work, "policies");
        (await Cli(work, "login", "--server", server.BaseAddress.ToString(), "--token", server.AdminToken)).Code.ShouldBe(0);

        (await Cli(work, "policy", "init", dir)).Code.ShouldBe(0);
        var valid = await Cli(work, "policy", "validate", dir);
        var corpus = await Cli(work, "policy", "test", CedarCorpusSample(work));
        // Jira is the one MCP server the shipped tests ask about; forbidding Confluence changes none of their answers.
        await File.AppendAllTextAsync(Path.Combine(dir, "policies.cedar"), "\n@id(\"no-confluence\")\nforbid (principal, action == Warden::Action::\"mcp.call\", resource == Warden::McpServer::\"confluence\");\n");
        var push = await Cli(work, "policy", "push", dir, "-m", "forbid confluence");
        var list = await Cli(work, "policy", "list");
        var diff = await Cli(work, "policy", "diff", "default", "v1");
        var explain = await Cli(work, "policy", "explain", "--principal", "Warden::Agent::\"ses_1\"", "--action", "git.push",
            "--resource", "Warden::Branch::\"acme/app#main\"", "--context", "{\"touchesWorkflows\": false}", "--entities", Path.Combine(dir, "tests", "entities.json"));
        await File.AppendAllTextAsync(Path.Combine(dir, "policies.cedar"), "permit (principal, action, resource) when { resource.nope };\n");
        var broken = await Cli(work, "policy", "validate", dir);

        valid.Code.ShouldBe(0, valid.Err);
        valid.Out.ShouldContain("9 policies");
        corpus.Out.TrimEnd().ShouldEndWith("1 passed, 0 failed");
        push.Code.ShouldBe(0, push.Err);
        push.Out.ShouldContain("Activated v1");
        list.Out.ShouldContain("forbid confluence");
        diff.Out.ShouldContain("+forbid (principal, action == Warden::Action::\"mcp.call\", resource == Warden::McpServer::\"confluence\");");
        explain.Out.ShouldContain("DENY (policy set v1)");
        explain.Out.ShouldContain("forbid no-push-to-protected-branches");
        broken.Code.ShouldBe(1);
        broken.Err.ShouldContain("validation:");
    }

    [Fact]
    public async Task Sync_FromAGitRepository_PushesOnlyWhenTheContentChanges()
    {
        await using var server = await TestServer.StartAsync("sqlite");
        var work = Path.Combine(server.Db.Folder, "gitops");
        var repo = Path.Combine(work, "policy-repo");
        (await Cli(work, "login", "--server", server.BaseAddress.ToString(), "--token", server.AdminToken)).Code.ShouldBe(0);
        (await Cli(work, "policy", "init", Path.Combine(repo, "warden"))).Code.ShouldBe(0);
        Git(repo, "init", "-q", "-b", "main");
        Git(repo, "add", ".");
        Git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "policies");

        var first = await Cli(work, "policy", "sync", "--repo", repo, "--path", "warden");
        var again = await Cli(work, "policy", "sync", "--repo", repo, "--path", "warden");
        await File.AppendAllTextAsync(Path.Combine(repo, "warden", "policies.cedar"), "\n@id(\"no-confluence\")\nforbid (principal, action == Warden::Action::\"mcp.call\", resource == Warden::McpServer::\"confluence\");\n");
        Git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-am", "forbid confluence");
        var changed = await Cli(work, "policy", "sync", "--repo", repo, "--path", "warden");
        var escape = await Cli(work, "policy", "sync", "--repo", repo, "--path", "../..");
        var missing = await Cli(work, "policy", "sync", "--repo", Path.Combine(work, "nope"));

        first.Code.ShouldBe(0, first.Err);
        first.Out.ShouldContain("Activated v1");
        again.Out.ShouldContain("Unchanged: v1");
        changed.Out.ShouldContain("Activated v2");
        escape.Code.ShouldBe(1);
        missing.Code.ShouldBe(1);
        missing.Err.ShouldContain("git clone failed");
        using var admin = server.Client();
        (await admin.ListPolicyVersionsAsync("default")).First().Message.ShouldStartWith($"sync {repo}:warden@");
    }

    private static void Git(string dir, params string[] args)
    {
        Directory.CreateDirectory(dir);
        var info = new System.Diagnostics.ProcessStartInfo("git") { WorkingDirectory = dir, RedirectStandardError = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var p = System.Diagnostics.Process.Start(info)!;
        p.WaitForExit();
        p.ExitCode.ShouldBe(0, p.StandardError.ReadToEnd());
    }

    /// <summary>A test in Cedar's own integration-test format (positional policy ids), as 'warden policy test' runs them.</summary>
    private static string CedarCorpusSample(string work)
    {
        var dir = Path.Combine(work, "cedar");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "policies.cedar"), "permit (principal == User::\"alice\", action, resource);\nforbid (principal, action, resource) when { resource.secret };");
        File.WriteAllText(Path.Combine(dir, "schema.cedarschema"), "entity User; entity Doc { secret: Bool }; action view appliesTo { principal: [User], resource: [Doc] };");
        File.WriteAllText(Path.Combine(dir, "entities.json"), "[{\"uid\":{\"type\":\"User\",\"id\":\"alice\"},\"attrs\":{},\"parents\":[]},{\"uid\":{\"type\":\"Doc\",\"id\":\"a\"},\"attrs\":{\"secret\":false},\"parents\":[]},{\"uid\":{\"type\":\"Doc\",\"id\":\"s\"},\"attrs\":{\"secret\":true},\"parents\":[]}]");
        File.WriteAllText(Path.Combine(dir, "test.json"), "{\"policies\":\"policies.cedar\",\"entities\":\"entities.json\",\"schema\":\"schema.cedarschema\",\"shouldValidate\":true,\"requests\":[" +
            "{\"description\":\"open\",\"principal\":{\"type\":\"User\",\"id\":\"alice\"},\"action\":{\"type\":\"Action\",\"id\":\"view\"},\"resource\":{\"type\":\"Doc\",\"id\":\"a\"},\"context\":{},\"decision\":\"allow\",\"reason\":[\"policy0\"],\"errors\":[]}," +
            "{\"description\":\"secret\",\"principal\":{\"type\":\"User\",\"id\":\"alice\"},\"action\":{\"type\":\"Action\",\"id\":\"view\"},\"resource\":{\"type\":\"Doc\",\"id\":\"s\"},\"context\":{},\"decision\":\"deny\",\"reason\":[\"policy1\"],\"errors\":[]}]}");
        return Path.Combine(dir, "test.json");
    }

    private static Task<(int Code, string Out, string Err)> Cli(string config, params string[] args) => CliRunner.RunAsync(config, args);
}
