using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using Warden.Client;
using Warden.Client.Contracts;
using Warden.Protocol;
using Warden.Server.Workers;
using Warden.Worker;

namespace Warden.IntegrationTests.Workers;

/// <summary>Server and real in-process workers over loopback WebSockets: admission, liveness, dispatch and faults.</summary>
public sealed class WorkerConnectionTests
{
    private static readonly Dictionary<string, string> NoLabels = [];

    [Fact]
    public async Task JoinTokens_ForgedRevokedExpiredOrForAnotherPool_AreRejected_AndRevocationDisconnects()
    {
        await using var bed = await WorkerTestbed.StartAsync();
        var linux = await bed.JoinTokenAsync("linux");
        await bed.JoinTokenAsync("gpu");
        using var client = bed.Client();
        var revoked = await client.CreateJoinTokenAsync("default", "linux", new CreateJoinTokenRequest("old"));
        await client.RevokeJoinTokenAsync("default", "linux", revoked.Token.Id);
        var expiring = await client.CreateJoinTokenAsync("default", "linux", new CreateJoinTokenRequest("short", ExpiresInDays: 1));
        bed.Time.Advance(TimeSpan.FromDays(2));

        var forged = await Should.ThrowAsync<WorkerRejectedException>(bed.StartWorkerAsync(bed.Options("wjt_" + new string('x', 43), "forged")));
        var wasRevoked = await Should.ThrowAsync<WorkerRejectedException>(bed.StartWorkerAsync(bed.Options(revoked.Secret, "revoked")));
        var expired = await Should.ThrowAsync<WorkerRejectedException>(bed.StartWorkerAsync(bed.Options(expiring.Secret, "expired")));
        var otherPool = await Should.ThrowAsync<WorkerRejectedException>(bed.StartWorkerAsync(bed.Options(linux, "wrong-pool", pool: "gpu")));
        var apiToken = await Should.ThrowAsync<WorkerRejectedException>(bed.StartWorkerAsync(bed.Options(linux, "x") with { JoinToken = "wjt_" + bed.AdminToken }));
        using var http = new HttpClient { BaseAddress = bed.BaseAddress };
        var notWebSocket = await http.GetAsync("api/v1/workers/connect");
        using var anonymous = new ClientWebSocket();
        var noToken = await Should.ThrowAsync<WebSocketException>(anonymous.ConnectAsync(new Uri($"ws://127.0.0.1:{bed.BaseAddress.Port}/api/v1/workers/connect"), CancellationToken.None));

        forged.Message.ShouldContain("401");
        wasRevoked.Message.ShouldContain("revoked");
        expired.Message.ShouldContain("expired");
        otherPool.Message.ShouldContain("belongs to pool 'linux', not 'gpu'");
        apiToken.Message.ShouldContain("401");
        notWebSocket.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await notWebSocket.Content.ReadAsStringAsync()).ShouldContain("urn:warden:problem:validation");
        anonymous.State.ShouldNotBe(WebSocketState.Open);
        (await client.ListWorkersAsync("default")).ShouldBeEmpty("no refused worker was registered");

        // A connected worker whose token is revoked is disconnected, and cannot come back with it.
        var tokens = await client.ListJoinTokensAsync("default", "linux");
        var good = await client.CreateJoinTokenAsync("default", "linux", new CreateJoinTokenRequest("good"));
        var (worker, run) = await bed.StartWorkerAsync(bed.Options(good.Secret, "w1"));
        await client.RevokeJoinTokenAsync("default", "linux", good.Token.Id);
        (await Should.ThrowAsync<WorkerRejectedException>(run)).Message.ShouldContain("refused the join token");
        (await bed.WorkerAsync(worker.WorkerId!)).State.ShouldBe("offline");
        tokens.ShouldContain(t => t.State == "revoked");
    }

    [Fact]
    public async Task Worker_Registers_Heartbeats_AndIsCountedLostWhenSilent()
    {
        await using var bed = await WorkerTestbed.StartAsync();
        var token = await bed.JoinTokenAsync("linux", new Dictionary<string, string> { ["os"] = "linux" });
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        await socket.ConnectAsync(WorkerOptions.ConnectUri(bed.BaseAddress), CancellationToken.None);
        using var raw = new ProtocolSocket(socket);
        await raw.SendAsync(new HelloMessage { Name = "raw", SoftwareVersion = "9.9.9", Capacity = 3, Labels = new Dictionary<string, string> { ["arch"] = "arm64" } });
        var registered = (await raw.ReceiveAsync()).ShouldBeOfType<RegisteredMessage>();
        // A frame that is not a message is answered with an error; the connection carries on.
        await socket.SendAsync("""{"type":"teleport","v":1}"""u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        (await raw.ReceiveAsync()).ShouldBeOfType<ErrorMessage>().Code.ShouldBe(ErrorCodes.BadMessage);
        await raw.SendAsync(new HeartbeatMessage { Running = 0, Load = 0.75 });
        await WorkerTestbed.Until(async () => (await bed.WorkerAsync(registered.WorkerId)).Load == 0.75, "the heartbeat's load is visible");
        var online = await bed.WorkerAsync(registered.WorkerId);

        registered.Pool.ShouldBe("linux");
        registered.HeartbeatIntervalMs.ShouldBe(200);
        online.State.ShouldBe("online");
        online.Connected.ShouldBeTrue();
        online.Version.ShouldBe("9.9.9");
        online.Capacity.ShouldBe(3);
        online.Sandboxed.ShouldBeFalse();
        online.Labels["arch"].ShouldBe("arm64");

        // Silence for longer than the heartbeat timeout (on the server's clock): lost, and the connection is dropped.
        bed.Time.Advance(TimeSpan.FromSeconds(29));
        await bed.Hub.SweepAsync();
        (await bed.WorkerAsync(registered.WorkerId)).State.ShouldBe("online");
        bed.Time.Advance(TimeSpan.FromSeconds(2));
        await bed.Hub.SweepAsync();
        var lost = await bed.WorkerAsync(registered.WorkerId);
        lost.State.ShouldBe("lost");
        lost.StateReason!.ShouldContain("no heartbeat");
        // The server dropped the silent connection: the next read ends (closed or broken) instead of waiting.
        var ended = await ReadUntilEndAsync(raw).WaitAsync(TimeSpan.FromSeconds(30));
        ended.ShouldBeTrue();

        // Past the grace period it goes offline.
        bed.Time.Advance(TimeSpan.FromSeconds(61));
        await bed.Hub.SweepAsync();
        (await bed.WorkerAsync(registered.WorkerId)).State.ShouldBe("offline");
        using var client = bed.Client();
        var actions = (await client.SearchAuditAsync("default", new Dictionary<string, string?> { ["resource_type"] = "worker" })).Events.Select(e => e.Action).ToList();
        actions.ShouldContain("worker.connect");
        actions.ShouldContain("worker.lost");
    }

    [Fact]
    public async Task AnotherHolderOfThePoolToken_CannotTakeOverAWorkersId_ButTheWorkerItselfReconnectsAfterARestart()
    {
        await using var bed = await WorkerTestbed.StartAsync();
        var token = await bed.JoinTokenAsync("linux");
        var options = bed.Options(token, "victim");
        var (victim, _) = await bed.StartWorkerAsync(options);
        var victimId = victim.WorkerId!;
        var secretFile = Path.Combine(options.DataDirectory, "worker-secret");
        var secret = (await File.ReadAllTextAsync(secretFile)).Trim();

        async Task<ErrorMessage> ClaimAsync(string? presented)
        {
            using var socket = new ClientWebSocket();
            socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
            await socket.ConnectAsync(WorkerOptions.ConnectUri(bed.BaseAddress), CancellationToken.None);
            using var raw = new ProtocolSocket(socket);
            await raw.SendAsync(new HelloMessage { WorkerId = victimId, WorkerSecret = presented, Name = "impostor", SoftwareVersion = "1", Sandboxed = true });
            var reply = (await raw.ReceiveAsync()).ShouldBeOfType<ErrorMessage>();
            (await raw.ReceiveAsync()).ShouldBeNull("the server closes after refusing");
            return reply;
        }

        var bare = await ClaimAsync(null);
        var guessed = await ClaimAsync("wks_" + new string('A', 43));

        bare.Code.ShouldBe(ErrorCodes.WorkerSecretRequired);
        guessed.Code.ShouldBe(ErrorCodes.WorkerSecretRequired);
        bare.Message.ShouldContain("worker secret");
        victim.IsConnected.ShouldBeTrue("the refused claims did not take the victim's connection");
        victim.Registrations.ShouldBe(1);
        (await bed.WorkerAsync(victimId)).Name.ShouldBe("victim");
        File.GetUnixFileMode(secretFile).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        secret.ShouldStartWith("wks_");
        using (var client = bed.Client())
        {
            var denied = (await client.SearchAuditAsync("default", new Dictionary<string, string?> { ["action"] = "worker.connect", ["outcome"] = "denied" })).Events;
            denied.Count.ShouldBe(2);
            denied.ShouldAllBe(e => e.ResourceId == victimId);
        }

        // The real worker restarts with its data folder: same id, its secret accepted, no new secret issued.
        await bed.KillAsync(victim);
        var (restarted, _) = await bed.StartWorkerAsync(options);
        restarted.WorkerId.ShouldBe(victimId);
        (await File.ReadAllTextAsync(secretFile)).Trim().ShouldBe(secret);

        // A machine that copied only the id (not the secret) stops with the reason instead of retrying forever.
        var copy = bed.Options(token, "copy");
        Directory.CreateDirectory(copy.DataDirectory);
        await File.WriteAllTextAsync(Path.Combine(copy.DataDirectory, "worker-id"), victimId);
        await using var impostor = new WorkerHost(copy, new Warden.Worker.Runtime.ProcessSessionRuntimeFactory());
        var refused = await Should.ThrowAsync<WorkerRejectedException>(impostor.RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)));
        refused.Message.ShouldContain("worker-id");
        restarted.IsConnected.ShouldBeTrue();
    }

    [Fact]
    public async Task Hello_FromAnUnsupportedProtocolVersion_OrNotFirst_IsRefusedWithAReason()
    {
        await using var bed = await WorkerTestbed.StartAsync();
        var token = await bed.JoinTokenAsync("linux");

        async Task<ErrorMessage> RefusedAsync(ProtocolMessage first)
        {
            using var socket = new ClientWebSocket();
            socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
            await socket.ConnectAsync(WorkerOptions.ConnectUri(bed.BaseAddress), CancellationToken.None);
            using var raw = new ProtocolSocket(socket);
            await raw.SendAsync(first);
            var reply = (await raw.ReceiveAsync()).ShouldBeOfType<ErrorMessage>();
            (await raw.ReceiveAsync()).ShouldBeNull("the server closes after refusing");
            return reply;
        }

        var future = await RefusedAsync(new HelloMessage { Version = ProtocolVersions.Current + 1, Name = "future", SoftwareVersion = "99" });
        var noHello = await RefusedAsync(new HeartbeatMessage());

        future.Code.ShouldBe(ErrorCodes.UnsupportedVersion);
        future.Message.ShouldContain($"speaks {ProtocolVersions.Minimum} to {ProtocolVersions.Current}");
        noHello.Code.ShouldBe(ErrorCodes.NotRegistered);
        using var client = bed.Client();
        (await client.ListWorkersAsync("default")).ShouldBeEmpty();
    }

    [Fact]
    public async Task Assignment_PicksByPoolLabelsAndFreeCapacity_LeastLoadedFirst()
    {
        await using var bed = await WorkerTestbed.StartAsync();
        var linux = await bed.JoinTokenAsync("linux", new Dictionary<string, string> { ["os"] = "linux" });
        var other = await bed.JoinTokenAsync("other");
        var (small, _) = await bed.StartWorkerAsync(bed.Options(linux, "small", capacity: 1, labels: new Dictionary<string, string> { ["arch"] = "x64" }));
        var (big, _) = await bed.StartWorkerAsync(bed.Options(linux, "big", capacity: 2, labels: new Dictionary<string, string> { ["arch"] = "x64" }));
        var (arm, _) = await bed.StartWorkerAsync(bed.Options(linux, "arm", capacity: 4, labels: new Dictionary<string, string> { ["arch"] = "arm64" }));
        await bed.StartWorkerAsync(bed.Options(other, "elsewhere", capacity: 8, labels: new Dictionary<string, string> { ["arch"] = "x64" }));
        var x64 = new Dictionary<string, string> { ["arch"] = "x64", ["os"] = "linux" };
        var d = bed.Dispatcher;

        var leases = new List<WorkerLease>();
        for (var i = 0; i < 3; i++)
        {
            leases.Add(await d.AssignAsync(bed.OrgId, "linux", x64, $"s{i}", new WorkspaceRequest(), CancellationToken.None));
        }

        var full = await Should.ThrowAsync<WorkerDispatchException>(d.AssignAsync(bed.OrgId, "linux", x64, "s3", new WorkspaceRequest(), CancellationToken.None));
        var gpu = await Should.ThrowAsync<WorkerDispatchException>(d.AssignAsync(bed.OrgId, "linux", new Dictionary<string, string> { ["gpu"] = "true" }, "s4", new WorkspaceRequest(), CancellationToken.None));
        var armLease = await d.AssignAsync(bed.OrgId, "linux", new Dictionary<string, string> { ["arch"] = "arm64" }, "s5", new WorkspaceRequest(), CancellationToken.None);

        leases.Count(l => l.WorkerId == small.WorkerId).ShouldBe(1);
        leases.Count(l => l.WorkerId == big.WorkerId).ShouldBe(2);
        leases[0].WorkerId.ShouldNotBe(leases[1].WorkerId, "the second session goes to the less loaded worker");
        leases.ShouldAllBe(l => l.Pool == "linux");
        full.Error.ShouldBe(WorkerDispatchError.NoWorkerAvailable);
        full.Message.ShouldContain("has free capacity");
        gpu.Error.ShouldBe(WorkerDispatchError.NoWorkerAvailable);
        armLease.WorkerId.ShouldBe(arm.WorkerId);
        (await bed.WorkerAsync(big.WorkerId!)).Running.ShouldBe(2);

        // Ending a session frees its slot.
        await d.EndSessionAsync(leases.First(l => l.WorkerId == small.WorkerId).SessionId, "done", CancellationToken.None);
        (await d.AssignAsync(bed.OrgId, "linux", x64, "s6", new WorkspaceRequest(), CancellationToken.None)).WorkerId.ShouldBe(small.WorkerId);
        await WorkerTestbed.Until(() => small.Sessions.Count == 1 && small.Sessions.Single() == "s6", "the worker released the ended session");
    }

    [Fact]
    public async Task ToolCall_RoundTrip_StreamsOutput_AndReturnsTheResult()
    {
        await using var bed = await WorkerTestbed.StartAsync();
        var (worker, _) = await bed.StartWorkerAsync(bed.Options(await bed.JoinTokenAsync("linux"), "w1"));
        var lease = await bed.Dispatcher.AssignAsync(bed.OrgId, "linux", NoLabels, "sess1", new WorkspaceRequest(), CancellationToken.None);
        var chunks = new ConcurrentQueue<ToolOutputChunk>();

        var result = await bed.Dispatcher.ExecuteToolAsync("sess1", WorkerTestbed.Shell("c1", "echo one; echo two >&2; pwd; exit 4"),
            c => { chunks.Enqueue(c); return ValueTask.CompletedTask; }, CancellationToken.None);
        var unknown = await Should.ThrowAsync<WorkerDispatchException>(bed.Dispatcher.ExecuteToolAsync("nope", WorkerTestbed.Shell("c1", "true"), _ => ValueTask.CompletedTask, CancellationToken.None));

        lease.WorkerId.ShouldBe(worker.WorkerId);
        result.Status.ShouldBe(ToolStatus.Failed);
        result.ExitCode.ShouldBe(4);
        result.Output!.ShouldContain("one");
        result.Output!.ShouldContain("two");
        result.Output!.ShouldContain(worker.Workspaces.WorkspacePath("sess1"));
        string.Concat(chunks.Where(c => c.Stream == "stdout").Select(c => c.Text)).ShouldContain("one");
        chunks.ShouldContain(c => c.Stream == "stderr" && c.Text.Contains("two"));
        unknown.Error.ShouldBe(WorkerDispatchError.UnknownSession);

        await bed.Dispatcher.EndSessionAsync("sess1", "finished", CancellationToken.None);
        await WorkerTestbed.Until(() => !Directory.Exists(worker.Workspaces.WorkspacePath("sess1")), "the workspace is released");
        using var client = bed.Client();
        (await client.GetWorkerAsync("default", worker.WorkerId!)).Sessions.Single().State.ShouldBe("ended");
    }

    [Fact]
    public async Task ConnectionDroppedAfterTheWorkerGotACall_TheServerRetriesTheSameId_AndTheCommandRunsOnce()
    {
        await using var bed = await WorkerTestbed.StartAsync();
        var gated = new GatedRuntime();
        var (worker, _) = await bed.StartWorkerAsync(bed.Options(await bed.JoinTokenAsync("linux"), "w1"), gated);
        await bed.Dispatcher.AssignAsync(bed.OrgId, "linux", NoLabels, "sess1", new WorkspaceRequest(), CancellationToken.None);
        var file = Path.Combine(worker.Workspaces.WorkspacePath("sess1"), "ran.txt");

        var call = bed.Dispatcher.ExecuteToolAsync("sess1", WorkerTestbed.Shell("append-1", "echo ran >> ran.txt; echo appended"), _ => ValueTask.CompletedTask, CancellationToken.None);
        await gated.Started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        worker.AbortConnection();
        await WorkerTestbed.Until(() => worker.Registrations >= 2 && worker.IsConnected, "the worker reconnects");
        // Only now may the command run: its result can reach the server only over the new connection.
        gated.Gate.SetResult();
        var result = await call.WaitAsync(TimeSpan.FromSeconds(30));
        var again = await bed.Dispatcher.ExecuteToolAsync("sess1", WorkerTestbed.Shell("append-1", "echo ran >> ran.txt"), _ => ValueTask.CompletedTask, CancellationToken.None);

        result.Status.ShouldBe(ToolStatus.Ok);
        result.Output!.ShouldContain("appended");
        again.Output.ShouldBe(result.Output);
        (await File.ReadAllLinesAsync(file)).ShouldBe(["ran"]);
        gated.Executions.ShouldBe(1);
        (await bed.WorkerAsync(worker.WorkerId!)).State.ShouldBe("online");
    }

    [Fact]
    public async Task WorkerKilledMidSession_TheSessionFailsWithAReason_AfterTheGracePeriod()
    {
        await using var bed = await WorkerTestbed.StartAsync();
        var (worker, _) = await bed.StartWorkerAsync(bed.Options(await bed.JoinTokenAsync("linux"), "doomed"));
        await bed.Dispatcher.AssignAsync(bed.OrgId, "linux", NoLabels, "sess1", new WorkspaceRequest(), CancellationToken.None);
        var failures = new ConcurrentQueue<WorkerSessionFailedEventArgs>();
        bed.Dispatcher.SessionFailed += (_, e) => failures.Enqueue(e);
        var started = new TaskCompletionSource();
        var call = bed.Dispatcher.ExecuteToolAsync("sess1", WorkerTestbed.Shell("long", "echo started; sleep 60"), c => { started.TrySetResult(); return ValueTask.CompletedTask; }, CancellationToken.None);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));

        await bed.KillAsync(worker);
        await WorkerTestbed.Until(async () => (await bed.WorkerAsync(worker.WorkerId!)).State == "lost", "the server notices the dropped connection");
        bed.Time.Advance(TimeSpan.FromSeconds(59));
        await bed.Hub.SweepAsync();
        call.IsCompleted.ShouldBeFalse("within the grace period the session waits for its worker");
        bed.Time.Advance(TimeSpan.FromSeconds(2));
        await bed.Hub.SweepAsync();
        var error = await Should.ThrowAsync<WorkerDispatchException>(call.WaitAsync(TimeSpan.FromSeconds(30)));

        error.Error.ShouldBe(WorkerDispatchError.SessionFailed);
        error.Message.ShouldContain("'doomed'");
        error.Message.ShouldContain("did not return within the 60 s grace period");
        failures.ShouldHaveSingleItem().SessionId.ShouldBe("sess1");
        using var client = bed.Client();
        var detail = await client.GetWorkerAsync("default", worker.WorkerId!);
        detail.Worker.State.ShouldBe("offline");
        detail.Sessions.Single().State.ShouldBe("failed");
        detail.Sessions.Single().Reason!.ShouldContain("grace period");
        (await client.SearchAuditAsync("default", new Dictionary<string, string?> { ["action"] = "worker.session.fail" })).Events.ShouldHaveSingleItem();
    }

    [Fact]
    public async Task StoppedWorker_SaysGoodbye_SoItsSessionsFailAtOnceWithAReason()
    {
        await using var bed = await WorkerTestbed.StartAsync();
        var options = bed.Options(await bed.JoinTokenAsync("linux"), "stopping");
        await using var worker = new WorkerHost(options, new Warden.Worker.Runtime.ProcessSessionRuntimeFactory());
        using var stop = new CancellationTokenSource();
        var run = Task.Run(() => worker.RunAsync(stop.Token));
        await WorkerTestbed.Until(() => worker.Registrations > 0, "the worker registers");
        await bed.Dispatcher.AssignAsync(bed.OrgId, "linux", NoLabels, "sess1", new WorkspaceRequest(), CancellationToken.None);

        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(30));
        await WorkerTestbed.Until(async () => (await bed.WorkerAsync(worker.WorkerId!)).State == "offline", "the server takes the worker offline without waiting for the grace period");

        using var client = bed.Client();
        var session = (await client.GetWorkerAsync("default", worker.WorkerId!)).Sessions.Single();
        session.State.ShouldBe("failed");
        session.Reason!.ShouldContain("worker stopping");
        Directory.Exists(worker.Workspaces.WorkspacePath("sess1")).ShouldBeFalse();
    }

    [Fact]
    public async Task Drain_LetsTheRunningSessionFinish_RefusesNewOnes_ThenTheWorkerLeaves()
    {
        await using var bed = await WorkerTestbed.StartAsync();
        var (worker, run) = await bed.StartWorkerAsync(bed.Options(await bed.JoinTokenAsync("linux"), "w1", capacity: 4));
        await bed.Dispatcher.AssignAsync(bed.OrgId, "linux", NoLabels, "sess1", new WorkspaceRequest(), CancellationToken.None);
        using var client = bed.Client();

        var draining = await client.DrainWorkerAsync("default", worker.WorkerId!);
        await WorkerTestbed.Until(() => worker.IsDraining, "the worker hears the drain");
        var refused = await Should.ThrowAsync<WorkerDispatchException>(bed.Dispatcher.AssignAsync(bed.OrgId, "linux", NoLabels, "sess2", new WorkspaceRequest(), CancellationToken.None));
        var stillWorks = await bed.Dispatcher.ExecuteToolAsync("sess1", WorkerTestbed.Shell("c1", "echo still here"), _ => ValueTask.CompletedTask, CancellationToken.None);
        run.IsCompleted.ShouldBeFalse();
        await bed.Dispatcher.EndSessionAsync("sess1", "done", CancellationToken.None);
        await run.WaitAsync(TimeSpan.FromSeconds(30));

        draining.State.ShouldBe("draining");
        refused.Error.ShouldBe(WorkerDispatchError.NoWorkerAvailable);
        stillWorks.Output!.ShouldContain("still here");
        await WorkerTestbed.Until(async () => (await bed.WorkerAsync(worker.WorkerId!)).State == "offline", "the drained worker goes offline");
        List<string> actions = [];
        await WorkerTestbed.Until(async () =>
        {
            actions = (await client.SearchAuditAsync("default", new Dictionary<string, string?> { ["resource_type"] = "worker" })).Events.Select(e => e.Action).ToList();
            return actions.Contains("worker.disconnect");
        }, "the disconnect is audited");
        actions.ShouldContain("worker.drain");
        actions.ShouldNotContain("worker.lost");
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task ServerRestart_WorkersReconnect_AndTheirSessionsCarryOn(string engine)
    {
        await using var bed = await WorkerTestbed.StartAsync(engine);
        var (worker, _) = await bed.StartWorkerAsync(bed.Options(await bed.JoinTokenAsync("linux"), "w1"));
        await bed.Dispatcher.AssignAsync(bed.OrgId, "linux", NoLabels, "sess1", new WorkspaceRequest(), CancellationToken.None);
        (await bed.Dispatcher.ExecuteToolAsync("sess1", WorkerTestbed.Shell("c1", "echo before > state.txt"), _ => ValueTask.CompletedTask, CancellationToken.None)).Status.ShouldBe(ToolStatus.Ok);
        // What the next server process will read: a ready session (once, a "ready" stored before the binding's row was lost).
        using (var before = bed.Client())
        {
            (await before.GetWorkerAsync("default", worker.WorkerId!)).Sessions.Single().State.ShouldBe("ready");
        }

        await bed.StopServerAsync();
        await WorkerTestbed.Until(() => !worker.IsConnected, "the worker sees the server go");
        await bed.StartServerAsync();
        await WorkerTestbed.Until(() => worker.Registrations >= 2 && worker.IsConnected, "the worker reconnects to the new server process");
        var after = await bed.Dispatcher.ExecuteToolAsync("sess1", WorkerTestbed.Shell("c2", "cat state.txt; echo after"), _ => ValueTask.CompletedTask, CancellationToken.None);
        var replay = await bed.Dispatcher.ExecuteToolAsync("sess1", WorkerTestbed.Shell("c1", "echo SHOULD-NOT-RUN > state.txt"), _ => ValueTask.CompletedTask, CancellationToken.None);

        after.Output!.ShouldContain("before");
        after.Output!.ShouldContain("after");
        replay.Status.ShouldBe(ToolStatus.Ok);
        (await File.ReadAllTextAsync(Path.Combine(worker.Workspaces.WorkspacePath("sess1"), "state.txt"))).ShouldBe("before\n");
        (await bed.WorkerAsync(worker.WorkerId!)).State.ShouldBe("online");
        worker.Sessions.ShouldBe(["sess1"]);
    }

    private static async Task<bool> ReadUntilEndAsync(ProtocolSocket socket)
    {
        try
        {
            while (await socket.ReceiveAsync() is not null)
            {
                // Skip whatever the server sent before it dropped the connection.
            }

            return true;
        }
        catch (WebSocketException)
        {
            return true;
        }
    }
}
