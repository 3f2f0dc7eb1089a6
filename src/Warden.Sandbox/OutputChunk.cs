namespace Warden.Sandbox;

/// <summary>A piece of a command's output as it arrived, decoded as UTF-8 (a character split across reads is kept whole).</summary>
/// <param name="Stream">The stream it came from.</param>
/// <param name="Text">The text.</param>
public readonly record struct OutputChunk(OutputStreamKind Stream, string Text);
