using System.Text.Json.Nodes;

namespace Warden.Models;

/// <summary>One provider protocol: which format it is called in, how a request is built and how a stream is read.</summary>
public interface IModelProvider
{
    /// <summary>The provider this speaks to.</summary>
    ProviderKind Kind { get; }

    /// <summary>
    /// The format this provider is called with for a client request in <paramref name="clientFormat"/>: the same
    /// format when the provider speaks it, otherwise the translation target; null when unsupported (embeddings on
    /// Anthropic or Bedrock).
    /// </summary>
    WireFormat? UpstreamFormat(WireFormat clientFormat);

    /// <summary>
    /// The upstream HTTP request for <paramref name="body"/>, which is already in <paramref name="format"/> with its
    /// model set. Adds the URL, authentication and protocol headers. Azure puts <paramref name="upstreamModel"/>
    /// (the deployment) into the URL; Bedrock puts it into the URL, leaves <c>model</c> and <c>stream</c> out of the
    /// body, adds <c>anthropic_version</c> and signs the exact bytes sent with SigV4. The body is serialized, never
    /// mutated. Throws <see cref="ModelRequestException"/> when the provider cannot be called in
    /// <paramref name="format"/> and <see cref="InvalidOperationException"/> when the endpoint is misconfigured.
    /// </summary>
    HttpRequestMessage CreateRequest(ProviderEndpoint endpoint, WireFormat format, string upstreamModel, JsonObject body, bool stream);

    /// <summary>
    /// A successful streaming response as SSE events in the upstream format. Bedrock's binary event stream is
    /// decoded into Anthropic events; a malformed frame, a CRC mismatch or an exception frame throws
    /// <see cref="ModelStreamException"/>.
    /// </summary>
    IAsyncEnumerable<SseEvent> ReadEventsAsync(HttpResponseMessage response, CancellationToken ct);

    /// <summary>
    /// True when a streaming response's body is server-sent events in the upstream format, so it can be passed to a
    /// client of the same format byte for byte (<see cref="SseRelay"/>); false when it must be decoded first
    /// (Bedrock's binary event stream).
    /// </summary>
    bool StreamsServerSentEvents { get; }
}
