namespace Warden.ScriptedModel.Wire;

/// <summary>
/// An error as a provider reports it: <paramref name="Type"/> is OpenAI's <c>type</c>, Anthropic's <c>error.type</c>
/// or Bedrock's exception name; <paramref name="Param"/> and <paramref name="Code"/> are OpenAI's.
/// </summary>
internal sealed record ProviderError(int Status, string Message, string? Type, string? Param = null, string? Code = null);
