using System.Net;
using System.Text.Json;
using Warden.Client;
using Warden.Client.Contracts;
using Warden.Testing;

namespace Warden.IntegrationTests.AuditIngest;

/// <summary><c>POST /v1/logs</c> with ingestion keys: who may send, what is recorded, and all-or-nothing rejection.</summary>
public sealed class OtlpReceiverTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Receiver_RecordsEachLogRecordInTheKeysOrg_WithVendorProductIdAndSourceTime(string engine)
    {
        await using var server = await TestServer.StartAsync(engine);
        using var admin = server.Client();
        var key = await admin.CreateIngestKeyAsync("default", new CreateIngestKeyRequest("laptops"));
        var at = new DateTimeOffset(2026, 3, 1, 9, 30, 0, TimeSpan.Zero);

        using var response = await Otlp.PostAsync(server, key.Secret, Otlp.Logs("claude-code",
            Otlp.Record("claude_code.tool_result", "rec-1", at, Otlp.Attr("tool_name", "Bash")),
            Otlp.Record("claude_code.api_request", "rec-2", at.AddSeconds(1))));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/json");
        (await response.Content.ReadAsStringAsync()).ShouldBe("{}");
        var page = await admin.SearchAuditAsync("default", new Dictionary<string, string?> { ["vendor"] = "anthropic" });
        page.Events.Select(e => e.Action).ShouldBe(["claude_code.api_request", "claude_code.tool_result"]);
        page.Events.ShouldAllBe(e => e.Product == "claude-code" && e.SessionId == "sess-1" && e.ActorKind == "agent_session");
        var first = page.Events[1].Record;
        first.GetProperty("source").GetProperty("external_event_id").GetString().ShouldBe("rec-1");
        var details = first.GetProperty("details");
        details.GetProperty("tool_name").GetString().ShouldBe("Bash");
        details.GetProperty("otel.time_unix_nano").GetString().ShouldBe(((at.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100).ToString(System.Globalization.CultureInfo.InvariantCulture));
        (await admin.VerifyAuditAsync()).Intact.ShouldBeTrue();
    }

    [Fact]
    public async Task Receiver_AcceptsGzipBodies_AsOtlpExportersMaySendThem()
    {
        await using var server = await TestServer.StartAsync("sqlite");
        using var admin = server.Client();
        var key = await admin.CreateIngestKeyAsync("default", new CreateIngestKeyRequest("gz"));
        var json = System.Text.Encoding.UTF8.GetBytes(Otlp.Logs("codex_cli_rs", Otlp.Record("codex.user_prompt", "gz-1", DateTimeOffset.UtcNow)));
        using var compressed = new MemoryStream();
        await using (var gzip = new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            await gzip.WriteAsync(json);
        }

        using var http = server.Http(key.Secret);
        using var content = new ByteArrayContent(compressed.ToArray());
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        content.Headers.ContentEncoding.Add("gzip");
        using var response = await http.PostAsync("v1/logs", content);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await admin.SearchAuditAsync("default", new Dictionary<string, string?> { ["action"] = "codex.*" })).Events.ShouldHaveSingleItem().Vendor.ShouldBe("openai");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task MalformedPayloads_AreRejectedWithTheReason_AndNothingIsWritten(string engine)
    {
        await using var server = await TestServer.StartAsync(engine);
        using var admin = server.Client();
        var key = await admin.CreateIngestKeyAsync("default", new CreateIngestKeyRequest("ci"));
        var before = server.Host.App.Services.GetService(typeof(Warden.Server.Audit.AuditLedger)) is Warden.Server.Audit.AuditLedger l ? l.LastSequence : -1;
        var good = Otlp.Record("codex.exec", "ok-1", DateTimeOffset.UtcNow);
        const string noName = """{"timeUnixNano":"1","attributes":[]}""";

        using var half = await Otlp.PostAsync(server, key.Secret, Otlp.Logs("codex", good, noName));
        using var notJson = await Otlp.PostAsync(server, key.Secret, "{\"resourceLogs\":[");
        using var protobuf = await Otlp.PostAsync(server, key.Secret, Otlp.Logs("codex", good), "application/x-protobuf");

        half.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        half.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        var problem = JsonDocument.Parse(await half.Content.ReadAsStringAsync()).RootElement;
        problem.GetProperty("type").GetString().ShouldBe("urn:warden:problem:validation");
        problem.GetProperty("detail").GetString()!.ShouldContain("logRecords[1]");
        notJson.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        protobuf.StatusCode.ShouldBe(HttpStatusCode.UnsupportedMediaType);
        var ledger = (Warden.Server.Audit.AuditLedger)server.Host.App.Services.GetService(typeof(Warden.Server.Audit.AuditLedger))!;
        ledger.LastSequence.ShouldBe(before);
        (await admin.SearchAuditAsync("default", new Dictionary<string, string?> { ["action"] = "codex.*" })).Events.ShouldBeEmpty();
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task IngestKeys_AreManagedByOwnersAndAdmins_WorkOnlyForLogs_AndStopWhenRevoked(string engine)
    {
        await using var server = await TestServer.StartAsync(engine);
        using var admin = server.Client();
        await admin.CreateUserAsync("default", new CreateUserRequest("mem", Role: "member", Password: "member password!"));
        using var member = server.Client(await ApiTests.LoginAndMintTokenAsync(server, "mem", "member password!"));
        var key = await admin.CreateIngestKeyAsync("default", new CreateIngestKeyRequest("agents", "acme"));
        var body = Otlp.Logs("in-house-agent", Otlp.Record("agent.step", "s-1", DateTimeOffset.UtcNow));

        var listed = await admin.ListIngestKeysAsync("default");
        using var accepted = await Otlp.PostAsync(server, key.Secret, body);
        using var anonymous = await Otlp.PostAsync(server, null, body);
        using var userToken = await Otlp.PostAsync(server, server.AdminToken, body);
        using var keyOnApi = server.Http(key.Secret);
        var apiWithKey = await keyOnApi.GetAsync("api/v1/me");
        await admin.RevokeIngestKeyAsync("default", key.Key.Id);
        using var revoked = await Otlp.PostAsync(server, key.Secret, body);

        key.Secret.ShouldStartWith("wik_");
        listed.ShouldHaveSingleItem().Prefix.ShouldBe(key.Secret[..12]);
        JsonSerializer.Serialize(listed).ShouldNotContain(key.Secret[12..]);
        accepted.StatusCode.ShouldBe(HttpStatusCode.OK);
        anonymous.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        anonymous.Headers.WwwAuthenticate.ToString().ShouldBe("Bearer");
        userToken.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        apiWithKey.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        revoked.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await admin.ListIngestKeysAsync("default")).Single().RevokedAt.ShouldNotBeNull();
        (await Should.ThrowAsync<WardenApiException>(member.CreateIngestKeyAsync("default", new CreateIngestKeyRequest("x")))).Status.ShouldBe(403);
        (await Should.ThrowAsync<WardenApiException>(member.ListIngestKeysAsync("default"))).Status.ShouldBe(403);
        (await Should.ThrowAsync<WardenApiException>(admin.RevokeIngestKeyAsync("default", "aik_missing"))).Status.ShouldBe(404);
        var events = await admin.SearchAuditAsync("default", new Dictionary<string, string?> { ["action"] = "agent.*" });
        events.Events.ShouldHaveSingleItem().Vendor.ShouldBe("acme");
        (await admin.SearchAuditAsync("default", new Dictionary<string, string?> { ["action"] = "audit.ingest_key.*" })).Events.Select(e => e.Action)
            .ShouldBe(["audit.ingest_key.revoke", "audit.ingest_key.create"]);
    }
}
