using System.Text.Json.Nodes;

namespace Warden.Models.Providers;

/// <summary>Anthropic's Messages API: <c>{BaseUrl}v1/messages</c> with <c>x-api-key</c> and <c>anthropic-version</c>.</summary>
internal sealed class AnthropicProvider : IModelProvider
{
    public const string DefaultApiVersion = "2023-06-01";

    public ProviderKind Kind => ProviderKind.Anthropic;

    public WireFormat? UpstreamFormat(WireFormat clientFormat) =>
        clientFormat == WireFormat.OpenAIEmbeddings ? null : WireFormat.AnthropicMessages;

    public HttpRequestMessage CreateRequest(ProviderEndpoint endpoint, WireFormat format, string upstreamModel, JsonObject body, bool stream)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(body);
        if (format != WireFormat.AnthropicMessages)
        {
            throw ProviderRequests.Unsupported(Kind, format);
        }

        var request = ProviderRequests.Post(
            ProviderRequests.Combine(endpoint.BaseUrl, "v1/messages"), ProviderRequests.Serialize(body, stream), stream);
        if (!string.IsNullOrEmpty(endpoint.ApiKey))
        {
            request.Headers.TryAddWithoutValidation("x-api-key", endpoint.ApiKey);
        }

        request.Headers.TryAddWithoutValidation("anthropic-version", endpoint.ApiVersion ?? DefaultApiVersion);
        return request;
    }

    public bool StreamsServerSentEvents => true;

    public IAsyncEnumerable<SseEvent> ReadEventsAsync(HttpResponseMessage response, CancellationToken ct) => ProviderRequests.ReadSseAsync(response, ct);
}
