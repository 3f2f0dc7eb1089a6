using System.Text.Json;

namespace Warden.Protocol;

/// <summary>One tool invocation. <see cref="CallId"/> makes it idempotent: a worker runs a call id at most once.</summary>
/// <param name="CallId">Unique per session; a repeated id returns the first run's result.</param>
/// <param name="Tool">The tool's name (<c>shell</c>, <c>read_file</c>, ...).</param>
/// <param name="Arguments">The tool's arguments, a JSON object.</param>
/// <param name="TimeoutMs">How long the call may take; the session's default when null.</param>
public sealed record ToolCall(string CallId, string Tool, JsonElement Arguments, int? TimeoutMs = null);
