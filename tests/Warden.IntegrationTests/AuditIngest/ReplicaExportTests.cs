using System.Security.Cryptography;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Warden.Client;
using Warden.Client.Contracts;
using Warden.Data;
using Warden.Server.Audit;
using Warden.Server.Hosting;
using Warden.Testing;

namespace Warden.IntegrationTests.AuditIngest;

/// <summary>
/// Two server replicas on one database, both configured with the same sink: the sink runs on the replica holding its
/// lease, so events are delivered once, and another replica takes over when the holder stops or its lease lapses.
/// </summary>
public sealed class ReplicaExportTests
{
    private const string SinkName = "siem";

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task TwoReplicas_DeliverEachEventOnce_AndTheOtherTakesOverWhenTheHolderStops(string engine)
    {
        await using var collector = await FakeOtlpCollector.StartAsync();
        await using var db = await TestDatabase.CreateAsync(engine);
        var masterKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        AuditExporterOptions[] sinks = [new() { Name = SinkName, Kind = "otlp", Endpoint = collector.Endpoint.ToString(), BatchSize = 3 }];
        var a = await StartReplicaAsync(db, masterKey, sinks);
        var token = a.AdminToken!;
        var b = await StartReplicaAsync(db, masterKey, sinks);
        var running = new List<WardenServerHost> { a, b };
        try
        {
            await CreateTeamsAsync(a, token, "a", 3);
            await CreateTeamsAsync(b, token, "b", 3);
            var last = await LastSequenceAsync(db);
            await Eventually.HoldsAsync(async () => await AuditExportTests.CursorAsync(db, SinkName) >= last, "exported while both replicas run");

            var firstPhase = collector.Accepted.SelectMany(AuditExportTests.OtlpSequences).ToList();
            firstPhase.Count.ShouldBe(firstPhase.Distinct().Count(), "only the lease holder sends, so nothing arrives twice");
            firstPhase.Distinct().Order().ShouldBe(Enumerable.Range(1, (int)last).Select(i => (long)i));
            var holder = await a.App.Services.GetRequiredService<LeaseStore>().HolderAsync("audit.export:" + SinkName);
            holder.ShouldNotBeNull();

            // The holder stops cleanly and releases the lease; the other replica carries on from the cursor.
            var (stopped, survivor) = Holds(a, holder) ? (a, b) : (b, a);
            Holds(survivor, holder).ShouldBeFalse();
            running.Remove(stopped);
            await stopped.DisposeAsync();
            await CreateTeamsAsync(survivor, token, "after", 3);
            var end = await LastSequenceAsync(db);
            await Eventually.HoldsAsync(async () => await AuditExportTests.CursorAsync(db, SinkName) >= end, "the other replica took over");

            var all = collector.Accepted.SelectMany(AuditExportTests.OtlpSequences).ToList();
            all.Distinct().Order().ShouldBe(Enumerable.Range(1, (int)end).Select(i => (long)i));
            (await survivor.App.Services.GetRequiredService<LeaseStore>().HolderAsync("audit.export:" + SinkName)).ShouldNotBe(holder);
        }
        finally
        {
            foreach (var host in running)
            {
                await host.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task ALeaseHeldByAReplicaThatDied_IsTakenOverOnceItLapses_AndNotBefore()
    {
        await using var collector = await FakeOtlpCollector.StartAsync();
        await using var server = await TestServer.StartAsync("sqlite", o => o with
        {
            AuditExporters = [new AuditExporterOptions { Name = SinkName, Kind = "otlp", Endpoint = collector.Endpoint.ToString() }],
        });
        using var admin = server.Client();
        await admin.CreateTeamAsync("default", new CreateTeamRequest("before"));
        await Eventually.HoldsAsync(() => !collector.Accepted.IsEmpty, "the sink exports");

        // A replica that died holding the lease: its row stays until it lapses.
        var until = server.Time.GetUtcNow().Add(AuditExportService.LeaseTimeToLive).ToUnixTimeMilliseconds();
        await using (var c = await server.Db.Connections.OpenAsync())
        {
            await c.ExecuteAsync("UPDATE leases SET holder = 'dead-replica', expires_at = @until WHERE name = @name", new { until, name = "audit.export:" + SinkName });
        }

        await Task.Delay(TimeSpan.FromSeconds(11)); // past this replica's renewal, which now fails
        var delivered = collector.Accepted.Count;
        await admin.CreateTeamAsync("default", new CreateTeamRequest("while-held"));
        await Task.Delay(TimeSpan.FromSeconds(6)); // past an idle poll
        collector.Accepted.Count.ShouldBe(delivered, "nothing is sent while another replica's lease is live");

        server.Time.Advance(AuditExportService.LeaseTimeToLive + TimeSpan.FromSeconds(1));
        var last = server.Host.App.Services.GetRequiredService<AuditLedger>().LastSequence;
        await Eventually.HoldsAsync(async () => await AuditExportTests.CursorAsync(server.Db, SinkName) >= last, "taken over after the lease lapsed");
        collector.Accepted.SelectMany(AuditExportTests.OtlpSequences).Distinct().Order().ShouldBe(Enumerable.Range(1, (int)last).Select(i => (long)i));
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task Leases_AreExclusive_RenewedByTheirHolder_AndFreeAfterReleaseOrExpiry(string engine)
    {
        await using var db = await TestDatabase.CreateAsync(engine);
        await new MigrationRunner(db.Connections).MigrateAsync();
        var time = new FakeTime();
        var leases = new LeaseStore(db.Connections, time);
        var ttl = TimeSpan.FromSeconds(30);

        (await leases.TryAcquireAsync("job", "one", ttl)).ShouldBeTrue();
        (await leases.TryAcquireAsync("job", "two", ttl)).ShouldBeFalse();
        (await leases.TryAcquireAsync("other-job", "two", ttl)).ShouldBeTrue("leases are per name");
        time.Advance(TimeSpan.FromSeconds(20));
        (await leases.TryAcquireAsync("job", "one", ttl)).ShouldBeTrue("the holder renews");
        time.Advance(TimeSpan.FromSeconds(20));
        (await leases.TryAcquireAsync("job", "two", ttl)).ShouldBeFalse("renewed 20 s ago, so still live");
        await leases.ReleaseAsync("job", "two");
        (await leases.HolderAsync("job")).ShouldBe("one", "only the holder releases");
        time.Advance(TimeSpan.FromSeconds(31));
        (await leases.HolderAsync("job")).ShouldBeNull();
        (await leases.TryAcquireAsync("job", "two", ttl)).ShouldBeTrue("lapsed");
        (await leases.TryAcquireAsync("job", "one", ttl)).ShouldBeFalse();
        await leases.ReleaseAsync("job", "two");
        (await leases.TryAcquireAsync("job", "one", ttl)).ShouldBeTrue("released");

        // Many contenders at once: exactly one wins.
        var wins = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => leases.TryAcquireAsync("race", "r" + i, ttl)));
        wins.Count(w => w).ShouldBe(1);
    }

    private static bool Holds(WardenServerHost host, string? holder)
    {
        var service = host.App.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<AuditExportService>().Single();
        return holder is not null && holder == service.LeaseHolder;
    }

    private static async Task<long> LastSequenceAsync(TestDatabase db)
    {
        await using var c = await db.Connections.OpenAsync();
        return await c.ExecuteScalarAsync<long>("SELECT COALESCE(MAX(seq), 0) FROM audit_events");
    }

    private static async Task CreateTeamsAsync(WardenServerHost host, string token, string prefix, int count)
    {
        using var client = new WardenClient(host.BaseAddress, token);
        for (var i = 0; i < count; i++)
        {
            await client.CreateTeamAsync("default", new CreateTeamRequest($"{prefix}-{i}"));
        }
    }

    private static async Task<WardenServerHost> StartReplicaAsync(TestDatabase db, string masterKey, IReadOnlyList<AuditExporterOptions> sinks)
    {
        var options = new WardenServerOptions
        {
            Database = db.Target.Dialect == SqlDialect.Sqlite ? Path.Combine(db.Folder, "warden.db") : db.Target.ConnectionString,
            DataDirectory = db.Folder,
            Listen = "127.0.0.1:0",
            MasterKey = masterKey,
            AuditExporters = sinks,
        };
        var host = await WardenServerHost.CreateAsync(options, new FakeTime(DateTimeOffset.UtcNow), logging => logging.SetMinimumLevel(LogLevel.Warning));
        await host.StartAsync();
        return host;
    }
}
