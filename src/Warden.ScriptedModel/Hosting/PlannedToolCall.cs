namespace Warden.ScriptedModel.Hosting;

/// <summary>A tool call ready to be written: its id settled and its arguments split for streaming.</summary>
internal sealed record PlannedToolCall(string Id, string Name, string Arguments, Range[] ArgumentChunks);
