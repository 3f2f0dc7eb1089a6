using System.Text;
using Warden.Cli;
using Warden.Client;
using Warden.Client.Contracts;
using Warden.Testing;

namespace Warden.IntegrationTests.AuditIngest;

/// <summary>Importing a Git host's audit-log export (GitHub's shape) through the API and the CLI.</summary>
public sealed class VendorImportTests : CliTestBase
{
    private const string Export = """
        [
          {"@timestamp": 1767225600500, "action": "repo.create", "actor": "octocat", "_document_id": "doc-2", "repo": "acme/api", "org": "acme", "created_at": 1767225600500},
          {"@timestamp": 1767225600000, "action": "org.add_member", "actor": "octocat", "_document_id": "doc-1", "org": "acme", "user": "monalisa"}
        ]
        """;

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task GitHubExport_IsImportedInSourceOrder_KeepingVendorIdsAndTimes_UnderWardensChain(string engine)
    {
        await using var server = await TestServer.StartAsync(engine);
        using var admin = server.Client();

        var result = await admin.ImportAuditAsync("default", "github", new MemoryStream(Encoding.UTF8.GetBytes(Export)));

        result.Imported.ShouldBe(2);
        result.LastSequence.ShouldBe(result.FirstSequence + 1);
        var page = await admin.SearchAuditAsync("default", new Dictionary<string, string?> { ["vendor"] = "github" });
        page.Events.Select(e => e.Action).ShouldBe(["repo.create", "org.add_member"]);
        page.Events.Select(e => e.Record.GetProperty("source").GetProperty("external_event_id").GetString()).ShouldBe(["doc-2", "doc-1"]);
        page.Events[0].ResourceType.ShouldBe("repository");
        page.Events[0].ResourceId.ShouldBe("acme/api");
        page.Events[0].ActorDisplay.ShouldBe("octocat");
        page.Events[1].Record.GetProperty("details").GetProperty("source_time").GetString().ShouldBe("2026-01-01T00:00:00.000Z");
        page.Events[0].PreviousHash.ShouldBe(page.Events[1].Hash);
        (await admin.SearchAuditAsync("default", new Dictionary<string, string?> { ["action"] = "audit.import" })).Events.ShouldHaveSingleItem();
        (await admin.VerifyAuditAsync()).Intact.ShouldBeTrue();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task ImportingTheSameEventsAgain_AddsNothing_AndNewOnesStillCome(string engine)
    {
        await using var server = await TestServer.StartAsync(engine);
        using var admin = server.Client();
        (await admin.ImportAuditAsync("default", "github", new MemoryStream(Encoding.UTF8.GetBytes(Export)))).Imported.ShouldBe(2);

        var again = await admin.ImportAuditAsync("default", "github", new MemoryStream(Encoding.UTF8.GetBytes(Export)));
        again.Imported.ShouldBe(0);
        again.Skipped.ShouldBe(2);
        again.FirstSequence.ShouldBeNull();

        // A later export overlapping the first, with one event repeated inside it and one without an id.
        const string later = """
            [
              {"@timestamp": 1767225600500, "action": "repo.create", "actor": "octocat", "_document_id": "doc-2", "repo": "acme/api"},
              {"@timestamp": 1767225601000, "action": "repo.archive", "actor": "octocat", "_document_id": "doc-3", "repo": "acme/api"},
              {"@timestamp": 1767225601000, "action": "repo.archive", "actor": "octocat", "_document_id": "doc-3", "repo": "acme/api"},
              {"@timestamp": 1767225602000, "action": "repo.rename", "actor": "octocat", "repo": "acme/api"}
            ]
            """;
        var overlap = await admin.ImportAuditAsync("default", "github", new MemoryStream(Encoding.UTF8.GetBytes(later)));
        overlap.Imported.ShouldBe(2);
        overlap.Skipped.ShouldBe(2);
        var github = (await admin.SearchAuditAsync("default", new Dictionary<string, string?> { ["vendor"] = "github" })).Events;
        github.Select(e => e.Action).ShouldBe(["repo.rename", "repo.archive", "repo.create", "org.add_member"]);
        var imports = (await admin.SearchAuditAsync("default", new Dictionary<string, string?> { ["action"] = "audit.import" })).Events;
        imports.Select(e => e.Record.GetProperty("details").GetProperty("skipped").GetString()).ShouldBe(["2", "2", "0"]);
        (await admin.VerifyAuditAsync()).Intact.ShouldBeTrue();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task MalformedExports_AreRejected_AndNothingIsWritten(string engine)
    {
        await using var server = await TestServer.StartAsync(engine);
        using var admin = server.Client();
        await admin.CreateUserAsync("default", new CreateUserRequest("aud", Role: "auditor", Password: "auditor password"));
        using var auditor = server.Client(await ApiTests.LoginAndMintTokenAsync(server, "aud", "auditor password"));
        var before = (await admin.SearchAuditAsync(null, new Dictionary<string, string?> { ["limit"] = "1" })).Events[0].Sequence;
        const string secondBroken = """[{"@timestamp": 1, "action": "repo.create", "_document_id": "a"}, {"@timestamp": "yesterday", "action": "repo.destroy"}]""";

        var broken = await Should.ThrowAsync<WardenApiException>(admin.ImportAuditAsync("default", "github", new MemoryStream(Encoding.UTF8.GetBytes(secondBroken))));
        var notArray = await Should.ThrowAsync<WardenApiException>(admin.ImportAuditAsync("default", "github", new MemoryStream("{}"u8.ToArray())));
        var unknown = await Should.ThrowAsync<WardenApiException>(admin.ImportAuditAsync("default", "gitlab", new MemoryStream(Encoding.UTF8.GetBytes(Export))));
        var forbidden = await Should.ThrowAsync<WardenApiException>(auditor.ImportAuditAsync("default", "github", new MemoryStream(Encoding.UTF8.GetBytes(Export))));

        broken.Status.ShouldBe(400);
        broken.Message.ShouldContain("events[1]");
        notArray.Status.ShouldBe(400);
        unknown.Status.ShouldBe(400);
        forbidden.Status.ShouldBe(403);
        var after = (await admin.SearchAuditAsync(null, new Dictionary<string, string?> { ["limit"] = "1" })).Events[0].Sequence;
        after.ShouldBe(before);
    }

    [Fact]
    public async Task CliImport_ReadsTheFile_AndReportsTheRange()
    {
        await using var server = await TestServer.StartAsync("sqlite");
        var file = Path.Combine(server.Db.Folder, "github-audit.json");
        await File.WriteAllTextAsync(file, Export);
        (await Run("login", "--server", server.BaseAddress.ToString(), "--token", server.AdminToken)).Code.ShouldBe(0);

        var import = await Run("audit", "import", file, "--format", "github");
        var missing = await Run("audit", "import", file + ".nope", "--format", "github");

        import.Code.ShouldBe(0, import.Err);
        import.Out.ShouldContain("Imported 2 events");
        missing.Code.ShouldNotBe(0);
        using var admin = server.Client();
        (await admin.SearchAuditAsync("default", new Dictionary<string, string?> { ["vendor"] = "github" })).Events.Count.ShouldBe(2);
    }
}
