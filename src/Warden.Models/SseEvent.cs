namespace Warden.Models;

/// <summary>One server-sent event.</summary>
/// <param name="Event">The <c>event:</c> name, or null when the event had none (OpenAI Chat chunks).</param>
/// <param name="Data">The data without the <c>data: </c> prefix; the lines of a multi-line event are joined with <c>'\n'</c>.</param>
public readonly record struct SseEvent(string? Event, string Data);
