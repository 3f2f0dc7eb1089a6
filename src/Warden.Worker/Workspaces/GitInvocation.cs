using Warden.Protocol;

namespace Warden.Worker.Workspaces;

/// <summary>One git command for <see cref="GitRunner"/>.</summary>
/// <param name="Arguments">git's arguments (never a secret: they are visible in <c>/proc</c>).</param>
public sealed record GitInvocation(IReadOnlyList<string> Arguments)
{
    /// <summary>The working directory; the worker's current directory when null.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>The session credential for remote access, passed only through the child's environment.</summary>
    public SessionCredential? Credential { get; init; }

    /// <summary>Environment variables to set for the child; a null value removes the variable.</summary>
    public IReadOnlyDictionary<string, string?>? Environment { get; init; }

    /// <summary>Text written to git's standard input (which is closed after it); nothing when null.</summary>
    public string? StandardInput { get; init; }

    /// <summary>
    /// The most standard output kept, in bytes: past it the worker stops reading and kills git, and the result says
    /// <see cref="GitResult.OutputTruncated"/>. Null keeps everything.
    /// </summary>
    public int? MaxOutputBytes { get; init; }
}
