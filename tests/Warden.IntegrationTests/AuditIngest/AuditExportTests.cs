using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Warden.Client.Contracts;
using Warden.Server.Audit;
using Warden.Testing;

namespace Warden.IntegrationTests.AuditIngest;

/// <summary>The exporter service: sinks receive every event in order, and cursors survive restarts and outages.</summary>
public sealed class AuditExportTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task FileExport_ResumesFromItsCursorAfterARestart_WithoutLosingEvents(string engine)
    {
        await using var server = await RestartableServer.CreateAsync(engine);
        var path = Path.Combine(server.Db.Folder, "export", "audit.jsonl");
        AuditExporterOptions[] sinks = [new() { Name = "archive", Kind = "file", Path = path, BatchSize = 3 }];

        await server.StartAsync(sinks);
        await CreateTeamsAsync(server, "first", 4);
        var firstRun = Ledger(server).LastSequence;
        await Eventually.HoldsAsync(async () => await CursorAsync(server, "archive") >= firstRun, "first run exported");
        await server.StopAsync();
        await server.StartAsync(sinks);
        await CreateTeamsAsync(server, "second", 4);
        var last = Ledger(server).LastSequence;
        await Eventually.HoldsAsync(async () => await CursorAsync(server, "archive") >= last, "second run exported");

        var sequences = ReadSequences(path);
        sequences.Distinct().Order().ShouldBe(Enumerable.Range(1, (int)last).Select(i => (long)i));
        // Resumed from the cursor, not from the start: the first run's events were not sent again.
        sequences.Count(s => s <= firstRun).ShouldBe((int)firstRun);
        sequences.ShouldBe(sequences.Order().ToList());
    }

    [Fact]
    public async Task OtlpExport_KeepsItsCursorWhileTheCollectorIsDown_AndDeliversEverythingAfterARestart()
    {
        await using var collector = await FakeOtlpCollector.StartAsync();
        await using var server = await RestartableServer.CreateAsync("sqlite");
        AuditExporterOptions[] sinks = [new() { Name = "siem", Kind = "otlp", Endpoint = collector.Endpoint.ToString(), BatchSize = 2 }];
        collector.Refusing = true;

        await server.StartAsync(sinks);
        await CreateTeamsAsync(server, "down", 3);
        await Eventually.HoldsAsync(() => Volatile.Read(ref collector.Refused) >= 2, "the exporter retried");
        await server.StopAsync();
        (await CursorAsync(server, "siem")).ShouldBe(0);
        collector.Refusing = false;
        await server.StartAsync(sinks);
        var last = Ledger(server).LastSequence;
        await Eventually.HoldsAsync(async () => await CursorAsync(server, "siem") >= last, "exported after restart");

        var sequences = collector.Accepted.SelectMany(OtlpSequences).ToList();
        sequences.Distinct().Order().ShouldBe(Enumerable.Range(1, (int)last).Select(i => (long)i));
        using var body = JsonDocument.Parse(collector.Accepted.First());
        var resource = body.RootElement.GetProperty("resourceLogs")[0].GetProperty("resource").GetProperty("attributes")[0];
        resource.GetProperty("value").GetProperty("stringValue").GetString().ShouldBe("warden");
    }

    [Fact]
    public async Task SyslogOverUdp_SendsRfc5424MessagesWithCef()
    {
        using var listener = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)listener.Client.LocalEndPoint!).Port;
        await using var server = await TestServer.StartAsync("sqlite", o => o with
        {
            AuditExporters = [new AuditExporterOptions { Name = "syslog-udp", Kind = "syslog", Host = "127.0.0.1", Port = port, Protocol = "udp" }],
        });
        using var admin = server.Client();
        await admin.CreateTeamAsync("default", new CreateTeamRequest("platform"));

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        string message;
        do
        {
            var datagram = await listener.ReceiveAsync(cts.Token);
            message = Encoding.UTF8.GetString(datagram.Buffer);
        }
        while (!message.Contains("act=team.create", StringComparison.Ordinal));

        message.ShouldStartWith("<110>1 ");
        message.ShouldContain("CEF:0|Warden|Warden|");
        message.ShouldContain("cs3=team:platform");
    }

    [Fact]
    public async Task SyslogOverTcp_SendsOctetCountedFrames()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            await using var server = await TestServer.StartAsync("sqlite", o => o with
            {
                AuditExporters = [new AuditExporterOptions { Name = "syslog-tcp", Kind = "syslog", Host = "127.0.0.1", Port = port, Protocol = "tcp" }],
            });
            using var admin = server.Client();
            await admin.CreateTeamAsync("default", new CreateTeamRequest("platform"));

            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            using var client = await listener.AcceptTcpClientAsync(cts.Token);
            var stream = client.GetStream();
            var messages = new List<string>();
            while (!messages.Any(m => m.Contains("act=team.create", StringComparison.Ordinal)))
            {
                messages.Add(await ReadFrameAsync(stream, cts.Token));
            }

            messages.ShouldAllBe(m => m.StartsWith('<') && m.Contains("CEF:0|Warden|"));
            messages.Select(m => long.Parse(m.Split("externalId=")[1].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture))
                .ShouldBe(Enumerable.Range(1, messages.Count).Select(i => (long)i));
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public async Task FileExport_RotatesBySize_KeepingTheConfiguredNumberOfFiles()
    {
        var folder = Path.Combine(Path.GetTempPath(), "warden-rotate-" + Guid.NewGuid().ToString("N")[..8]);
        var path = Path.Combine(folder, "audit.jsonl");
        try
        {
            await using var server = await TestServer.StartAsync("sqlite", o => o with
            {
                AuditExporters = [new AuditExporterOptions { Name = "rotating", Kind = "file", Path = path, MaxFileBytes = 4096, MaxFiles = 2 }],
            });
            using var admin = server.Client();
            for (var i = 0; i < 20; i++)
            {
                await admin.CreateTeamAsync("default", new CreateTeamRequest($"team-{i}"));
            }

            var last = server.Host.App.Services.GetRequiredService<AuditLedger>().LastSequence;
            await Eventually.HoldsAsync(() => File.Exists(path) && ReadSequences(path).LastOrDefault() == last, "last event exported");

            File.Exists(path + ".1").ShouldBeTrue();
            File.Exists(path + ".2").ShouldBeTrue();
            File.Exists(path + ".3").ShouldBeFalse();
            new[] { path, path + ".1", path + ".2" }.ShouldAllBe(f => new FileInfo(f).Length <= 4096);
            var kept = ReadSequences(path + ".2").Concat(ReadSequences(path + ".1")).Concat(ReadSequences(path)).ToList();
            kept.ShouldBe(Enumerable.Range((int)kept[0], kept.Count).Select(i => (long)i));
            kept[^1].ShouldBe(last);
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, true);
            }
        }
    }

    [Fact]
    public void Options_ReportEveryBadSinkAtOnce()
    {
        var options = new Warden.Server.Hosting.WardenServerOptions
        {
            DataDirectory = "/tmp/x",
            AuditExporters =
            [
                new AuditExporterOptions { Name = "a", Kind = "file" },
                new AuditExporterOptions { Name = "a", Kind = "syslog", Host = "h", Protocol = "sctp" },
                new AuditExporterOptions { Name = "c", Kind = "otlp", Endpoint = "ftp://x" },
                new AuditExporterOptions { Name = "d", Kind = "kafka" },
            ],
        };

        var errors = options.Validate();

        errors.Count.ShouldBe(5);
        errors.ShouldContain(e => e.Contains("Path", StringComparison.Ordinal));
        errors.ShouldContain(e => e.Contains("udp, tcp or tls", StringComparison.Ordinal));
        errors.ShouldContain(e => e.Contains("http(s) Endpoint", StringComparison.Ordinal));
        errors.ShouldContain(e => e.Contains("'kafka'", StringComparison.Ordinal));
        errors.ShouldContain(e => e.Contains("more than once", StringComparison.Ordinal));
    }

    [Fact]
    public void Exporters_AreBoundFromTheWardenConfigurationSection()
    {
        var file = Path.Combine(Path.GetTempPath(), "warden-config-" + Guid.NewGuid().ToString("N")[..8] + ".json");
        File.WriteAllText(file, """
            {"Warden": {"Database": "x.db", "AuditExporters": [
              {"Name": "archive", "Kind": "file", "Path": "/var/log/warden/audit.jsonl", "MaxFileBytes": 1048576, "MaxFiles": 3},
              {"Name": "siem", "Kind": "otlp", "Endpoint": "http://collector:4318/v1/logs", "Headers": {"Authorization": "Bearer abc"}}
            ]}}
            """);
        try
        {
            var env = new Warden.Cli.CliEnvironment(new StringWriter(), new StringWriter(), _ => null, Path.GetTempPath(), IsTerminal: false);

            var options = Warden.Cli.Commands.ServerCommands.LoadOptions(env, file);

            options.AuditExporters.Count.ShouldBe(2);
            options.AuditExporters[0].MaxFiles.ShouldBe(3);
            options.AuditExporters[0].MaxFileBytes.ShouldBe(1048576);
            options.AuditExporters[1].Headers!["Authorization"].ShouldBe("Bearer abc");
            options.AuditExporters.SelectMany(e => e.Validate(e.Name)).ShouldBeEmpty();
        }
        finally
        {
            File.Delete(file);
        }
    }

    internal static AuditLedger Ledger(RestartableServer server) => server.Host!.App.Services.GetRequiredService<AuditLedger>();

    internal static async Task<long> CursorAsync(RestartableServer server, string sink) => await CursorAsync(server.Db, sink);

    internal static async Task<long> CursorAsync(TestDatabase db, string sink)
    {
        await using var c = await db.Connections.OpenAsync();
        return await c.ExecuteScalarAsync<long?>("SELECT last_seq FROM audit_export_cursors WHERE sink = @sink", new { sink }) ?? 0;
    }

    internal static List<long> ReadSequences(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var result = new List<long>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0)
            {
                using var doc = JsonDocument.Parse(line);
                result.Add(doc.RootElement.GetProperty("event").GetProperty("seq").GetInt64());
            }
        }

        return result;
    }

    internal static IEnumerable<long> OtlpSequences(string body)
    {
        using var doc = JsonDocument.Parse(body);
        var result = new List<long>();
        foreach (var record in doc.RootElement.GetProperty("resourceLogs")[0].GetProperty("scopeLogs")[0].GetProperty("logRecords").EnumerateArray())
        {
            var seq = record.GetProperty("attributes").EnumerateArray().First(a => a.GetProperty("key").GetString() == "warden.audit.sequence");
            result.Add(long.Parse(seq.GetProperty("value").GetProperty("intValue").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        }

        return result;
    }

    private static async Task CreateTeamsAsync(RestartableServer server, string prefix, int count)
    {
        using var admin = server.Client();
        for (var i = 0; i < count; i++)
        {
            await admin.CreateTeamAsync("default", new CreateTeamRequest($"{prefix}-{i}"));
        }
    }

    /// <summary>Reads one octet-counted syslog frame (RFC 6587 / 5425): <c>LEN SP MSG</c>.</summary>
    internal static async Task<string> ReadFrameAsync(Stream stream, CancellationToken ct)
    {
        var length = 0;
        var one = new byte[1];
        while (true)
        {
            await stream.ReadExactlyAsync(one, ct);
            if (one[0] == (byte)' ')
            {
                break;
            }

            length = (length * 10) + (one[0] - '0');
        }

        var message = new byte[length];
        await stream.ReadExactlyAsync(message, ct);
        return Encoding.UTF8.GetString(message);
    }
}
