namespace Warden.Sandbox;

/// <summary>
/// How a command ended. <see cref="Stdout"/> and <see cref="Stderr"/> hold the whole output when it is small; past
/// <see cref="SandboxSessionOptions.OutputHeadBytes"/> + <see cref="SandboxSessionOptions.OutputTailBytes"/> they
/// hold its head and tail around a line <c>[... K bytes omitted ...]</c>. Every byte was still streamed to the
/// output callback as it arrived.
/// </summary>
public sealed record CommandResult
{
    /// <summary>
    /// The exit status as a shell reports it: the program's exit code, or 128 + the signal number when it was
    /// killed by a signal. Null when the command never ran (for example, the session's budget was spent).
    /// </summary>
    public int? ExitCode { get; init; }

    /// <summary>The signal that ended the command when <see cref="ExitCode"/> is above 128 (as the shell reports it), else null.</summary>
    public int? Signal { get; init; }

    /// <summary>True when the command was killed because it ran past its wall-clock limit.</summary>
    public bool TimedOut { get; init; }

    /// <summary>The limits the command ran into, as far as they can be detected.</summary>
    public SandboxLimit LimitHit { get; init; }

    /// <summary>Time from start to the end of the last process of the command.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>Standard output, head and tail when it was large.</summary>
    public string Stdout { get; init; } = "";

    /// <summary>Standard error, head and tail when it was large.</summary>
    public string Stderr { get; init; } = "";

    /// <summary>Bytes of standard output left out of <see cref="Stdout"/>.</summary>
    public long StdoutOmittedBytes { get; init; }

    /// <summary>Bytes of standard error left out of <see cref="Stderr"/>.</summary>
    public long StderrOmittedBytes { get; init; }
}
