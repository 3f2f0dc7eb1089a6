using System.Diagnostics;

namespace Warden.Cli.Commands;

/// <summary>A shallow checkout of one ref of a Git repository (URL or local path) with the git CLI, deleted on dispose.</summary>
public sealed class GitCheckout : IDisposable
{
    private GitCheckout(string directory, string commit)
    {
        Directory = directory;
        Commit = commit;
    }

    /// <summary>The working tree.</summary>
    public string Directory { get; }

    /// <summary>The commit checked out.</summary>
    public string Commit { get; }

    /// <summary>Clones <paramref name="repository"/> at <paramref name="reference"/> (default branch when null).</summary>
    public static async Task<GitCheckout> CloneAsync(string repository, string? reference, CancellationToken cancellationToken)
    {
        var dir = Path.Combine(Path.GetTempPath(), "warden-policy-sync-" + Guid.NewGuid().ToString("N")[..12]);
        List<string> args = ["clone", "--quiet", "--depth", "1"];
        if (reference is not null)
        {
            args.AddRange(["--branch", reference]);
        }

        // "--" ends the options: a repository argument starting with "-" cannot become a git option.
        args.AddRange(["--", repository, dir]);
        await RunAsync(args, null, cancellationToken).ConfigureAwait(false);
        var commit = (await RunAsync(["rev-parse", "HEAD"], dir, cancellationToken).ConfigureAwait(false)).Trim();
        return new GitCheckout(dir, commit);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Temp files; the OS cleans them eventually.
        }
    }

    /// <summary>Runs git without prompts; its output, or a <see cref="CliException"/> naming the failure.</summary>
    internal static async Task<string> RunAsync(IReadOnlyList<string> args, string? workingDirectory, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null)
        {
            info.WorkingDirectory = workingDirectory;
        }

        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        // Never prompt for credentials in a non-interactive sync.
        info.Environment["GIT_TERMINAL_PROMPT"] = "0";
        using var process = Process.Start(info) ?? throw new CliException("Cannot start git; is it installed?");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        if (process.ExitCode != 0)
        {
            throw new CliException($"git {args[0]} failed: {(await error.ConfigureAwait(false)).Trim().ReplaceLineEndings(" ")}");
        }

        return await output.ConfigureAwait(false);
    }
}
