using System.Diagnostics;
using Warden.Protocol;

namespace Warden.Worker.Workspaces;

/// <summary>
/// Runs the git CLI for the worker process (outside any sandbox). A session credential travels only in the child's
/// environment: basic credentials through an askpass helper that reads them from variables, bearer tokens as
/// <c>http.extraHeader</c> through <c>GIT_CONFIG_COUNT/KEY/VALUE</c>. Never in argv (visible in <c>/proc</c> and
/// <c>ps</c>), never in a URL, never in a config file. Credential helpers are switched off so git cannot store it.
/// </summary>
public sealed class GitRunner(string gitExecutable, string askPassScript)
{
    /// <summary>The environment variable the askpass helper answers user-name prompts from.</summary>
    public const string UsernameVariable = "WARDEN_GIT_USERNAME";

    /// <summary>The environment variable the askpass helper answers password prompts from.</summary>
    public const string PasswordVariable = "WARDEN_GIT_PASSWORD";

    /// <summary>The askpass helper: it holds no secret, it echoes one from its environment.</summary>
    public const string AskPassScriptText =
        """
        #!/bin/sh
        # Warden's git askpass helper: answers git's prompts from variables set for this one git process.
        case "$1" in
          Username*|username*) printf '%s\n' "$WARDEN_GIT_USERNAME" ;;
          *) printf '%s\n' "$WARDEN_GIT_PASSWORD" ;;
        esac

        """;

    private static readonly System.Text.UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>The git executable.</summary>
    public string Executable => gitExecutable;

    /// <summary>The askpass helper's path.</summary>
    public string AskPassScript => askPassScript;

    /// <summary>Runs git with <paramref name="arguments"/>; a non-zero exit is a result, not an exception.</summary>
    public Task<GitResult> RunAsync(IEnumerable<string> arguments, string? workingDirectory, SessionCredential? credential, CancellationToken cancellationToken) =>
        RunAsync(new GitInvocation(arguments.ToList()) { WorkingDirectory = workingDirectory, Credential = credential }, cancellationToken);

    /// <summary>Runs one git command; a non-zero exit is a result, not an exception.</summary>
    public async Task<GitResult> RunAsync(GitInvocation invocation, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(gitExecutable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = invocation.WorkingDirectory ?? Directory.GetCurrentDirectory(),
            StandardOutputEncoding = Utf8,
            StandardInputEncoding = Utf8,
        };
        foreach (var a in invocation.Arguments)
        {
            info.ArgumentList.Add(a);
        }

        var credential = invocation.Credential;
        var config = new List<(string Key, string Value)>
        {
            // An empty helper resets the list: nothing may cache or store this session's credential.
            ("credential.helper", string.Empty),
            ("core.askPass", askPassScript),
        };
        info.Environment["GIT_TERMINAL_PROMPT"] = "0";
        info.Environment["GIT_ASKPASS"] = askPassScript;
        info.Environment.Remove(UsernameVariable);
        info.Environment.Remove(PasswordVariable);
        if (invocation.Environment is { } environment)
        {
            foreach (var (name, value) in environment)
            {
                if (value is null)
                {
                    info.Environment.Remove(name);
                }
                else
                {
                    info.Environment[name] = value;
                }
            }
        }

        if (credential is not null)
        {
            if (credential.Kind == CredentialKinds.Bearer)
            {
                config.Add(("http.extraHeader", "Authorization: Bearer " + credential.Secret));
            }
            else
            {
                info.Environment[UsernameVariable] = string.IsNullOrEmpty(credential.Username) ? "x-access-token" : credential.Username;
                info.Environment[PasswordVariable] = credential.Secret;
            }
        }

        info.Environment["GIT_CONFIG_COUNT"] = config.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        for (var i = 0; i < config.Count; i++)
        {
            info.Environment[$"GIT_CONFIG_KEY_{i}"] = config[i].Key;
            info.Environment[$"GIT_CONFIG_VALUE_{i}"] = config[i].Value;
        }

        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new WorkspaceException($"git could not be started ({gitExecutable}): {e.Message}", e);
        }

        var stdin = WriteInputAsync(process, invocation.StandardInput);
        var stdout = invocation.MaxOutputBytes is { } cap
            ? ReadCappedAsync(process, cap, cancellationToken)
            : ReadAllAsync(process, cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var error = await stderr.ConfigureAwait(false);
        if (credential is not null && credential.Secret.Length > 0)
        {
            error = error.Replace(credential.Secret, "***", StringComparison.Ordinal);
        }

        await stdin.ConfigureAwait(false);
        var (output, truncated) = await stdout.ConfigureAwait(false);
        return new GitResult(truncated ? -1 : process.ExitCode, output, error, truncated);
    }

    private static async Task WriteInputAsync(Process process, string? input)
    {
        try
        {
            if (input is not null)
            {
                await process.StandardInput.WriteAsync(input).ConfigureAwait(false);
            }

            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // git exited without reading all of it; its exit code tells what happened.
        }
    }

    private static async Task<(string Output, bool Truncated)> ReadAllAsync(Process process, CancellationToken cancellationToken) =>
        (await process.StandardOutput.ReadToEndAsync(cancellationToken).ConfigureAwait(false), false);

    /// <summary>Reads at most <paramref name="cap"/> bytes, cut after the last whole line; past it, kills git.</summary>
    private static async Task<(string Output, bool Truncated)> ReadCappedAsync(Process process, int cap, CancellationToken cancellationToken)
    {
        var stream = process.StandardOutput.BaseStream;
        var buffer = new byte[Math.Min(cap + 1, 1 << 20)];
        using var kept = new MemoryStream();
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (kept.Length + read > cap)
            {
                kept.Write(buffer, 0, cap - (int)kept.Length);
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // It had exited already.
                }

                var bytes = kept.GetBuffer().AsSpan(0, (int)kept.Length);
                var lastLine = bytes.LastIndexOf((byte)'\n');
                return (Utf8.GetString(lastLine >= 0 ? bytes[..(lastLine + 1)] : bytes), true);
            }

            kept.Write(buffer, 0, read);
        }

        return (Utf8.GetString(kept.GetBuffer().AsSpan(0, (int)kept.Length)), false);
    }

    /// <summary>Runs git and throws <see cref="WorkspaceException"/> naming <paramref name="what"/> when it fails.</summary>
    public async Task<string> RequireAsync(string what, IEnumerable<string> arguments, string? workingDirectory, SessionCredential? credential, CancellationToken cancellationToken)
    {
        var result = await RunAsync(arguments, workingDirectory, credential, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            var detail = result.StandardError.Trim().ReplaceLineEndings(" ");
            throw new WorkspaceException($"{what} failed (git exit code {result.ExitCode}){(detail.Length > 0 ? ": " + Shorten(detail) : ".")}");
        }

        return result.StandardOutput;
    }

    private static string Shorten(string text) => text.Length > 400 ? text[..400] + "…" : text;
}
