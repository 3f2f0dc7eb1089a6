namespace Warden.ScriptedModel;

/// <summary>Why a scripted generation stopped, mapped to each provider's own value.</summary>
public enum ScriptedStopReason
{
    /// <summary>The model finished: OpenAI <c>stop</c>, Responses <c>completed</c>, Anthropic <c>end_turn</c>.</summary>
    EndTurn,

    /// <summary>The model wants tools run: OpenAI <c>tool_calls</c>, Anthropic <c>tool_use</c>.</summary>
    ToolUse,

    /// <summary>The token limit was hit: OpenAI <c>length</c>, Responses <c>incomplete</c> (<c>max_output_tokens</c>), Anthropic <c>max_tokens</c>.</summary>
    MaxTokens,
}
