using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Warden.Models.Aws;

namespace Warden.Models.Providers;

/// <summary>
/// Anthropic models on Amazon Bedrock through InvokeModel: <c>POST {BaseUrl}model/{modelId}/invoke</c> (or
/// <c>invoke-with-response-stream</c>) with the Anthropic body less <c>model</c> and <c>stream</c> plus
/// <c>anthropic_version: bedrock-2023-05-31</c>, signed with SigV4 (service <c>bedrock</c>). Streams arrive as AWS
/// event-stream frames whose <c>chunk</c> payloads hold base64 Anthropic events.
/// </summary>
internal sealed class BedrockProvider(TimeProvider time) : IModelProvider
{
    public const string AnthropicVersion = "bedrock-2023-05-31";
    private const string Service = "bedrock";
    private static readonly string[] Omitted = ["model", "stream", "stream_options"];

    public BedrockProvider()
        : this(TimeProvider.System)
    {
    }

    public ProviderKind Kind => ProviderKind.Bedrock;

    public WireFormat? UpstreamFormat(WireFormat clientFormat) =>
        clientFormat == WireFormat.OpenAIEmbeddings ? null : WireFormat.AnthropicMessages;

    public HttpRequestMessage CreateRequest(ProviderEndpoint endpoint, WireFormat format, string upstreamModel, JsonObject body, bool stream)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(body);
        ArgumentException.ThrowIfNullOrEmpty(upstreamModel);
        if (format != WireFormat.AnthropicMessages)
        {
            throw ProviderRequests.Unsupported(Kind, format);
        }

        var credentials = AwsCredentials.Parse(endpoint.ApiKey);
        var region = endpoint.Region ?? RegionFromHost(endpoint.BaseUrl.Host)
            ?? throw new InvalidOperationException("Set the Bedrock endpoint's region: it cannot be read from the host name.");
        var operation = stream ? "invoke-with-response-stream" : "invoke";
        var uri = ProviderRequests.Combine(endpoint.BaseUrl, $"model/{Uri.EscapeDataString(upstreamModel)}/{operation}");
        var bytes = ProviderRequests.Serialize(body, stream: null, Omitted, new KeyValuePair<string, string>("anthropic_version", AnthropicVersion));
        var request = ProviderRequests.Post(uri, bytes, stream, stream ? "application/vnd.amazon.eventstream" : "application/json");

        var now = time.GetUtcNow();
        var payloadHash = SigV4Signer.HashHex(bytes);
        var signed = new List<KeyValuePair<string, string>>
        {
            new("host", uri.IsDefaultPort ? uri.Host : uri.Authority),
            new("x-amz-content-sha256", payloadHash),
            new("x-amz-date", SigV4Signer.AmzDate(now)),
        };
        if (credentials.SessionToken is { } token)
        {
            signed.Add(new("x-amz-security-token", token));
        }

        foreach (var (name, value) in signed.Skip(1))
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        request.Headers.TryAddWithoutValidation(
            "Authorization", SigV4Signer.Authorization("POST", uri, signed, payloadHash, credentials, region, Service, now));
        return request;
    }

    public bool StreamsServerSentEvents => false;

    public async IAsyncEnumerable<SseEvent> ReadEventsAsync(HttpResponseMessage response, [EnumeratorCancellation] CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(response);
        var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var reader = new EventStreamReader(stream);
            while (await reader.ReadAsync(ct).ConfigureAwait(false) is { } message)
            {
                if (ToEvent(message) is { } e)
                {
                    yield return e;
                }
            }
        }
    }

    /// <summary>The Anthropic event inside a <c>chunk</c> message; null for other events; throws for exception and error messages.</summary>
    internal static SseEvent? ToEvent(EventStreamMessage message)
    {
        switch (message.Header(":message-type"))
        {
            case "event":
                if (message.Header(":event-type") != "chunk")
                {
                    return null;
                }

                string json;
                try
                {
                    using var payload = JsonDocument.Parse(message.Payload);
                    var bytes = payload.RootElement.GetProperty("bytes").GetBytesFromBase64();
                    json = Encoding.UTF8.GetString(bytes);
                }
                catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
                {
                    throw new ModelStreamException("The model provider's event stream has a chunk that is not a base64 JSON event.", e);
                }

                string? type;
                try
                {
                    using var inner = JsonDocument.Parse(json);
                    type = inner.RootElement.ValueKind == JsonValueKind.Object && inner.RootElement.TryGetProperty("type", out var t) ? t.GetString() : null;
                }
                catch (JsonException e)
                {
                    throw new ModelStreamException("The model provider's event stream has a chunk that is not JSON.", e);
                }

                return new SseEvent(type, json);
            case "exception":
                var exceptionType = message.Header(":exception-type") ?? "exception";
                throw new ModelStreamException(ExceptionMessage(message.Payload) ?? $"The model provider reported {exceptionType}.", exceptionType);
            case "error":
                var code = message.Header(":error-code") ?? "error";
                throw new ModelStreamException(message.Header(":error-message") ?? $"The model provider reported {code}.", code);
            default:
                return null;
        }
    }

    /// <summary>The region in <c>bedrock-runtime.REGION.amazonaws.com</c> (or the <c>-fips</c> form).</summary>
    internal static string? RegionFromHost(string host)
    {
        var parts = host.Split('.');
        return parts.Length >= 4 && parts[0].StartsWith("bedrock", StringComparison.Ordinal) && parts[^2] == "amazonaws" ? parts[1] : null;
    }

    private static string? ExceptionMessage(byte[] payload)
    {
        try
        {
            using var document = JsonDocument.Parse(payload);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                foreach (var name in (string[])["message", "Message"])
                {
                    if (root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String)
                    {
                        return value.GetString();
                    }
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON: fall back to the exception type.
        }

        return null;
    }
}
