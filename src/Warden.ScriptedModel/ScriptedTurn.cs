namespace Warden.ScriptedModel;

/// <summary>
/// One scripted model answer: text, tool calls, reported usage, or a failure to act out. Queued turns are consumed one
/// per generation request (chat completions, responses, messages, Bedrock invoke); see
/// <see cref="ScriptedModelServer.Enqueue(ScriptedTurn)"/>.
/// </summary>
public sealed record ScriptedTurn
{
    /// <summary>The assistant text; null or empty answers with tool calls only.</summary>
    public string? Text { get; init; }

    /// <summary>
    /// How streamed text (and tool arguments) is split: null splits text into words (each with its leading
    /// whitespace) and arguments into 16-character pieces; a number splits both into pieces of that many characters.
    /// </summary>
    public int? ChunkSize { get; init; }

    /// <summary>Tool calls made after the text, in order.</summary>
    public IReadOnlyList<ScriptedToolCall> ToolCalls { get; init; } = [];

    /// <summary>Reported input (prompt) tokens; null derives them from the request's text length (about 4 characters a token).</summary>
    public int? InputTokens { get; init; }

    /// <summary>Reported output (completion) tokens; null derives them from the answer's length (about 4 characters a token).</summary>
    public int? OutputTokens { get; init; }

    /// <summary>Why generation stopped; null means <see cref="ScriptedStopReason.ToolUse"/> when there are tool calls, else <see cref="ScriptedStopReason.EndTurn"/>.</summary>
    public ScriptedStopReason? StopReason { get; init; }

    /// <summary>A failure to act out instead of (or part way through) the answer.</summary>
    public ScriptedFault Fault { get; init; } = ScriptedFault.None;

    /// <summary>Overrides <see cref="ScriptedModelOptions.FirstByteLatency"/> for this turn.</summary>
    public TimeSpan? FirstByteLatency { get; init; }

    /// <summary>Overrides <see cref="ScriptedModelOptions.InterChunkLatency"/> for this turn.</summary>
    public TimeSpan? InterChunkLatency { get; init; }

    /// <summary>When set, the turn is only used for requests for this model (the body's <c>model</c>, the Azure deployment or the Bedrock model id).</summary>
    public string? Model { get; init; }

    /// <summary>
    /// When set, the turn is only used for requests in this wire format. Turns without one are used by generation
    /// requests only; a turn with <see cref="WireFormat.OpenAIEmbeddings"/> (say) lets an embeddings request fail or wait.
    /// </summary>
    public WireFormat? Format { get; init; }

    /// <summary>When set, the turn is only used for requests this returns true for.</summary>
    public Func<ReceivedRequest, bool>? Match { get; init; }

    /// <summary>A turn answering with <paramref name="text"/>.</summary>
    public static ScriptedTurn Reply(string text) => new() { Text = text };

    /// <summary>A turn answering with tool calls (and no text).</summary>
    public static ScriptedTurn Calling(params ScriptedToolCall[] toolCalls) => new() { ToolCalls = toolCalls };

    /// <summary>A turn acting out <paramref name="fault"/>.</summary>
    public static ScriptedTurn Failing(ScriptedFault fault) => new() { Fault = fault };
}
