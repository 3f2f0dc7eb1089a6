namespace Warden.Models;

/// <summary>The request and response shapes the gateway speaks to clients and providers.</summary>
public enum WireFormat
{
    /// <summary>OpenAI Chat Completions (<c>/v1/chat/completions</c>).</summary>
    OpenAIChat,

    /// <summary>OpenAI Responses (<c>/v1/responses</c>).</summary>
    OpenAIResponses,

    /// <summary>OpenAI Embeddings (<c>/v1/embeddings</c>).</summary>
    OpenAIEmbeddings,

    /// <summary>Anthropic Messages (<c>/v1/messages</c>).</summary>
    AnthropicMessages,
}
