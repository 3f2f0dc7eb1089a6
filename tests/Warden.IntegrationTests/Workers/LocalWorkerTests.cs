using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using Warden.Client.Contracts;

namespace Warden.IntegrationTests.Workers;

/// <summary><c>warden up</c> as a real process: the local worker joins pool <c>local</c>, sandboxed by bubblewrap.</summary>
public sealed partial class LocalWorkerTests : IDisposable
{
    private readonly string _work = Path.Combine(Path.GetTempPath(), "warden-up-worker-" + Guid.NewGuid().ToString("N"));

    public LocalWorkerTests() => Directory.CreateDirectory(_work);

    public void Dispose() => Directory.Delete(_work, true);

    [Fact]
    public async Task WardenUp_StartsASandboxedLocalWorker()
    {
        var (insecure, output) = await StartAsync("up", "--listen", "127.0.0.1:0");
        try
        {
            output.ShouldContain("Local worker: pool 'local'");
            var address = new Uri(AddressLine().Match(output).Groups[1].Value);
            var token = await IssueTokenAsync();
            using var http = new HttpClient { BaseAddress = address };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            List<WorkerDto>? workers = null;
            await WorkerTestbed.Until(async () =>
            {
                workers = await http.GetFromJsonAsync<List<WorkerDto>>("api/v1/orgs/default/workers");
                return workers!.Any(w => w.State == "online");
            }, "the local worker registers");
            var local = workers!.Single();
            local.Pool.ShouldBe("local");
            local.Sandboxed.ShouldBeTrue();
            output.ShouldNotContain("WARNING");
        }
        finally
        {
            await StopAsync(insecure);
        }
    }

    private async Task<string> IssueTokenAsync()
    {
        using var process = Start("admin-token", "--data", Path.Combine(_work, ".warden"));
        var text = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return TokenLine().Match(text).Groups[1].Value;
    }

    private async Task<(Process Process, string Output)> StartAsync(params string[] args)
    {
        var process = Start(args);
        var output = new StringBuilder();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!output.ToString().Contains("Local worker:", StringComparison.Ordinal))
        {
            var line = await process.StandardOutput.ReadLineAsync(deadline.Token) ?? throw new InvalidOperationException("warden up exited: " + output + await process.StandardError.ReadToEndAsync());
            output.AppendLine(line);
        }

        return (process, output.ToString());
    }

    private Process Start(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = _work, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "warden.dll"));
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment.Remove("WARDEN_MASTER_KEY");
        return Process.Start(info)!;
    }

    private static async Task StopAsync(Process process)
    {
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
        }

        process.Dispose();
    }

    [GeneratedRegex(@"Admin token: (wdn_\w+)")]
    private static partial Regex TokenLine();

    [GeneratedRegex(@"running at (\S+)")]
    private static partial Regex AddressLine();
}
