using System.Net;
using System.Text;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Warden.Client.Contracts;
using Warden.Server.Audit;
using Warden.Testing;

namespace Warden.IntegrationTests.AuditIngest;

/// <summary>Secrets an agent puts in its telemetry never reach the ledger or any export.</summary>
public sealed class SecretRedactionTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task SecretsPlantedThroughTheReceiver_AreInNeitherTheDatabaseNorTheExports(string engine)
    {
        await using var collector = await FakeOtlpCollector.StartAsync();
        var exportPath = Path.Combine(Path.GetTempPath(), "warden-secrets-" + Guid.NewGuid().ToString("N")[..8], "audit.jsonl");
        try
        {
            await using var server = await TestServer.StartAsync(engine, o => o with
            {
                AuditExporters =
                [
                    new AuditExporterOptions { Name = "file", Kind = "file", Path = exportPath },
                    new AuditExporterOptions { Name = "otlp", Kind = "otlp", Endpoint = collector.Endpoint.ToString() },
                ],
            });
            using var admin = server.Client();
            var key = await admin.CreateIngestKeyAsync("default", new CreateIngestKeyRequest("agents"));
            string[] secrets =
            [
                "sk-ant-api03-Zx81kQ9vLmN2pR7sT4uW6yB3cD5eF0gH",
                "sk-proj-9aB8cD7eF6gH5iJ4kL3mN2oP1qR0sT",
                "Hunter2Passw0rdInUrl",
                key.Secret[4..],
            ];
            var record = Otlp.Record("agent.tool_call", "leak-1", DateTimeOffset.UtcNow,
                Otlp.Attr("api_key", secrets[0]),
                Otlp.Attr("command", $"curl -H 'x-api-key: {secrets[1]}' https://api.example.com"),
                Otlp.Attr("remote", $"https://deploy:{secrets[2]}@git.example.com/acme/api.git"),
                Otlp.Attr("collector_config", $"headers: authorization={key.Secret}"));

            using var response = await Otlp.PostAsync(server, key.Secret, Otlp.Logs("claude-code", record));
            response.StatusCode.ShouldBe(HttpStatusCode.OK);
            var last = server.Host.App.Services.GetRequiredService<AuditLedger>().LastSequence;
            await Eventually.HoldsAsync(async () => await AuditExportTests.CursorAsync(server.Db, "file") >= last && await AuditExportTests.CursorAsync(server.Db, "otlp") >= last, "both sinks exported");

            await using var c = await server.Db.Connections.OpenAsync();
            var bodies = (await c.QueryAsync<byte[]>("SELECT body FROM audit_events")).Select(b => Encoding.UTF8.GetString(b)).ToList();
            var planted = bodies.Single(b => b.Contains("agent.tool_call", StringComparison.Ordinal));
            planted.ShouldContain("git.example.com");
            var haystacks = new List<(string Where, string Text)> { ("database", string.Join('\n', bodies)), ("file export", await File.ReadAllTextAsync(exportPath)) };
            haystacks.AddRange(collector.Accepted.Select(b => ("otlp export", b)));
            if (engine == "sqlite")
            {
                // The raw database files too (main file and write-ahead log), not only what a query returns.
                foreach (var file in Directory.GetFiles(server.Db.Folder, "warden.db*"))
                {
                    using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                    using var copy = new MemoryStream();
                    await stream.CopyToAsync(copy);
                    haystacks.Add((file, Encoding.Latin1.GetString(copy.ToArray())));
                }
            }

            foreach (var (where, text) in haystacks)
            {
                foreach (var secret in secrets)
                {
                    text.Contains(secret, StringComparison.Ordinal).ShouldBeFalse($"{where} holds a planted secret");
                }
            }
        }
        finally
        {
            var folder = Path.GetDirectoryName(exportPath)!;
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, true);
            }
        }
    }
}
