using System.Diagnostics;

namespace Warden.ScriptedGit.Tests;

/// <summary>The real git CLI in a temporary folder, as a developer would run it against the host.</summary>
internal sealed class GitCli : IDisposable
{
    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "warden-git-cli-" + Guid.NewGuid().ToString("N")[..12]);

    public GitCli() => Directory.CreateDirectory(Folder);

    /// <summary>Runs git in <paramref name="cwd"/> (relative to <see cref="Folder"/>) without prompts; returns the exit code and output.</summary>
    public (int Code, string Out, string Err) Run(string cwd, params string[] args)
    {
        var info = new ProcessStartInfo("git") { WorkingDirectory = Path.Combine(Folder, cwd), RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["GIT_TERMINAL_PROMPT"] = "0";
        info.Environment["GIT_ASKPASS"] = "/bin/false";
        info.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        info.Environment["GIT_AUTHOR_NAME"] = info.Environment["GIT_COMMITTER_NAME"] = "Test";
        info.Environment["GIT_AUTHOR_EMAIL"] = info.Environment["GIT_COMMITTER_EMAIL"] = "test@example.com";
        using var p = new Process { StartInfo = info };
        var error = new System.Text.StringBuilder();
        p.ErrorDataReceived += (_, e) =>
        {
            lock (error)
            {
                error.AppendLine(e.Data);
            }
        };
        p.Start();
        p.BeginErrorReadLine();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output, error.ToString());
    }

    /// <summary>Runs git and fails the test when it exits non-zero.</summary>
    public string Require(string cwd, params string[] args)
    {
        var (code, output, error) = Run(cwd, args);
        code.ShouldBe(0, $"git {string.Join(' ', args)}: {error}");
        return output;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Folder, true);
        }
        catch (IOException)
        {
            // Left for the temp cleaner.
        }
    }
}
