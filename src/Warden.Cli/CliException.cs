namespace Warden.Cli;

/// <summary>A failure to report on one line and exit non-zero.</summary>
public sealed class CliException(string message, int exitCode = 1) : Exception(message)
{
    /// <summary>The process exit code.</summary>
    public int ExitCode { get; } = exitCode;
}
