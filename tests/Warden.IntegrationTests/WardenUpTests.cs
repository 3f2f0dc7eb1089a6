using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;

namespace Warden.IntegrationTests;

/// <summary>
/// What the README promises a newcomer: <c>warden up</c> as a real process prints an admin token once, the token
/// opens <c>/api/v1/me</c>, no token gets 401, a restart does not print it again, and <c>warden admin-token</c> issues
/// a new one.
/// </summary>
public sealed partial class WardenUpTests : IDisposable
{
    private readonly string _work = Path.Combine(Path.GetTempPath(), "warden-up-" + Guid.NewGuid().ToString("N"));

    public WardenUpTests() => Directory.CreateDirectory(_work);

    public void Dispose() => Directory.Delete(_work, true);

    [Fact]
    public async Task WardenUp_PrintsTheAdminTokenOnce_AndTheApiAnswers()
    {
        var (first, firstOut) = await StartAsync();
        string token;
        Uri address;
        try
        {
            token = TokenLine().Match(firstOut).Groups[1].Value;
            address = new Uri(AddressLine().Match(firstOut).Groups[1].Value);
            using var http = new HttpClient { BaseAddress = address };
            (await http.GetAsync("api/v1/me")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            (await http.GetAsync("api/v1/me")).StatusCode.ShouldBe(HttpStatusCode.OK);
        }
        finally
        {
            await StopAsync(first);
        }

        token.ShouldStartWith("wdn_");
        var data = Path.Combine(_work, ".warden");
        (File.GetUnixFileMode(data) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)).ShouldBe(UnixFileMode.None);
        File.GetUnixFileMode(Path.Combine(data, "master.key")).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        foreach (var key in Directory.GetFiles(Path.Combine(data, "keys")))
        {
            // Data-protection keys are sealed under the master key, not stored as readable XML.
            (await File.ReadAllTextAsync(key)).ShouldNotContain("<masterKey");
        }

        var (second, secondOut) = await StartAsync();
        try
        {
            secondOut.ShouldNotContain("Admin token:");
            secondOut.ShouldContain("warden admin-token --data");
            using var http = new HttpClient { BaseAddress = new Uri(AddressLine().Match(secondOut).Groups[1].Value) };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            (await http.GetAsync("api/v1/me")).StatusCode.ShouldBe(HttpStatusCode.OK);

            var issue = await RunToEndAsync("admin-token", "--data", data);
            var fresh = TokenLine().Match(issue).Groups[1].Value;
            fresh.ShouldStartWith("wdn_");
            fresh.ShouldNotBe(token);
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", fresh);
            (await http.GetAsync("api/v1/me")).StatusCode.ShouldBe(HttpStatusCode.OK);
        }
        finally
        {
            await StopAsync(second);
        }
    }

    [Fact]
    public async Task SigkillDuringWrites_LosesNoAcknowledgedAuditEvent_AndTheChainVerifies()
    {
        var (process, output) = await StartAsync();
        var token = TokenLine().Match(output).Groups[1].Value;
        var address = new Uri(AddressLine().Match(output).Groups[1].Value);
        var acknowledged = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 16).Select(w => Task.Run(async () =>
        {
            using var http = new HttpClient { BaseAddress = address };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            for (var i = 0; i < 500 && !stop.IsCancellationRequested; i++)
            {
                var name = $"w{w}-{i}";
                try
                {
                    using var response = await http.PostAsync("api/v1/orgs/default/teams",
                        new StringContent($"{{\"name\":\"{name}\"}}", System.Text.Encoding.UTF8, "application/json"), stop.Token);
                    if (response.StatusCode == HttpStatusCode.Created)
                    {
                        acknowledged.Add(name);
                    }
                }
                catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
                {
                    return;
                }
            }
        })).ToArray();

        // Let the writers get going, then kill the server without warning.
        while (acknowledged.Count < 100 && writers.Any(t => !t.IsCompleted))
        {
            await Task.Delay(20);
        }

        process.Kill();
        await process.WaitForExitAsync();
        await stop.CancelAsync();
        await Task.WhenAll(writers);
        process.Dispose();

        var data = Path.Combine(_work, ".warden");
        var target = Warden.Data.DatabaseTarget.Sqlite(Path.Combine(data, "warden.db"));
        await using (var connections = new Warden.Data.ConnectionFactory(target))
        await using (var c = await connections.OpenAsync())
        {
            var audited = (await Dapper.SqlMapper.QueryAsync<string>(c, "SELECT resource_id FROM audit_events WHERE action = 'team.create'")).ToHashSet();
            acknowledged.Count.ShouldBeGreaterThanOrEqualTo(100);
            acknowledged.Where(a => !audited.Contains(a)).ShouldBeEmpty("every acknowledged change has its audit event");
        }

        var (code, stdout, stderr) = await CliRunner.RunAsync(_work, "audit", "verify", "--data", data);
        code.ShouldBe(0, stderr);
        stdout.ShouldContain("intact");
    }

    private async Task<(Process Process, string Output)> StartAsync()
    {
        var process = Start("up", "--listen", "127.0.0.1:0");
        var output = new System.Text.StringBuilder();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        // Started once the banner has said where it runs and either printed the token or where to get one.
        while (!output.ToString().Contains("running at", StringComparison.Ordinal) ||
               !(output.ToString().Contains("Admin token:", StringComparison.Ordinal) || output.ToString().Contains("warden admin-token", StringComparison.Ordinal)))
        {
            var line = await process.StandardOutput.ReadLineAsync(deadline.Token) ?? throw new InvalidOperationException("warden up exited: " + output + await process.StandardError.ReadToEndAsync());
            output.AppendLine(line);
        }

        return (process, output.ToString());
    }

    private async Task<string> RunToEndAsync(params string[] args)
    {
        using var process = Start(args);
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        process.ExitCode.ShouldBe(0, await process.StandardError.ReadToEndAsync());
        return output;
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
        // SIGTERM, as a service manager would send; SIGKILL only if it does not stop in time.
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
