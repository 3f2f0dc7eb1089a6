namespace Warden.Sandbox.Tools;

/// <summary>What a git tool returns.</summary>
/// <param name="ExitCode">git's exit code.</param>
/// <param name="Output">Standard output (head and tail when large).</param>
/// <param name="Error">Standard error.</param>
public sealed record GitResult(int? ExitCode, string Output, string Error);
