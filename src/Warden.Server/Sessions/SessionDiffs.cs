using System.Text.Json;
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

        if (result.Result is { ValueKind: JsonValueKind.Object } r)
        {
            string? Text(string name) => r.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            var truncated = r.TryGetProperty("truncated", out var t) && t.ValueKind == JsonValueKind.True;
            return (Text("diff") ?? result.Output ?? string.Empty, Text("stat"), truncated || result.Truncated);
        }

        return (result.Output ?? string.Empty, null, result.Truncated);
    }
}
