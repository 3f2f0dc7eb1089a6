using Warden.Models.Providers;

namespace Warden.Models;

/// <summary>The provider implementations, one stateless instance per kind.</summary>
public static class ModelProviders
{
    private static readonly IModelProvider OpenAICompatible = new OpenAIProvider(ProviderKind.OpenAICompatible);
    private static readonly IModelProvider OpenAI = new OpenAIProvider(ProviderKind.OpenAI);
    private static readonly IModelProvider Azure = new AzureOpenAIProvider();
    private static readonly IModelProvider Anthropic = new AnthropicProvider();
    private static readonly IModelProvider Bedrock = new BedrockProvider();

    /// <summary>The provider for <paramref name="kind"/>.</summary>
    public static IModelProvider For(ProviderKind kind) => kind switch
    {
        ProviderKind.OpenAICompatible => OpenAICompatible,
        ProviderKind.OpenAI => OpenAI,
        ProviderKind.AzureOpenAI => Azure,
        ProviderKind.Anthropic => Anthropic,
        ProviderKind.Bedrock => Bedrock,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown provider kind."),
    };
}
