using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Warden.ScriptedGit;

namespace Warden.IntegrationTests;

/// <summary>
/// <c>warden demo</c> as a newcomer runs it: the real <c>warden</c> process sets everything up, an agent (driven by
/// the scripted model, and saying so) fixes the sample repository's failing test in the bubblewrap sandbox, and the
/// fix arrives as <c>warden/&lt;session&gt;</c> on the local bare remote.
/// </summary>
public sealed partial class DemoTests : IDisposable
{
    private readonly string _work = Path.Combine(Path.GetTempPath(), "warden-demo-test-" + Guid.NewGuid().ToString("N"));

    public DemoTests() => Directory.CreateDirectory(_work);

    public void Dispose() => Directory.Delete(_work, true);

    [Fact]
    public async Task Demo_FixesTheSampleRepository_PushesTheBranch_AndSaysTheModelIsScripted()
    {
        var dir = Path.Combine(_work, "demo");
        using var process = Start("demo", "--dir", dir);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var stdout = process.StandardOutput.ReadToEndAsync(deadline.Token);
        var stderr = process.StandardError.ReadToEndAsync(deadline.Token);
        await process.WaitForExitAsync(deadline.Token);
        var output = await stdout;

        process.ExitCode.ShouldBe(0, output + await stderr);
        var banner = string.Join('\n', output.Split('\n').Take(6));
        banner.ShouldContain("SCRIPTED model (NOT a real LLM)");
        banner.ShouldContain("provider 'scripted-demo'");
        output.ShouldContain("🤖 (scripted) ");
        output.ShouldContain("runtime bubblewrap");
        output.ShouldContain("✗ shell: failed (exit 1)");
        output.ShouldContain("✓ shell: ok (exit 0)");

        // The output names the branch and its commit; the remote has both, and the branch's calc.sh adds.
        var id = SessionLine().Match(output).Groups[1].Value;
        id.ShouldStartWith("ses_");
        var branch = $"warden/{id}";
        var remote = Path.Combine(dir, "calc.git");
        output.ShouldContain($"branch  {branch}");
        output.ShouldContain($"git -C {remote} log --stat {branch}");
        (await BareRepository.BranchesAsync(remote)).ShouldBe(["main", branch]);
        var commit = CommitLine().Match(output).Groups[1].Value;
        (await Git(remote, "rev-parse", "refs/heads/" + branch)).Trim().ShouldBe(commit);
        (await BareRepository.ReadFileAsync(remote, branch, "calc.sh"))!.ShouldContain("echo $(($1 + $2))");
        (await BareRepository.ReadFileAsync(remote, "main", "calc.sh"))!.ShouldContain("echo $(($1 - $2))");
        (await Git(remote, "log", "-1", "--format=%B", branch)).ShouldContain($"Warden-Session: {id}");

        // The audit summary and the ledger check.
        output.ShouldMatch(@"Audit trail of ses_\w+: \d+ events: model\.invoke 5, tool\.result 4, shell\.exec 2");
        output.ShouldContain("git.push 1");
        output.ShouldContain("Ledger verified (what `warden audit verify` checks): intact");
    }

    [Fact]
    public async Task DemoKeep_LeavesTheServerRunning_UntilItIsStopped()
    {
        using var process = Start("demo", "--dir", Path.Combine(_work, "keep"), "--keep");
        var output = new StringBuilder();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        while (!output.ToString().Contains("Press Ctrl+C to stop.", StringComparison.Ordinal))
        {
            var line = await process.StandardOutput.ReadLineAsync(deadline.Token)
                       ?? throw new InvalidOperationException("warden demo exited: " + output + await process.StandardError.ReadToEndAsync());
            output.AppendLine(line);
        }

        var text = output.ToString();
        var keep = KeepLine().Match(text);
        using (var http = new HttpClient { BaseAddress = new Uri(keep.Groups[1].Value) })
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", keep.Groups[2].Value);
            (await http.GetAsync("api/v1/orgs/default/repos/calc")).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(stop.Token);
        (await process.StandardOutput.ReadToEndAsync()).ShouldContain("Stopping the server");
        process.ExitCode.ShouldBe(0);
    }

    [Fact]
    public async Task Demo_InAFolderThatIsNotEmpty_RefusesWithOneLine()
    {
        await File.WriteAllTextAsync(Path.Combine(_work, "precious.txt"), "keep me");

        var (code, _, err) = await CliRunner.RunAsync(Path.Combine(_work, "config"), "demo", "--dir", _work);

        code.ShouldNotBe(0);
        err.ShouldStartWith("error: ");
        err.TrimEnd().Split('\n').Length.ShouldBe(1, err);
        err.ShouldContain("is not an empty folder");
        (await File.ReadAllTextAsync(Path.Combine(_work, "precious.txt"))).ShouldBe("keep me");
    }

    [Fact]
    public async Task Demo_WithoutAUsableSandbox_RefusesAndNamesTheInsecureFlag()
    {
        var dir = Path.Combine(_work, "no-sandbox");

        var (code, stdout, err) = await CliRunner.RunAsync(Path.Combine(_work, "config"), "demo", "--dir", dir, "--bwrap", Path.Combine(_work, "no-such-bwrap"));

        code.ShouldNotBe(0);
        err.ShouldStartWith("error: Agent sessions need the bubblewrap sandbox");
        err.TrimEnd().Split('\n').Length.ShouldBe(1, err);
        err.ShouldContain("--insecure-no-sandbox");
        stdout.ShouldBeEmpty();
        Directory.Exists(dir).ShouldBeFalse();
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

    private static async Task<string> Git(string gitDir, params string[] args)
    {
        var info = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("--git-dir");
        info.ArgumentList.Add(gitDir);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var p = Process.Start(info)!;
        var output = await p.StandardOutput.ReadToEndAsync();
        var error = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        p.ExitCode.ShouldBe(0, error);
        return output;
    }

    [GeneratedRegex(@"\[5/6\] Session (ses_\w+)")]
    private static partial Regex SessionLine();

    [GeneratedRegex(@"commit  ([0-9a-f]{40})")]
    private static partial Regex CommitLine();

    [GeneratedRegex(@"Warden keeps running at (\S+) \(--keep\)\. Admin token: (wdn_\w+)")]
    private static partial Regex KeepLine();
}
