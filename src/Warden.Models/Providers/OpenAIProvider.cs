using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace Warden.Models.Providers;

/// <summary>
/// OpenAI and OpenAI-compatible servers: <c>{BaseUrl}chat/completions</c>, <c>responses</c> (OpenAI only) and
/// <c>embeddings</c>, with a bearer token. Anthropic clients are served through Chat; on compatible servers
/// Responses clients are too, since few of them implement the Responses API.
/// </summary>
internal sealed class OpenAIProvider(ProviderKind kind) : IModelProvider
{
    public ProviderKind Kind { get; } = kind;

    public WireFormat? UpstreamFormat(WireFormat clientFormat) => clientFormat switch
    {
        WireFormat.OpenAIResponses when Kind == ProviderKind.OpenAI => WireFormat.OpenAIResponses,
        WireFormat.OpenAIEmbeddings => WireFormat.OpenAIEmbeddings,
        _ => WireFormat.OpenAIChat,
    };

    public HttpRequestMessage CreateRequest(ProviderEndpoint endpoint, WireFormat format, string upstreamModel, JsonObject body, bool stream)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(body);
        var path = format switch
        {
            WireFormat.OpenAIChat => "chat/completions",
            WireFormat.OpenAIResponses when Kind == ProviderKind.OpenAI => "responses",
            WireFormat.OpenAIEmbeddings => "embeddings",
            _ => throw ProviderRequests.Unsupported(Kind, format),
        };

        var bytes = ProviderRequests.Serialize(body, format == WireFormat.OpenAIEmbeddings ? null : stream);
        var request = ProviderRequests.Post(ProviderRequests.Combine(endpoint.BaseUrl, path), bytes, stream);
        if (!string.IsNullOrEmpty(endpoint.ApiKey))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", endpoint.ApiKey);
        }

        return request;
    }

    public bool StreamsServerSentEvents => true;

    public IAsyncEnumerable<SseEvent> ReadEventsAsync(HttpResponseMessage response, CancellationToken ct) => ProviderRequests.ReadSseAsync(response, ct);
}
