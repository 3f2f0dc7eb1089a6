namespace Warden.ScriptedModel.Wire;

/// <summary>Whose error conventions (body shape, headers, wording) a response follows.</summary>
internal enum ProviderFamily
{
    OpenAI,
    AzureOpenAI,
    Anthropic,
    Bedrock,
}
