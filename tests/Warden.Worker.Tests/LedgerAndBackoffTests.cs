using Warden.Protocol;
using Warden.Worker.Runtime;
using Warden.Worker.Sessions;

namespace Warden.Worker.Tests;

public sealed class LedgerAndBackoffTests
{
    [Fact]
    public async Task CallLedger_RunsACallIdOnce_EvenWhenRequestedConcurrently()
    {
        var ledger = new CallLedger();
        var runs = 0;
        var gate = new TaskCompletionSource();

        async Task<ToolResult> Run()
        {
            Interlocked.Increment(ref runs);
            await gate.Task;
            return new ToolResult { Status = ToolStatus.Ok, Output = "once" };
        }

        var requests = Enumerable.Range(0, 8).Select(_ => Task.Run(() => ledger.RunOnceAsync("c1", Run))).ToArray();
        gate.SetResult();
        var results = await Task.WhenAll(requests);
        var later = await ledger.RunOnceAsync("c1", Run);
        var other = await ledger.RunOnceAsync("c2", Run);

        runs.ShouldBe(2);
        results.Count(r => !r.Replayed).ShouldBe(1);
        results.ShouldAllBe(r => r.Result.Output == "once");
        later.Replayed.ShouldBeTrue();
        other.Replayed.ShouldBeFalse();
        ledger.Count.ShouldBe(2);
    }

    [Fact]
    public async Task CallLedger_RemembersAFailureToo()
    {
        var ledger = new CallLedger();
        var runs = 0;

        await Should.ThrowAsync<InvalidOperationException>(ledger.RunOnceAsync("c", () => { runs++; throw new InvalidOperationException("boom"); }));
        await Should.ThrowAsync<InvalidOperationException>(ledger.RunOnceAsync("c", () => { runs++; return Task.FromResult(new ToolResult { Status = ToolStatus.Ok }); }));

        runs.ShouldBe(1);
    }

    [Fact]
    public void Backoff_GrowsExponentially_WithJitter_AndIsCapped()
    {
        var backoff = new ReconnectBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5), new Random(42));

        var first = Enumerable.Range(0, 200).Select(_ => backoff.Next(0)).ToList();
        var fifth = Enumerable.Range(0, 200).Select(_ => backoff.Next(4)).ToList();
        var late = Enumerable.Range(0, 200).Select(_ => backoff.Next(50)).ToList();

        first.ShouldAllBe(d => d >= TimeSpan.FromMilliseconds(100) && d <= TimeSpan.FromMilliseconds(100));
        fifth.ShouldAllBe(d => d >= TimeSpan.FromMilliseconds(100) && d <= TimeSpan.FromMilliseconds(1600));
        fifth.Distinct().Count().ShouldBeGreaterThan(100, "jitter spreads reconnections");
        late.ShouldAllBe(d => d <= TimeSpan.FromSeconds(5));
        late.Max().ShouldBeGreaterThan(TimeSpan.FromSeconds(3));
    }

    [Fact]
    public void OutputBuffer_KeepsHeadAndTail_AndSaysWhatWasCut()
    {
        var buffer = new OutputBuffer(100);
        buffer.Append("HEAD-" + new string('a', 40));
        for (var i = 0; i < 100; i++)
        {
            buffer.Append($"line {i}\n");
        }

        var text = buffer.ToString();

        buffer.Truncated.ShouldBeTrue();
        text.ShouldStartWith("HEAD-");
        text.ShouldEndWith("line 99\n");
        text.ShouldContain("bytes of output omitted");
        text.ShouldNotContain("line 50\n");
    }

    [Fact]
    public void WorkerOptions_ListEveryProblem_AndParseLabels()
    {
        var options = new WorkerOptions { Server = new Uri("ftp://x"), JoinToken = "wdn_nope", DataDirectory = "", Capacity = 0, Labels = new Dictionary<string, string> { ["bad key"] = "v" } };

        options.Validate().Count.ShouldBe(5);
        WorkerOptions.ParseLabels("arch=arm64, gpu=true").ShouldBe(new Dictionary<string, string> { ["arch"] = "arm64", ["gpu"] = "true" });
        Should.Throw<FormatException>(() => WorkerOptions.ParseLabels("novalue"));
        WorkerOptions.ConnectUri(new Uri("https://w.example/base/")).ToString().ShouldBe("wss://w.example/base/api/v1/workers/connect");
        WorkerOptions.ConnectUri(new Uri("http://127.0.0.1:5000")).ToString().ShouldBe("ws://127.0.0.1:5000/api/v1/workers/connect");
        (options with { JoinToken = "wjt_supersecretvalue123" }).ToString().ShouldNotContain("supersecretvalue");
    }
}
