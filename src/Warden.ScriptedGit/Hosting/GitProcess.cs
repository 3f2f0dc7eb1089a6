using System.Diagnostics;

namespace Warden.ScriptedGit.Hosting;

/// <summary>Runs the git CLI with a fixed identity and no prompts; a non-zero exit is returned, not thrown.</summary>
internal static class GitProcess
{
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(string git, string? workingDirectory, IEnumerable<string> arguments, CancellationToken ct)
    {
        var info = new ProcessStartInfo(git)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Directory.GetCurrentDirectory(),
        };
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["GIT_TERMINAL_PROMPT"] = "0";
        info.Environment["GIT_AUTHOR_NAME"] = info.Environment["GIT_COMMITTER_NAME"] = "Scripted Git";
        info.Environment["GIT_AUTHOR_EMAIL"] = info.Environment["GIT_COMMITTER_EMAIL"] = "scripted-git@warden.invalid";
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{git} could not be started.");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var error = process.StandardError.ReadToEndAsync(ct);
        try
        {
            await process.WaitForExitAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await output.ConfigureAwait(false), await error.ConfigureAwait(false));
    }

    public static async Task<string> RequireAsync(string git, string? workingDirectory, IEnumerable<string> arguments, CancellationToken ct)
    {
        var list = arguments.ToList();
        var (code, output, error) = await RunAsync(git, workingDirectory, list, ct).ConfigureAwait(false);
        return code == 0 ? output : throw new InvalidOperationException($"git {string.Join(' ', list)} failed ({code}): {error.Trim()}");
    }
}
