namespace Warden.ScriptedModel;

/// <summary>A tool call the scripted model makes.</summary>
/// <param name="Id">The call id (OpenAI <c>call_...</c>, Anthropic <c>toolu_...</c>); empty lets the server make one up.</param>
/// <param name="Name">The tool (function) name.</param>
/// <param name="ArgumentsJson">The arguments as a JSON object, e.g. <c>{"path":"README.md"}</c>.</param>
public sealed record ScriptedToolCall(string Id, string Name, string ArgumentsJson);
