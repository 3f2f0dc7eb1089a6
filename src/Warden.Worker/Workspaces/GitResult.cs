namespace Warden.Worker.Workspaces;

/// <summary>How one git command ended.</summary>
/// <param name="ExitCode">The exit code (-1 when the worker stopped git because its output passed the cap).</param>
/// <param name="StandardOutput">What it printed.</param>
/// <param name="StandardError">Its diagnostics, with the credential (if any) masked.</param>
/// <param name="OutputTruncated">True when <paramref name="StandardOutput"/> was cut at <see cref="GitInvocation.MaxOutputBytes"/>.</param>
public sealed record GitResult(int ExitCode, string StandardOutput, string StandardError, bool OutputTruncated = false);
