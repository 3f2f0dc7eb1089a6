namespace Warden.ScriptedModel.Hosting;

/// <summary>
/// Everything a wire writer needs for one answer: the turn resolved against the request (ids, model, tokens,
/// stop reason, chunking).
/// </summary>
internal sealed class TurnPlan
{
    /// <summary>A number unique within the server, used to make response ids.</summary>
    public required long Sequence { get; init; }

    /// <summary>The model echoed back.</summary>
    public required string Model { get; init; }

    /// <summary>Unix seconds for <c>created</c> fields.</summary>
    public required long Created { get; init; }

    /// <summary>The answer text; empty when there is none.</summary>
    public required string Text { get; init; }

    /// <summary>The text's stream pieces.</summary>
    public required Range[] TextChunks { get; init; }

    /// <summary>The tool calls.</summary>
    public required IReadOnlyList<PlannedToolCall> ToolCalls { get; init; }

    /// <summary>Reported input tokens.</summary>
    public required int InputTokens { get; init; }

    /// <summary>Reported output tokens.</summary>
    public required int OutputTokens { get; init; }

    /// <summary>Why generation stopped.</summary>
    public required ScriptedStopReason StopReason { get; init; }

    /// <summary>Whether OpenAI chat streaming should end with a usage chunk (<c>stream_options.include_usage</c>).</summary>
    public bool IncludeUsage { get; init; }

    /// <summary>Whether there is text to send.</summary>
    public bool HasText => Text.Length > 0;

    /// <summary>An id with a provider prefix, e.g. <c>chatcmpl-</c>.</summary>
    public string Id(string prefix) => string.Concat(prefix, "scripted", Sequence.ToString("x8", System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>An id for the <paramref name="index"/>th item of this answer.</summary>
    public string ItemId(string prefix, int index) => string.Concat(Id(prefix), "_", index.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
