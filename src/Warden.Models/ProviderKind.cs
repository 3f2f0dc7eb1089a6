namespace Warden.Models;

/// <summary>The kinds of upstream model provider the gateway can call.</summary>
public enum ProviderKind
{
    /// <summary>A server that speaks the OpenAI API (vLLM, Ollama, LM Studio, ...): Chat Completions and Embeddings.</summary>
    OpenAICompatible,

    /// <summary>OpenAI itself: Chat Completions, Responses and Embeddings.</summary>
    OpenAI,

    /// <summary>Azure OpenAI: deployments addressed in the URL, <c>api-key</c> header, <c>api-version</c> query.</summary>
    AzureOpenAI,

    /// <summary>Anthropic's Messages API.</summary>
    Anthropic,

    /// <summary>Anthropic models on Amazon Bedrock (InvokeModel with SigV4).</summary>
    Bedrock,
}
