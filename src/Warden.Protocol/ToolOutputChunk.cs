namespace Warden.Protocol;

/// <summary>A piece of a running call's output, streamed as it is produced.</summary>
/// <param name="Stream"><c>stdout</c> or <c>stderr</c>.</param>
/// <param name="Text">The text (UTF-8 decoded).</param>
public sealed record ToolOutputChunk(string Stream, string Text);
