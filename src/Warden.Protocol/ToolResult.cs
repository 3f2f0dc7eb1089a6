using System.Text.Json;

namespace Warden.Protocol;

/// <summary>What a tool call produced.</summary>
public sealed record ToolResult
{
    /// <summary>How the call ended.</summary>
    public required ToolStatus Status { get; init; }

    /// <summary>The tool's structured result, when it has one (file contents, matches, ...).</summary>
    public JsonElement? Result { get; init; }

    /// <summary>The call's text output (stdout and stderr interleaved), head and tail kept when it was too long.</summary>
    public string? Output { get; init; }

    /// <summary>True when <see cref="Output"/> lost its middle to the size limit.</summary>
    public bool Truncated { get; init; }

    /// <summary>The process exit code, for tools that run one.</summary>
    public int? ExitCode { get; init; }

    /// <summary>Why the tool could not run, for <see cref="ToolStatus.Error"/>.</summary>
    public string? Error { get; init; }

    /// <summary>How long the call took, in milliseconds.</summary>
    public long DurationMs { get; init; }

    /// <summary>A result for a call that could not run.</summary>
    public static ToolResult Failure(string error, ToolStatus status = ToolStatus.Error) => new() { Status = status, Error = error };
}
