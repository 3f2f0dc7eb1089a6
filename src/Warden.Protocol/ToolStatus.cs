using System.Text.Json.Serialization;

namespace Warden.Protocol;

/// <summary>How a tool call ended.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ToolStatus>))]
public enum ToolStatus
{
    /// <summary>The tool ran and succeeded (exit code 0 for shell).</summary>
    Ok,

    /// <summary>The tool ran and reported failure (non-zero exit code, no match, ...).</summary>
    Failed,

    /// <summary>The tool could not run (unknown tool, bad arguments, path outside the workspace).</summary>
    Error,

    /// <summary>The call took longer than its timeout and was stopped.</summary>
    TimedOut,

    /// <summary>The call was cancelled (the session ended).</summary>
    Cancelled,
}
