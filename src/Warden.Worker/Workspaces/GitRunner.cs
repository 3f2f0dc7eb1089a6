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

    /// <summary>The git executable.</summary>
    public string Executable => gitExecutable;

    /// <summary>Runs git with <paramref name="arguments"/>; a non-zero exit is a result, not an exception.</summary>
    public async Task<GitResult> RunAsync(IEnumerable<string> arguments, string? workingDirectory, SessionCredential? credential, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(gitExecutable)
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

        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
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

        return new GitResult(process.ExitCode, await stdout.ConfigureAwait(false), error);
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
