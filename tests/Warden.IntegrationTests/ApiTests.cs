using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Warden.Client;
using Warden.Client.Contracts;
using Warden.Testing;

namespace Warden.IntegrationTests;

/// <summary>The REST API over a real server on both engines, reached the way any client reaches it.</summary>
public sealed class ApiTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Me_Answers200WithTheTokenAnd401ProblemWithout(string engine)
    {
        await using var server = await TestServer.StartAsync(engine);
        using var anonymous = server.Http();
        using var authed = server.Http(server.AdminToken);

        var ok = await authed.GetAsync("api/v1/me");
        var denied = await anonymous.GetAsync("api/v1/me");

        ok.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await ok.Content.ReadFromJsonAsync<MeDto>())!.Name.ShouldBe("admin");
        denied.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        denied.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        (await Problem(denied)).Type.ShouldBe("urn:warden:problem:unauthenticated");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Identity_CrudThroughTheClient(string engine)
    {
        await using var server = await TestServer.StartAsync(engine);
        using var admin = server.Client();

        await admin.CreateTeamAsync("default", new CreateTeamRequest("platform", "Platform", "Runs the platform"));
        var ada = await admin.CreateUserAsync("default", new CreateUserRequest("ada", "Ada", "ada@example.com", "member"));
        await admin.AddTeamMemberAsync("default", "platform", "ada");
        var org = await admin.CreateOrgAsync(new CreateOrgRequest("research"));

        ada.Role.ShouldBe("member");
        org.Role.ShouldBe("owner");
        (await admin.ListTeamsAsync("default")).Single().MemberCount.ShouldBe(1);
        (await admin.ListTeamMembersAsync("default", "platform")).Select(u => u.Name).ShouldBe(["ada"]);
        (await admin.UpdateUserAsync("default", "ada", new UpdateUserRequest("auditor"))).Role.ShouldBe("auditor");
        (await admin.ListOrgsAsync()).Select(o => o.Name).ShouldBe(["default", "research"]);
        await admin.RemoveUserAsync("default", "ada");
        (await Should.ThrowAsync<WardenApiException>(admin.GetUserAsync("default", "ada"))).Status.ShouldBe(404);
        await admin.DeleteTeamAsync("default", "platform");
        (await admin.ListTeamsAsync("default")).ShouldBeEmpty();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Tokens_AreShownOnceWorkUntilRevokedOrExpiredAndSayWhyNot(string engine)
    {
        await using var server = await TestServer.StartAsync(engine);
        using var admin = server.Client();
        var ci = await admin.CreateTokenAsync(new CreateTokenRequest("ci", ExpiresInDays: 1));
        var laptop = await admin.CreateTokenAsync(new CreateTokenRequest("laptop"));

        using (var c = server.Client(ci.Secret))
        {
            (await c.GetMeAsync()).Name.ShouldBe("admin");
        }

        var listed = await admin.ListTokensAsync();
        listed.Select(t => t.Name).ShouldBe(["laptop", "ci", "admin (first start)"]);
        JsonSerializer.Serialize(listed).ShouldNotContain(ci.Secret);
        listed.Single(t => t.Name == "ci").LastUsedAt.ShouldNotBeNull();

        await admin.RevokeTokenAsync(laptop.Token.Id);
        using (var c = server.Client(laptop.Secret))
        {
            var e = await Should.ThrowAsync<WardenApiException>(c.GetMeAsync());
            e.Status.ShouldBe(401);
            e.Message.ShouldBe("The token has been revoked.");
        }

        server.Time.Advance(TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1));
        using (var c = server.Client(ci.Secret))
        {
            (await Should.ThrowAsync<WardenApiException>(c.GetMeAsync())).Message.ShouldBe("The token has expired.");
        }

        (await admin.ListTokensAsync()).Single(t => t.Name == "ci").State.ShouldBe("expired");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task BadInput_GetsAClearProblemAndWritesNothing(string engine)
    {
        await using var server = await TestServer.StartAsync(engine, o => o with { MaxRequestBodyBytes = 64 * 1024 });
        using var http = server.Http(server.AdminToken);

        async Task<(HttpStatusCode, ProblemDto)> Post(string path, string body)
        {
            using var content = new StringContent(body, Encoding.UTF8, "application/json");
            var response = await http.PostAsync(path, content);
            response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
            return (response.StatusCode, await Problem(response));
        }

        var malformed = await Post("api/v1/orgs/default/teams", "{\"name\":");
        var unknown = await Post("api/v1/orgs/default/teams", "{\"name\":\"x\",\"rol\":\"admin\"}");
        var invalid = await Post("api/v1/orgs/default/teams", "{\"name\":\"Not A Slug\"}");
        var empty = await Post("api/v1/orgs/default/teams", string.Empty);
        var oversize = await Post("api/v1/orgs/default/teams", "{\"name\":\"" + new string('a', 100_000) + "\"}");
        var missingOrg = await Post("api/v1/orgs/nope/teams", "{\"name\":\"x\"}");
        using (var setup = server.Client())
        {
            await setup.CreateTeamAsync("default", new CreateTeamRequest("dup"));
        }

        var duplicate = await Post("api/v1/orgs/default/teams", "{\"name\":\"dup\"}");
        var badRole = await Post("api/v1/orgs/default/users", "{\"name\":\"eve\",\"role\":\"god\"}");
        var noRoute = await http.GetAsync("api/v1/nothing-here");

        malformed.Item1.ShouldBe(HttpStatusCode.BadRequest);
        malformed.Item2.Type.ShouldBe("urn:warden:problem:validation");
        malformed.Item2.Detail!.ShouldContain("not valid");
        unknown.Item1.ShouldBe(HttpStatusCode.BadRequest);
        unknown.Item2.Detail!.ShouldContain("'rol'");
        invalid.Item2.Detail!.ShouldContain("Invalid team name");
        empty.Item1.ShouldBe(HttpStatusCode.BadRequest);
        empty.Item2.Detail.ShouldBe("A JSON request body is required.");
        oversize.Item1.ShouldBe(HttpStatusCode.RequestEntityTooLarge);
        oversize.Item2.Type.ShouldBe("urn:warden:problem:too-large");
        missingOrg.Item1.ShouldBe(HttpStatusCode.NotFound);
        duplicate.Item1.ShouldBe(HttpStatusCode.Conflict);
        badRole.Item1.ShouldBe(HttpStatusCode.BadRequest);
        badRole.Item2.Detail!.ShouldContain("owner, admin, member, auditor, viewer");
        noRoute.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await Problem(noRoute)).Type.ShouldBe("urn:warden:problem:not-found");

        using var client = server.Client();
        (await client.ListTeamsAsync("default")).Select(t => t.Name).ShouldBe(["dup"]);
        (await client.ListUsersAsync("default")).Select(u => u.Name).ShouldBe(["admin"]);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Roles_AreEnforcedAtTheApi_AndOtherTenantsAre404(string engine)
    {
        await using var server = await TestServer.StartAsync(engine);
        using var admin = server.Client();
        await admin.CreateOrgAsync(new CreateOrgRequest("acme"));
        await admin.CreateUserAsync("default", new CreateUserRequest("vic", Role: "viewer", Password: "viewer password 1"));
        var vicToken = await LoginAndMintTokenAsync(server, "vic", "viewer password 1");
        using var vic = server.Client(vicToken);

        (await vic.ListTeamsAsync("default")).ShouldBeEmpty();
        var forbidden = await Should.ThrowAsync<WardenApiException>(vic.CreateTeamAsync("default", new CreateTeamRequest("x")));
        forbidden.Status.ShouldBe(403);
        forbidden.ProblemType.ShouldBe("urn:warden:problem:forbidden");
        (await Should.ThrowAsync<WardenApiException>(vic.ListTeamsAsync("acme"))).Status.ShouldBe(404);
        (await Should.ThrowAsync<WardenApiException>(vic.CreateOrgAsync(new CreateOrgRequest("mine")))).Status.ShouldBe(403);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task PasswordSignIn_IsRateLimited_AndTheSessionCookieOnlyReads(string engine)
    {
        await using var server = await TestServer.StartAsync(engine, o => o with { MaxLoginFailures = 3 });
        using var admin = server.Client();
        await admin.CreateUserAsync("default", new CreateUserRequest("ada", Password: "right password 123"));
        using var http = new HttpClient(new HttpClientHandler { UseCookies = true, CookieContainer = new CookieContainer() }) { BaseAddress = server.BaseAddress };

        for (var i = 0; i < 3; i++)
        {
            (await http.PostAsJsonAsync("api/v1/auth/login", new LoginRequest("ada", "wrong password " + i))).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        }

        var locked = await http.PostAsJsonAsync("api/v1/auth/login", new LoginRequest("ada", "right password 123"));
        locked.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        locked.Headers.RetryAfter.ShouldNotBeNull();
        (await Problem(locked)).Type.ShouldBe("urn:warden:problem:rate-limited");

        server.Time.Advance(TimeSpan.FromMinutes(16));
        var ok = await http.PostAsJsonAsync("api/v1/auth/login", new LoginRequest("ada", "right password 123"));
        ok.StatusCode.ShouldBe(HttpStatusCode.OK);
        var cookie = ok.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("warden_session=", StringComparison.Ordinal));
        cookie.ShouldContain("httponly", Case.Insensitive);
        cookie.ShouldContain("samesite=strict", Case.Insensitive);

        (await http.GetAsync("api/v1/me")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var write = await http.PostAsJsonAsync("api/v1/tokens", new CreateTokenRequest("sneaky"));
        write.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await Problem(write)).Detail!.ShouldContain("only for reading");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Probes_AndTheOpenApiDocumentAreServed(string engine)
    {
        await using var server = await TestServer.StartAsync(engine);
        using var http = server.Http();

        var ready = await http.GetFromJsonAsync<HealthDto>("readyz");
        var health = await http.GetFromJsonAsync<HealthDto>("healthz");
        var openapi = await http.GetStringAsync("openapi/v1.json");

        ready!.Status.ShouldBe("ready");
        ready.Database.ShouldBe(engine);
        health!.Status.ShouldBe("ok");
        using var doc = JsonDocument.Parse(openapi);
        var paths = doc.RootElement.GetProperty("paths");
        paths.TryGetProperty("/api/v1/me", out _).ShouldBeTrue();
        paths.TryGetProperty("/api/v1/orgs/{org}/teams", out _).ShouldBeTrue();
        paths.TryGetProperty("/api/v1/tokens/{id}", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task Readiness_FailsWhenTheDatabaseIsGone()
    {
        await using var server = await TestServer.StartAsync("postgres");
        using var http = server.Http();
        await using (var admin = new Npgsql.NpgsqlConnection(TestDatabase.PostgresAdmin))
        {
            await admin.OpenAsync();
            var name = new Npgsql.NpgsqlConnectionStringBuilder(server.Db.Target.ConnectionString).Database;
            await using var cmd = new Npgsql.NpgsqlCommand($"DROP DATABASE {name} WITH (FORCE)", admin);
            await cmd.ExecuteNonQueryAsync();
        }

        var response = await http.GetAsync("readyz");

        response.StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
        (await response.Content.ReadFromJsonAsync<HealthDto>())!.Status.ShouldBe("not-ready");
    }

    internal static async Task<string> LoginAndMintTokenAsync(TestServer server, string user, string password)
    {
        // Sign in with the password, then use the session only to read /me; tokens for others are minted by the
        // user themselves with a token, so bootstrap one through the store for this test.
        var tokens = new Warden.Data.Identity.TokenStore(server.Db.Connections, server.Time);
        var actor = await new Warden.Data.Identity.UserStore(server.Db.Connections, server.Time).VerifyPasswordAsync(user, password);
        return (await tokens.CreateAsync(actor!, "test", null)).Secret;
    }

    internal static async Task<ProblemDto> Problem(HttpResponseMessage response) =>
        JsonSerializer.Deserialize(await response.Content.ReadAsStringAsync(), WardenJsonContext.Default.ProblemDto)!;
}
