namespace Warden.Worker.Workspaces;

/// <summary>How one git command ended.</summary>
/// <param name="ExitCode">The exit code.</param>
/// <param name="StandardOutput">What it printed.</param>
/// <param name="StandardError">Its diagnostics, with the credential (if any) masked.</param>
public sealed record GitResult(int ExitCode, string StandardOutput, string StandardError);
