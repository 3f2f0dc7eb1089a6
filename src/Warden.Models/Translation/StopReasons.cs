namespace Warden.Models.Translation;

/// <summary>Finish reasons between formats.</summary>
internal static class StopReasons
{
    /// <summary>Anthropic <c>stop_reason</c> to OpenAI <c>finish_reason</c>.</summary>
    public static string? AnthropicToChat(string? stopReason) => stopReason switch
    {
        null => null,
        "end_turn" or "stop_sequence" or "pause_turn" => "stop",
        "max_tokens" or "model_context_window_exceeded" => "length",
        "tool_use" => "tool_calls",
        "refusal" => "content_filter",
        _ => "stop",
    };

    /// <summary>OpenAI <c>finish_reason</c> to Anthropic <c>stop_reason</c>.</summary>
    public static string? ChatToAnthropic(string? finishReason) => finishReason switch
    {
        null => null,
        "stop" => "end_turn",
        "length" => "max_tokens",
        "tool_calls" or "function_call" => "tool_use",
        "content_filter" => "refusal",
        _ => "end_turn",
    };

    /// <summary>The Responses status and incomplete reason for an OpenAI <c>finish_reason</c>.</summary>
    public static (string Status, string? IncompleteReason) ChatToResponses(string? finishReason) => finishReason switch
    {
        "length" => ("incomplete", "max_output_tokens"),
        "content_filter" => ("incomplete", "content_filter"),
        _ => ("completed", null),
    };

    /// <summary>OpenAI <c>finish_reason</c> for a Responses result.</summary>
    public static string ResponsesToChat(string? status, string? incompleteReason, bool hasToolCalls) => (status, incompleteReason) switch
    {
        ("incomplete", "max_output_tokens") => "length",
        ("incomplete", "content_filter") => "content_filter",
        _ when hasToolCalls => "tool_calls",
        _ => "stop",
    };
}
