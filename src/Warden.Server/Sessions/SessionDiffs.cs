using Warden.Protocol;

namespace Warden.Server.Sessions;

/// <summary>Reads the worker's <c>warden.diff</c> answer.</summary>
internal static class SessionDiffs
{
    /// <summary>The diff, its stat line and whether it was cut; an empty diff when the worker could not produce one.</summary>
    public static (string Diff, string? Stat, bool Truncated) Read(ToolResult result)
    {
        if (result.Status != ToolStatus.Ok)
        {
            return (string.Empty, result.Error, false);
        }

        return WorkerOperations.ReadDiffResult(result) is { } diff ? (diff.Diff, diff.Stat, diff.Truncated) : (string.Empty, result.Error, false);
    }
}
