using System.Diagnostics;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Warden.Audit;
using Warden.Data.Gateway;
using Warden.Server.Audit;
using Warden.Server.Gateway;
using Warden.Server.Hosting;
using Warden.Testing;

namespace Warden.IntegrationTests.Gateway;

/// <summary>
/// The gateway's record writer: its queue is bounded, and a full queue makes callers wait for room (back-pressure)
/// rather than growing without limit or dropping records, so every call still ends up with its usage row and its
/// audit event. Batches are written as multi-row statements on both engines.
/// </summary>
public sealed class UsageRecorderTests
{
    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task AFullQueue_MakesTheNextCallWaitForRoom_AndEveryRecordIsWritten(string engine)
    {
        await using var server = await TestServer.StartAsync(engine);
        var services = server.Host.App.Services;
        // Not started yet, so nothing drains the queue: the third record finds it full.
        var recorder = new UsageRecorder(services.GetRequiredService<ModelUsageStore>(), services.GetRequiredService<AuditLedger>(),
            server.Time, NullLogger<UsageRecorder>.Instance, new WardenServerOptions { GatewayUsageQueueCapacity = 2 });
        var ids = Enumerable.Range(1, 3).Select(i => $"mc_bp{i}_{Guid.NewGuid():N}").ToList();
        var first = recorder.EnqueueAsync(Record(ids[0], server.Time.GetUtcNow()));
        var second = recorder.EnqueueAsync(Record(ids[1], server.Time.GetUtcNow()));
        var third = recorder.EnqueueAsync(Record(ids[2], server.Time.GetUtcNow()));

        first.IsCompletedSuccessfully.ShouldBeTrue();
        second.IsCompletedSuccessfully.ShouldBeTrue();
        third.IsCompleted.ShouldBeFalse("the queue holds two records and nothing has taken any");
        recorder.FullWaits.ShouldBe(1);
        recorder.Pending.ShouldBe(3, "a waiting record counts as pending, so a flush waits for it too");

        await recorder.StartAsync(CancellationToken.None);
        try
        {
            await third.AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            await recorder.FlushAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            await recorder.StopAsync(CancellationToken.None);
        }

        await using var connection = await server.Db.Connections.OpenAsync();
        (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM model_usage WHERE key_id = 'vk_bp'")).ShouldBe(3);
        (await connection.QueryAsync<string>("SELECT id FROM model_usage WHERE key_id = 'vk_bp'")).Order().ShouldBe(ids.Order());
        (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_events WHERE action = 'model.invoke' AND actor_id = 'vk_bp'")).ShouldBe(3);
        var streamed = await connection.QueryAsync<(string Id, long Streamed, string? TeamId, long CostMicros)>(
            "SELECT id, streamed, team_id, cost_micros FROM model_usage WHERE key_id = 'vk_bp'");
        streamed.ShouldAllBe(r => r.Streamed == 1 && r.TeamId == null && r.CostMicros == 42, "every column survives the batched insert");
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task ABatchLargerThanOneStatement_IsWrittenWhole_WithItsCaptures(string engine)
    {
        await using var server = await TestServer.StartAsync(engine);
        var store = server.Host.App.Services.GetRequiredService<ModelUsageStore>();
        var now = server.Time.GetUtcNow();
        // Many full SQLite statements and a remainder; one row with every nullable column null.
        var rows = Enumerable.Range(0, 151).Select(i => new ModelUsageRecord($"mc_big{i:D3}", "org_x", "vk_big", i == 7 ? null : "user_1", i == 7 ? null : "team_1",
            "coder", i == 7 ? null : "vllm", i == 7 ? null : "qwen", i == 7 ? null : "cli/1", 200, "success", i, 2 * i, 0, 10 * i, 5, i % 2 == 0, now)).ToList();
        var captures = new List<ModelCapture>
        {
            new("mc_big001", "org_x", "vk_big", "{\"messages\":[]}", "{\"ok\":true}", now, now.AddDays(1)),
            new("mc_big002", "org_x", "vk_big", "{\"messages\":[1]}", null, now, now.AddDays(1)),
        };

        await store.InsertAsync(rows, captures);

        await using var connection = await server.Db.Connections.OpenAsync();
        (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM model_usage WHERE key_id = 'vk_big'")).ShouldBe(151);
        (await connection.ExecuteScalarAsync<long>("SELECT SUM(output_tokens) FROM model_usage WHERE key_id = 'vk_big'")).ShouldBe(150 * 151);
        (await connection.ExecuteScalarAsync<long>("SELECT SUM(streamed) FROM model_usage WHERE key_id = 'vk_big'")).ShouldBe(76);
        var nulls = await connection.QuerySingleAsync<(string? UserId, string? Provider, string? Client)>("SELECT user_id, provider, client FROM model_usage WHERE id = 'mc_big007'");
        nulls.ShouldBe((null, null, null));
        (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM model_captures WHERE key_id = 'vk_big' AND response IS NULL")).ShouldBe(1);
        (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM model_captures WHERE key_id = 'vk_big'")).ShouldBe(2);
    }

    [Theory]
    [MemberData(nameof(TestDatabase.Engines), MemberType = typeof(TestDatabase))]
    public async Task ABatch_IsOneWriteOfItsRowsAndAuditEvents_AndRowsThatCannotBeWrittenDoNotCostTheAuditEvents(string engine)
    {
        await using var server = await TestServer.StartAsync(engine);
        var services = server.Host.App.Services;
        var recorder = new UsageRecorder(services.GetRequiredService<ModelUsageStore>(), services.GetRequiredService<AuditLedger>(),
            server.Time, NullLogger<UsageRecorder>.Instance, new WardenServerOptions());
        var taken = $"mc_dup_{Guid.NewGuid():N}";
        await recorder.StartAsync(CancellationToken.None);
        try
        {
            // A batch is written whole, in one transaction with its audit events.
            await recorder.EnqueueAsync(Record(taken, server.Time.GetUtcNow()));
            await recorder.FlushAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
            await using (var connection = await server.Db.Connections.OpenAsync())
            {
                (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM model_usage WHERE id = @taken", new { taken })).ShouldBe(1);
                (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_events WHERE action = 'model.invoke' AND actor_id = 'vk_bp'")).ShouldBe(1);
            }

            // A batch whose rows can never be written (a usage id that is already taken fails the insert every time):
            // its calls still reach the audit trail, each once.
            await recorder.EnqueueAsync(Record(taken, server.Time.GetUtcNow()));
            await recorder.EnqueueAsync(Record($"mc_dup_{Guid.NewGuid():N}", server.Time.GetUtcNow()));
            await recorder.FlushAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            await recorder.StopAsync(CancellationToken.None);
        }

        await using var after = await server.Db.Connections.OpenAsync();
        (await after.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_events WHERE action = 'model.invoke' AND actor_id = 'vk_bp'")).ShouldBe(3);
        (await after.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM model_usage WHERE key_id = 'vk_bp'")).ShouldBe(1, "the failed batch wrote none of its rows");
        var report = await services.GetRequiredService<AuditLedger>().VerifyAsync();
        report.IsIntact.ShouldBeTrue();
    }

    [Fact]
    public async Task CallsComingFast_ShareWrites_AndALoneCallIsWrittenWithoutWaitingForCompany()
    {
        await using var server = await TestServer.StartAsync("sqlite");
        var services = server.Host.App.Services;
        var recorder = new UsageRecorder(services.GetRequiredService<ModelUsageStore>(), services.GetRequiredService<AuditLedger>(),
            server.Time, NullLogger<UsageRecorder>.Instance, new WardenServerOptions { GatewayUsageGatherWindow = TimeSpan.FromMilliseconds(50) });
        await recorder.StartAsync(CancellationToken.None);
        try
        {
            // One call now and then: each is written in a write of its own, at once, without waiting for company.
            for (var i = 0; i < 4; i++)
            {
                await recorder.EnqueueAsync(Record($"mc_lone{i}_{Guid.NewGuid():N}", server.Time.GetUtcNow()));
                await recorder.FlushAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
                await Task.Delay(20);
            }

            recorder.Writes.ShouldBe(4);
            recorder.GatheredWrites.ShouldBe(0, "a lone call waited for others to join its write");

            // Four calls every millisecond or so (thousands a second) for 1,000 calls: writes wait for company, up to
            // 64 records each, so there are far fewer writes than calls. Without gathering, each write would take what
            // queued during the one before (a few records), a hundred writes or more.
            for (var i = 0; i < 250; i++)
            {
                for (var j = 0; j < 4; j++)
                {
                    await recorder.EnqueueAsync(Record($"mc_fast{i:D3}{j}_{Guid.NewGuid():N}", server.Time.GetUtcNow()));
                }

                // A millisecond, waited for on the CPU: Task.Delay(1) takes a timer tick or more on a loaded machine,
                // which slowed the calls below the rate at which writes gather (a full run once saw 61 writes).
                var until = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 1000;
                while (Stopwatch.GetTimestamp() < until)
                {
                    Thread.SpinWait(20);
                }
            }

            await recorder.FlushAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
            recorder.GatheredWrites.ShouldBeGreaterThan(0);
            (recorder.Writes - 4).ShouldBeLessThan(60, $"{recorder.Writes - 4} writes for 1,000 calls, {recorder.GatheredWrites} of them gathered");
            await using var connection = await server.Db.Connections.OpenAsync();
            (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM model_usage WHERE id LIKE 'mc_fast%'")).ShouldBe(1000);
            (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_events WHERE action = 'model.invoke' AND actor_id = 'vk_bp'")).ShouldBe(1004);
        }
        finally
        {
            await recorder.StopAsync(CancellationToken.None);
        }
    }

    [Theory]
    [InlineData(1, 0.1, 0, false)] // a lone call after a quiet spell: written at once
    [InlineData(3, 1.0, 0, true)] // a burst: three waiting within a millisecond
    [InlineData(1, 0.1, 4000, true)] // one client back to back: one waiting at a time, 4,000 calls a second
    [InlineData(1, 1.0, 100, false)] // agent sessions' pace
    [InlineData(2, 5.0, 100, false)] // two that happened to end close together, at sessions' pace
    public void AWriteGathers_OnABurstOrASteadyStream_NotForALoneCall(int waiting, double msSinceLastWrite, double steadyRate, bool gathers)
    {
        UsageRecorder.ShouldGather(waiting, TimeSpan.FromMilliseconds(msSinceLastWrite), steadyRate).ShouldBe(gathers);
    }

    [Fact]
    public void TheSteadyRate_IsTakenOverWholeWindows_AndIsLowAfterAQuietSpell()
    {
        var f = Stopwatch.Frequency;
        var rate = new ArrivalRate(TimeSpan.FromMilliseconds(50));

        rate.Observe(0, 0).ShouldBe(0);
        // 4 calls a millisecond, one at a time: no rate until a whole window has passed, then 4,000 a second.
        rate.Observe(100, f * 25 / 1000).ShouldBe(0);
        rate.Observe(200, f * 50 / 1000).ShouldBe(4000, 1);
        // Inside the next window the last whole window's rate holds.
        rate.Observe(240, f * 60 / 1000).ShouldBe(4000, 1);
        rate.Observe(400, f * 100 / 1000).ShouldBe(4000, 1);
        // Then one call after two quiet seconds: the window spans the quiet, so the rate is low and the call is not held.
        rate.Observe(401, f * 2100 / 1000).ShouldBeLessThan(1);
        // Agent sessions' pace (100 calls a second) stays under the gathering threshold of 1,000.
        rate.Observe(406, f * 2150 / 1000).ShouldBe(100, 1);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1001)]
    public void AGatherWindowOutsideZeroToOneSecond_IsRefusedAtStart(int milliseconds)
    {
        var errors = new WardenServerOptions { DataDirectory = "/tmp/x", GatewayUsageGatherWindow = TimeSpan.FromMilliseconds(milliseconds) }.Validate();

        errors.ShouldHaveSingleItem().ShouldContain("GatewayUsageGatherWindow");
        new WardenServerOptions { DataDirectory = "/tmp/x", GatewayUsageGatherWindow = TimeSpan.Zero }.Validate().ShouldBeEmpty();
    }

    private static UsageRecorder.CallRecord Record(string id, DateTimeOffset at)
    {
        var usage = new ModelUsageRecord(id, "org_bp", "vk_bp", "user_bp", null, "coder", "vllm", "qwen", "test/1", 200, "success", 10, 20, 0, 42, 3, true, at);
        var audit = new AuditEventDraft
        {
            OrgId = "org_bp",
            Actor = new AuditActor(ActorKind.ApiKey, "vk_bp", "bench"),
            Source = new AuditSource("test", "test"),
            Action = "model.invoke",
            Resource = new AuditResource("model", "coder"),
            Outcome = AuditOutcome.Success,
            Details = JsonDocument.Parse("{\"usageId\":\"" + id + "\"}").RootElement,
        };
        return new UsageRecorder.CallRecord(usage, null, audit);
    }
}
