namespace Warden.Sandbox;

/// <summary>
/// One command to run in a session: either a shell command line (<see cref="Command"/>, run by <c>bash -c</c>, or
/// <c>/bin/sh -c</c> where bash is missing) or an argument vector (<see cref="Arguments"/>, run without a shell).
/// Exactly one of the two is set; use <see cref="Shell"/> or <see cref="Exec"/>.
/// </summary>
public sealed record CommandSpec
{
    /// <summary>A shell command line.</summary>
    public string? Command { get; init; }

    /// <summary>An argument vector: the program (looked up on the sandbox's PATH) and its arguments.</summary>
    public IReadOnlyList<string>? Arguments { get; init; }

    /// <summary>Working directory relative to the workspace root (null or empty: the root). It must stay inside the workspace.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Variables added to the session's environment for this command only.</summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }

    /// <summary>Wall-clock timeout; null uses <see cref="SandboxLimits.CommandTimeout"/>. The session's budget caps it.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Text written to the command's standard input, which is then closed; null gives it an empty stdin.</summary>
    public string? StdinText { get; init; }

    /// <summary>Creates a shell command.</summary>
    public static CommandSpec Shell(string command) => new() { Command = command };

    /// <summary>Creates a command from an argument vector.</summary>
    public static CommandSpec Exec(params string[] arguments) => new() { Arguments = arguments };
}
