using Warden.Protocol;

namespace Warden.Worker.Workspaces;

/// <summary>
/// git on one session's workspace, run by the worker outside the sandbox, treating everything the agent could have
/// written as hostile. The agent writes the working tree (not <c>.git</c>, which the sandbox mounts read-only), so it
/// controls <c>.gitattributes</c>, <c>.gitignore</c>, <c>.gitmodules</c>, symbolic links, special files, file names,
/// and nested repositories with their own configuration and hooks. None of that may make git run a program.
/// </summary>
/// <remarks>
/// <para>Programs git can run come from configuration (filter, diff and merge drivers, <c>core.fsmonitor</c>,
/// <c>core.pager</c>, <c>core.editor</c>, <c>gpg.program</c>, trailer commands, ...) or from hooks. So: no system or
/// global configuration (<c>GIT_CONFIG_NOSYSTEM</c>, <c>GIT_CONFIG_GLOBAL=/dev/null</c>, an empty <c>HOME</c> and
/// <c>XDG_CONFIG_HOME</c>, no system attributes), the repository's own <c>.git/config</c> is the worker's (the sandbox
/// cannot write it), and <see cref="Hardening"/> switches the rest off on the command line. Command-line settings reach
/// every git that git itself starts (through <c>GIT_CONFIG_PARAMETERS</c>), and they outrank any file.</para>
/// <para>With no configuration able to define a driver, a <c>filter=</c>/<c>diff=</c> attribute names nothing and runs
/// nothing. The exception is a nested repository: git runs <c>git status</c> inside a submodule's folder to see
/// whether it changed, and that git reads the nested <c>.git/config</c>, which the agent can write (a filter there
/// would run). <see cref="WorkspacePublisher"/> therefore marks every gitlink <c>skip-worktree</c> before staging, so
/// git never looks inside, and leaves new or changed gitlinks out of what it commits.</para>
/// <para><c>GIT_DIR</c> and <c>GIT_WORK_TREE</c> are explicit (no discovery), and pathspecs are literal
/// (<c>GIT_LITERAL_PATHSPECS</c>) so a file name cannot smuggle pathspec magic.</para>
/// </remarks>
public sealed class WorkspaceGit
{
    /// <summary>The committer the worker signs its commits as unless configured otherwise.</summary>
    public const string DefaultCommitterName = "Warden worker";

    /// <summary>The committer e-mail unless configured otherwise.</summary>
    public const string DefaultCommitterEmail = "worker@warden.invalid";

    /// <summary>Settings passed with <c>-c</c> before every command: nothing may run a program or recurse into a nested repository.</summary>
    public static readonly IReadOnlyList<string> Hardening =
    [
        "core.hooksPath=/dev/null",
        "core.fsmonitor=false",
        "core.untrackedCache=false",
        "core.attributesFile=/dev/null",
        "core.excludesFile=/dev/null",
        "core.pager=cat",
        "core.editor=false",
        "core.quotePath=false",
        "commit.gpgSign=false",
        "tag.gpgSign=false",
        "gc.auto=0",
        "maintenance.auto=false",
        "submodule.recurse=false",
        "fetch.recurseSubmodules=false",
        "push.recurseSubmodules=no",
        "status.submoduleSummary=false",
        "diff.submodule=short",
        "diff.ignoreSubmodules=all",
        "protocol.ext.allow=never",
    ];

    private readonly GitRunner _git;
    private readonly string _emptyHome;

    /// <summary>Runs git on <paramref name="workspace"/>; <paramref name="emptyHome"/> is an empty folder of the worker's, used as <c>HOME</c>.</summary>
    public WorkspaceGit(GitRunner git, string workspace, string emptyHome)
    {
        _git = git;
        Workspace = workspace;
        _emptyHome = emptyHome;
        GitDirectory = Path.Combine(workspace, ".git");
    }

    /// <summary>The workspace (the working tree).</summary>
    public string Workspace { get; }

    /// <summary>The workspace's <c>.git</c> folder.</summary>
    public string GitDirectory { get; }

    /// <summary>The runner underneath.</summary>
    public GitRunner Runner => _git;

    /// <summary>
    /// Runs <c>git -c ... <paramref name="arguments"/></c> on the workspace with no system or global configuration.
    /// <paramref name="indexFile"/> replaces <c>.git/index</c>; <paramref name="environment"/> adds variables.
    /// </summary>
    public Task<GitResult> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken, string? indexFile = null,
        IReadOnlyDictionary<string, string?>? environment = null, string? input = null, int? maxOutputBytes = null)
    {
        var env = IsolatedEnvironment(indexFile, operatorConfig: false);
        if (environment is not null)
        {
            foreach (var (name, value) in environment)
            {
                env[name] = value;
            }
        }

        return _git.RunAsync(new GitInvocation(Hardened(arguments))
        {
            WorkingDirectory = Workspace,
            Environment = env,
            StandardInput = input,
            MaxOutputBytes = maxOutputBytes,
        }, cancellationToken);
    }

    /// <summary>Runs git and throws <see cref="WorkspaceException"/> naming <paramref name="what"/> when it fails.</summary>
    public async Task<string> RequireAsync(string what, IReadOnlyList<string> arguments, CancellationToken cancellationToken, string? indexFile = null,
        IReadOnlyDictionary<string, string?>? environment = null, string? input = null)
    {
        var result = await RunAsync(arguments, cancellationToken, indexFile, environment, input).ConfigureAwait(false);
        return result.ExitCode == 0 ? result.StandardOutput : throw Failure(what, result);
    }

    /// <summary>
    /// Pushes <paramref name="commit"/> to <c>refs/heads/<paramref name="branch"/></c> of <paramref name="repository"/>
    /// with the session's credential. Unlike the local steps, the push reads the operator's system and global
    /// configuration (proxies, CA bundles, URL rewrites: the same as the clone used); it reads nothing of the working
    /// tree, runs no hook (<c>--no-verify</c>, <see cref="Hardening"/>) and does not recurse into submodules.
    /// </summary>
    public async Task PushAsync(string repository, string commit, string branch, SessionCredential? credential, CancellationToken cancellationToken)
    {
        var result = await _git.RunAsync(new GitInvocation(Hardened(["push", "--quiet", "--no-verify", "--no-recurse-submodules", "--", repository, $"{commit}:refs/heads/{branch}"]))
        {
            WorkingDirectory = Workspace,
            Environment = IsolatedEnvironment(null, operatorConfig: true),
            Credential = credential,
        }, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw Failure($"Pushing branch '{branch}'", result);
        }
    }

    /// <summary>The exception for a failed step: git's own message (the credential already masked), shortened.</summary>
    public static WorkspaceException Failure(string what, GitResult result)
    {
        var detail = result.StandardError.Trim().ReplaceLineEndings(" ");
        if (detail.Length > 400)
        {
            detail = detail[..400] + "…";
        }

        return new WorkspaceException($"{what} failed (git exit code {result.ExitCode}){(detail.Length > 0 ? ": " + detail : ".")}");
    }

    private static List<string> Hardened(IReadOnlyList<string> arguments)
    {
        var all = new List<string>(Hardening.Count * 2 + arguments.Count);
        foreach (var setting in Hardening)
        {
            all.Add("-c");
            all.Add(setting);
        }

        all.AddRange(arguments);
        return all;
    }

    private Dictionary<string, string?> IsolatedEnvironment(string? indexFile, bool operatorConfig)
    {
        var env = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["GIT_DIR"] = GitDirectory,
            ["GIT_WORK_TREE"] = Workspace,
            ["GIT_INDEX_FILE"] = indexFile,
            ["GIT_ATTR_NOSYSTEM"] = "1",
            ["GIT_LITERAL_PATHSPECS"] = "1",
            ["GIT_NO_REPLACE_OBJECTS"] = "1",
            ["GIT_PAGER"] = "cat",
            ["PAGER"] = "cat",
            ["GIT_EDITOR"] = "false",
            ["LC_ALL"] = "C",
            // Anything the worker's own environment might carry that redirects git elsewhere.
            ["GIT_CONFIG_PARAMETERS"] = null,
            ["GIT_CONFIG"] = null,
            ["GIT_OBJECT_DIRECTORY"] = null,
            ["GIT_ALTERNATE_OBJECT_DIRECTORIES"] = null,
            ["GIT_COMMON_DIR"] = null,
            ["GIT_NAMESPACE"] = null,
            ["GIT_EXTERNAL_DIFF"] = null,
            ["GIT_DIFF_OPTS"] = null,
            ["GIT_CEILING_DIRECTORIES"] = null,
        };
        if (!operatorConfig)
        {
            env["GIT_CONFIG_NOSYSTEM"] = "1";
            env["GIT_CONFIG_SYSTEM"] = "/dev/null";
            env["GIT_CONFIG_GLOBAL"] = "/dev/null";
            env["HOME"] = _emptyHome;
            env["XDG_CONFIG_HOME"] = Path.Combine(_emptyHome, ".config");
        }

        return env;
    }

    /// <summary>Splits NUL-separated output (<c>-z</c>).</summary>
    internal static string[] SplitNul(string output) => output.Split('\0', StringSplitOptions.RemoveEmptyEntries);
}
