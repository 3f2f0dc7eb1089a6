namespace Warden.ScriptedModel;

/// <summary>The provider API a request was addressed to, decided by its path.</summary>
public enum WireFormat
{
    /// <summary>OpenAI <c>POST /v1/chat/completions</c>.</summary>
    OpenAIChatCompletions,

    /// <summary>OpenAI <c>POST /v1/responses</c>.</summary>
    OpenAIResponses,

    /// <summary>OpenAI <c>POST /v1/embeddings</c>.</summary>
    OpenAIEmbeddings,

    /// <summary><c>GET /v1/models</c>, answered in the OpenAI shape, or in the Anthropic shape when the request carries <c>anthropic-version</c>.</summary>
    ModelList,

    /// <summary>Azure OpenAI <c>POST /openai/deployments/{deployment}/chat/completions</c>.</summary>
    AzureOpenAIChatCompletions,

    /// <summary>Azure OpenAI <c>POST /openai/deployments/{deployment}/embeddings</c>.</summary>
    AzureOpenAIEmbeddings,

    /// <summary>Anthropic <c>POST /v1/messages</c>.</summary>
    AnthropicMessages,

    /// <summary>AWS Bedrock runtime <c>POST /model/{modelId}/invoke</c> and <c>/invoke-with-response-stream</c> (Anthropic models).</summary>
    BedrockInvoke,
}
