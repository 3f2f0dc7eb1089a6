using System.Text;
using Dapper;
using Warden.Client;
using Warden.Client.Contracts;
using Warden.Testing;

namespace Warden.IntegrationTests;

/// <summary>The audit trail through the server: what gets recorded, who may read it, following, verifying, exporting.</summary>
public sealed class AuditApiTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task IdentityActions_AreRecordedWithActorAndNoSecret(string engine)
    {
        await using var server = await TestServer.StartAsync(engine);
        using var admin = server.Client();
        await admin.CreateTeamAsync("default", new CreateTeamRequest("platform"));
        await admin.CreateUserAsync("default", new CreateUserRequest("ada", Role: "auditor", Password: "super secret passphrase"));
        await admin.AddTeamMemberAsync("default", "platform", "ada");
        var token = await admin.CreateTokenAsync(new CreateTokenRequest("ci"));
        await admin.RevokeTokenAsync(token.Token.Id);
        await admin.UpdateUserAsync("default", "ada", new UpdateUserRequest("admin"));

        var page = await admin.SearchAuditAsync("default");

        page.Events.Select(e => e.Action).ShouldBe(["user.role.update", "token.revoke", "token.create", "team.member.add", "user.create", "team.create"]);
        page.Events.ShouldAllBe(e => e.ActorDisplay == "admin" && e.Vendor == "warden" && e.Outcome == "success");
        var roleChange = page.Events[0].Record.GetProperty("details");
        roleChange.GetProperty("from").GetString().ShouldBe("auditor");
        roleChange.GetProperty("to").GetString().ShouldBe("admin");
        (await admin.SearchAuditAsync(null, new Dictionary<string, string?> { ["action"] = "system.bootstrap" })).Events.ShouldHaveSingleItem();

        // Neither the password nor the token secret is anywhere in the ledger.
        await using var c = await server.Db.Connections.OpenAsync();
        var bodies = (await c.QueryAsync<byte[]>("SELECT body FROM audit_events")).Select(b => Encoding.UTF8.GetString(b)).ToList();
        bodies.ShouldNotBeEmpty();
        bodies.ShouldAllBe(b => !b.Contains("super secret passphrase") && !b.Contains(token.Secret.Substring(12)) && !b.Contains(server.AdminToken.Substring(12)));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Trail_IsReadableByAuditorsOnly_AndFiltersAndPages(string engine)
    {
        await using var server = await TestServer.StartAsync(engine);
        using var admin = server.Client();
        for (var i = 0; i < 5; i++)
        {
            await admin.CreateTeamAsync("default", new CreateTeamRequest($"team-{i}"));
        }

        await admin.CreateUserAsync("default", new CreateUserRequest("aud", Role: "auditor", Password: "auditor password"));
        await admin.CreateUserAsync("default", new CreateUserRequest("mem", Role: "member", Password: "member password!"));
        using var auditor = server.Client(await ApiTests.LoginAndMintTokenAsync(server, "aud", "auditor password"));
        using var member = server.Client(await ApiTests.LoginAndMintTokenAsync(server, "mem", "member password!"));

        var first = await auditor.SearchAuditAsync("default", new Dictionary<string, string?> { ["action"] = "team.*", ["limit"] = "3" });
        var second = await auditor.SearchAuditAsync("default", new Dictionary<string, string?> { ["action"] = "team.*", ["limit"] = "3", ["before"] = first.Next!.Value.ToString() });
        var one = await auditor.GetAuditEventAsync("default", first.Events[0].Sequence);

        first.Events.Select(e => e.ResourceId).ShouldBe(["team-4", "team-3", "team-2"]);
        second.Events.Select(e => e.ResourceId).ShouldBe(["team-1", "team-0"]);
        second.Next.ShouldBeNull();
        one.Hash.ShouldBe(first.Events[0].Hash);
        (await Should.ThrowAsync<WardenApiException>(member.SearchAuditAsync("default"))).Status.ShouldBe(403);
        (await Should.ThrowAsync<WardenApiException>(auditor.SearchAuditAsync(null))).Status.ShouldBe(403);
        (await Should.ThrowAsync<WardenApiException>(auditor.VerifyAuditAsync())).Status.ShouldBe(403);
        (await Should.ThrowAsync<WardenApiException>(auditor.SearchAuditAsync("default", new Dictionary<string, string?> { ["limit"] = "abc" }))).Status.ShouldBe(400);
    }

    [Fact]
    public async Task Follow_DeliversEventsWrittenAfterSubscribing()
    {
        await using var server = await TestServer.StartAsync("sqlite");
        using var admin = server.Client();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var received = new List<AuditEventDto>();
        var follow = Task.Run(async () =>
        {
            await foreach (var e in admin.FollowAuditAsync("default", new Dictionary<string, string?> { ["action"] = "team.create" }, cts.Token))
            {
                received.Add(e);
                if (received.Count == 2)
                {
                    break;
                }
            }
        });

        // Keep writing until the follower has both: it may subscribe after the first write.
        for (var i = 0; !follow.IsCompleted && i < 50; i++)
        {
            await admin.CreateTeamAsync("default", new CreateTeamRequest($"live-{i}"));
            await admin.CreateTokenAsync(new CreateTokenRequest($"noise-{i}"));
            await Task.WhenAny(follow, Task.Delay(200, cts.Token));
        }

        await follow;
        received.Select(e => e.Action).ShouldAllBe(a => a == "team.create");
        received[1].Sequence.ShouldBeGreaterThan(received[0].Sequence);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Export_VerifiesOfflineWithThePublicKeyAlone_AndATamperedCopyFails(string engine)
    {
        await using var server = await TestServer.StartAsync(engine);
        using var admin = server.Client();
        for (var i = 0; i < 10; i++)
        {
            await admin.CreateTeamAsync("default", new CreateTeamRequest($"t{i}"));
        }

        await admin.CheckpointAuditAsync();
        (await admin.VerifyAuditAsync()).Intact.ShouldBeTrue();
        var dir = Path.Combine(server.Db.Folder, "export");
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, "audit.jsonl");
        await using (var output = File.Create(file))
        {
            await admin.ExportAuditAsync(output);
        }

        var keys = await admin.ListAuditKeysAsync();
        var keyFile = Path.Combine(dir, "key.pem");
        await File.WriteAllTextAsync(keyFile, keys.Single().PublicKeyPem);

        var ok = await Cli("audit", "verify", "--file", file, "--public-key", keyFile);
        ok.Code.ShouldBe(0, ok.Err);
        ok.Out.ShouldContain("intact: 11 events");

        // Change one team name in the export: the CLI must name the sequence of that event.
        var lines = await File.ReadAllLinesAsync(file);
        var index = Array.FindIndex(lines, l => l.Contains("\"t7\"", StringComparison.Ordinal));
        var seq = System.Text.Json.JsonDocument.Parse(lines[index]).RootElement.GetProperty("event").GetProperty("seq").GetInt64();
        lines[index] = lines[index].Replace("\"t7\"", "\"t8\"", StringComparison.Ordinal);
        var tampered = Path.Combine(dir, "tampered.jsonl");
        await File.WriteAllLinesAsync(tampered, lines);
        var bad = await Cli("audit", "verify", "--file", tampered, "--public-key", keyFile);
        bad.Code.ShouldBe(1);
        bad.Err.ShouldContain($"first bad sequence {seq}");

        // A key that did not sign the checkpoints is not trusted.
        var stranger = Path.Combine(dir, "other.pem");
        using (var other = Warden.Audit.Signing.AuditSigningKey.Generate())
        {
            await File.WriteAllTextAsync(stranger, other.PublicKey.ExportPem());
        }

        (await Cli("audit", "verify", "--file", file, "--public-key", stranger)).Code.ShouldBe(1);
    }

    [Fact]
    public async Task VerifyCommand_ChecksADataFolderDirectly()
    {
        await using var server = await TestServer.StartAsync("sqlite");
        using (var admin = server.Client())
        {
            await admin.CreateTeamAsync("default", new CreateTeamRequest("x"));
            await admin.CheckpointAuditAsync();
        }

        var ok = await Cli("audit", "verify", "--data", server.Db.Folder);
        ok.Code.ShouldBe(0, ok.Err);
        ok.Out.ShouldContain("intact");
        await using (var c = await server.Db.Connections.OpenAsync())
        {
            await c.ExecuteAsync("DELETE FROM audit_events WHERE seq = 1");
        }

        var bad = await Cli("audit", "verify", "--data", server.Db.Folder);
        bad.Code.ShouldBe(1);
        bad.Err.ShouldContain("first bad sequence 1");
    }

    private static Task<(int Code, string Out, string Err)> Cli(params string[] args) => CliRunner.RunAsync(Path.GetTempPath(), args);
}
