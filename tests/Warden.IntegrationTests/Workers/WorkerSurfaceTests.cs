using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Warden.Client.Contracts;
using Warden.Server.Workers;

namespace Warden.IntegrationTests.Workers;

/// <summary>The worker surfaces: CLI commands in-process against a real server, the REST edge, and the web page.</summary>
public sealed class WorkerSurfaceTests : CliTestBase
{
    [Fact]
    public async Task PoolTokenAndWorkerCommands_WorkEndToEnd()
    {
        await using var bed = await WorkerTestbed.StartAsync();
        (await Run("login", "--server", bed.BaseAddress.ToString(), "--token", bed.AdminToken)).Code.ShouldBe(0);

        var create = await Run("pool", "create", "linux", "--description", "Build boxes", "--labels", "os=linux");
        var badLabels = await Run("pool", "create", "x", "--labels", "oops");
        var duplicate = await Run("pool", "create", "linux");
        var tokenJson = await Run("pool", "token", "create", "linux", "--name", "rack1", "--json");
        var token = JsonSerializer.Deserialize(tokenJson.Out, WardenJsonContext.Default.CreatedJoinTokenDto)!;
        var tokenText = await Run("pool", "token", "create", "linux");
        var (worker, _) = await bed.StartWorkerAsync(bed.Options(token.Secret, "box-1", capacity: 3, labels: new Dictionary<string, string> { ["arch"] = "x64" }));
        await bed.Dispatcher.AssignAsync(bed.OrgId, "linux", new Dictionary<string, string>(), "sess-cli", new WorkspaceRequest(), CancellationToken.None);
        var pools = await Run("pool", "list");
        var show = await Run("pool", "show", "linux");
        var workers = await Run("worker", "list");
        var workersJson = await Run("worker", "list", "--json", "--pool", "linux");
        var workerShow = await Run("worker", "show", worker.WorkerId!);
        var missing = await Run("worker", "show", "wkr_nope");
        var tokens = await Run("pool", "token", "list", "linux");
        var deleteBusy = await Run("pool", "delete", "linux");
        var drain = await Run("worker", "drain", worker.WorkerId!);
        var revoke = await Run("pool", "token", "revoke", "linux", token.Token.Id);
        var tokensAfter = await Run("pool", "token", "list", "linux", "--json");

        create.Code.ShouldBe(0, create.Err);
        create.Out.ShouldContain("Build boxes");
        badLabels.Code.ShouldBe(1);
        badLabels.Err.Trim().ShouldBe("error: Label 'oops' is not key=value.");
        duplicate.Code.ShouldBe(1);
        duplicate.Err.ShouldStartWith("error: A pool named 'linux' already exists");
        token.Secret.ShouldStartWith("wjt_");
        token.Token.Name.ShouldBe("rack1");
        tokenText.Out.ShouldContain("Join token: wjt_");
        tokenText.Out.ShouldContain("warden worker --server");
        pools.Out.ShouldContain("linux");
        pools.Out.ShouldContain("os=linux");
        show.Out.ShouldContain("box-1");
        workers.Out.ShouldContain("box-1");
        workers.Out.ShouldContain("online");
        workers.Out.ShouldContain("1/3");
        var listed = JsonSerializer.Deserialize(workersJson.Out, WardenJsonContext.Default.IReadOnlyListWorkerDto)!;
        listed.Single().Labels["arch"].ShouldBe("x64");
        listed.Single().Running.ShouldBe(1);
        workerShow.Out.ShouldContain("sess-cli");
        workerShow.Out.ShouldContain("sandboxed NO");
        missing.Code.ShouldBe(1);
        missing.Err.Trim().ShouldBe("error: Worker 'wkr_nope' was not found.");
        tokens.Out.ShouldContain("rack1");
        deleteBusy.Code.ShouldBe(1);
        deleteBusy.Err.ShouldContain("connected worker");
        drain.Code.ShouldBe(0, drain.Err);
        drain.Out.ShouldContain("Draining box-1");
        revoke.Out.ShouldContain("Revoked");
        JsonSerializer.Deserialize(tokensAfter.Out, WardenJsonContext.Default.IReadOnlyListJoinTokenDto)!.Single(t => t.Id == token.Token.Id).State.ShouldBe("revoked");
    }

    [Fact]
    public async Task WorkerCommand_RefusesToRunWithoutASandbox_AndReportsARejectedToken()
    {
        await using var bed = await WorkerTestbed.StartAsync();
        var data = Path.Combine(ConfigFolder, "worker-data");

        // A host without a usable bubblewrap (simulated with a path that does not exist).
        var noSandbox = await Run("worker", "--server", bed.BaseAddress.ToString(), "--token", "wjt_" + new string('a', 43), "--data", data, "--bwrap", "/nonexistent/bwrap");
        var noServer = await Run("worker", "--token", "wjt_x", "--insecure-no-sandbox");
        var rejected = await Run("worker", "--server", bed.BaseAddress.ToString(), "--token", "wjt_" + new string('a', 43), "--insecure-no-sandbox", "--data", data, "--bwrap", "/nonexistent/bwrap");
        var sandboxed = await Run("worker", "--server", bed.BaseAddress.ToString(), "--token", "wjt_" + new string('a', 43), "--data", data);
        var badToken = await Run("worker", "--server", bed.BaseAddress.ToString(), "--token", "wdn_abc", "--insecure-no-sandbox", "--data", data);
        var tooManySpares = await Run("worker", "--server", bed.BaseAddress.ToString(), "--token", "wjt_" + new string('a', 43), "--insecure-no-sandbox", "--data", data, "--spare-workspaces", "101");

        noSandbox.Code.ShouldBe(1);
        noSandbox.Err.Trim().ShouldStartWith("error: " + Warden.Cli.Commands.WorkerRuntimes.SandboxRequired);
        noSandbox.Err.ShouldContain("--insecure-no-sandbox");
        sandboxed.Code.ShouldBe(1);
        sandboxed.Err.ShouldNotContain("WARNING");
        sandboxed.Err.ShouldContain("error: The server refused the join token (401)");
        noServer.Code.ShouldBe(1);
        noServer.Err.ShouldContain("--server");
        rejected.Code.ShouldBe(1);
        rejected.Err.ShouldContain("WARNING: --insecure-no-sandbox");
        rejected.Err.ShouldContain("error: The server refused the join token (401)");
        badToken.Err.ShouldContain("must be a pool join token");
        tooManySpares.Code.ShouldBe(1);
        tooManySpares.Err.ShouldContain("Spare workspaces 101 must be between 0 and 100.");
    }

    [Fact]
    public async Task RestEdge_ProblemsAndTenancy_AndTheWorkersPageRendersAndStreams()
    {
        await using var bed = await WorkerTestbed.StartAsync();
        using var admin = bed.Client();
        await admin.CreateOrgAsync(new CreateOrgRequest("acme"));
        await admin.CreateUserAsync("acme", new CreateUserRequest("mallory", Role: "admin", Password: "mallory password 1"));
        await admin.CreateUserAsync("default", new CreateUserRequest("ada", Role: "viewer", Password: "ada password 1234"));
        var (worker, _) = await bed.StartWorkerAsync(bed.Options(await bed.JoinTokenAsync("linux"), "page-worker"));
        using var http = new HttpClient { BaseAddress = bed.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bed.AdminToken);

        var unknownField = await http.PostAsJsonAsync("api/v1/orgs/default/pools", new Dictionary<string, string> { ["name"] = "p", ["colour"] = "red" });
        var malloryActor = await new Warden.Data.Identity.UserStore(bed.Db.Connections, bed.Time).VerifyPasswordAsync("mallory", "mallory password 1");
        var mallory = (await new Warden.Data.Identity.TokenStore(bed.Db.Connections, bed.Time).CreateAsync(malloryActor!, "test", null)).Secret;
        using var asMallory = bed.Client(mallory);
        var hidden = await Should.ThrowAsync<Warden.Client.WardenApiException>(asMallory.ListWorkersAsync("default"));
        var hiddenWorker = await Should.ThrowAsync<Warden.Client.WardenApiException>(asMallory.DrainWorkerAsync("default", worker.WorkerId!));

        var openapi = await http.GetStringAsync("openapi/v1.json");
        openapi.ShouldContain("/api/v1/orgs/{org}/pools/{pool}/tokens");
        openapi.ShouldContain("/api/v1/orgs/{org}/workers/{id}/drain");
        unknownField.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        unknownField.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        hidden.Status.ShouldBe(404);
        hiddenWorker.Status.ShouldBe(404);

        // The page, signed in with a web session, lists the pool and the live worker.
        var cookies = new CookieContainer();
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = cookies }) { BaseAddress = bed.BaseAddress };
        (await browser.PostAsJsonAsync("api/v1/auth/login", new LoginRequest("ada", "ada password 1234"))).EnsureSuccessStatusCode();
        var page = await browser.GetStringAsync("o/default/workers");
        var alias = await browser.GetAsync("orgs/default/workers");
        var layout = await browser.GetStringAsync("o/default");

        page.ShouldContain("data-testid=\"workers\"");
        page.ShouldContain("page-worker");
        page.ShouldContain("online");
        page.ShouldContain("<code>linux</code>");
        alias.StatusCode.ShouldBe(HttpStatusCode.OK);
        layout.ShouldContain("href=\"/o/default/workers\"");

        // The live stream sends the whole list as a "workers" event.
        using var stream = await browser.GetStreamAsync("api/v1/orgs/default/workers/stream");
        using var reader = new StreamReader(stream);
        string? line;
        do
        {
            line = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        while (line is not null && !line.StartsWith("data: ", StringComparison.Ordinal));

        JsonSerializer.Deserialize(line!["data: ".Length..], WardenJsonContext.Default.IReadOnlyListWorkerDto)!.Single().Name.ShouldBe("page-worker");
    }
}
