using System.Text.Json.Nodes;

namespace Warden.Models.Providers;

/// <summary>
/// Azure OpenAI: <c>{BaseUrl}openai/deployments/{deployment}/chat/completions?api-version=V</c> (and
/// <c>embeddings</c>) with the <c>api-key</c> header. The upstream model is the deployment name. Responses and
/// Anthropic clients are served through Chat, which every api-version supports.
/// </summary>
internal sealed class AzureOpenAIProvider : IModelProvider
{
    public const string DefaultApiVersion = "2024-10-21";

    public ProviderKind Kind => ProviderKind.AzureOpenAI;

    public WireFormat? UpstreamFormat(WireFormat clientFormat) =>
        clientFormat == WireFormat.OpenAIEmbeddings ? WireFormat.OpenAIEmbeddings : WireFormat.OpenAIChat;

    public HttpRequestMessage CreateRequest(ProviderEndpoint endpoint, WireFormat format, string upstreamModel, JsonObject body, bool stream)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(body);
        ArgumentException.ThrowIfNullOrEmpty(upstreamModel);
        var operation = format switch
        {
            WireFormat.OpenAIChat => "chat/completions",
            WireFormat.OpenAIEmbeddings => "embeddings",
            _ => throw ProviderRequests.Unsupported(Kind, format),
        };

        var version = Uri.EscapeDataString(endpoint.ApiVersion ?? DefaultApiVersion);
        var uri = ProviderRequests.Combine(
            endpoint.BaseUrl, $"openai/deployments/{Uri.EscapeDataString(upstreamModel)}/{operation}?api-version={version}");
        var bytes = ProviderRequests.Serialize(body, format == WireFormat.OpenAIEmbeddings ? null : stream);
        var request = ProviderRequests.Post(uri, bytes, stream);
        if (!string.IsNullOrEmpty(endpoint.ApiKey))
        {
            request.Headers.TryAddWithoutValidation("api-key", endpoint.ApiKey);
        }

        return request;
    }

    public bool StreamsServerSentEvents => true;

    public IAsyncEnumerable<SseEvent> ReadEventsAsync(HttpResponseMessage response, CancellationToken ct) => ProviderRequests.ReadSseAsync(response, ct);
}
