using System.Buffers;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Warden.Models.Providers;

/// <summary>Request and stream plumbing shared by the providers.</summary>
internal static class ProviderRequests
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private const int MaxKeptBuffer = 64 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _threadBuffer;

    [ThreadStatic]
    private static Utf8JsonWriter? _threadWriter;

    /// <summary>
    /// The body's bytes with <c>stream</c> matching <paramref name="stream"/> (and <c>stream_options</c> dropped from
    /// non-streaming requests, which OpenAI rejects) and the named properties left out; <paramref name="extra"/> is
    /// appended when the body lacks it. The body itself is not changed.
    /// </summary>
    public static byte[] Serialize(JsonObject body, bool? stream, string[]? omit = null, KeyValuePair<string, string>? extra = null)
    {
        // Each thread keeps one buffer and writer: a request body is written here and copied out once, so the only
        // allocation per request is the array that is sent.
        var buffer = _threadBuffer ??= new ArrayBufferWriter<byte>(4096);
        var writer = _threadWriter ??= new Utf8JsonWriter(buffer, WriterOptions);
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        try
        {
            writer.WriteStartObject();
            foreach (var (name, value) in body)
            {
                if (name == "stream" || (omit is not null && omit.Contains(name)) || (name == "stream_options" && stream == false))
                {
                    continue;
                }

                writer.WritePropertyName(name);
                if (value is null)
                {
                    writer.WriteNullValue();
                }
                else
                {
                    value.WriteTo(writer);
                }
            }

            if (stream == true)
            {
                writer.WriteBoolean("stream", true);
            }

            if (extra is { } e && !body.ContainsKey(e.Key))
            {
                writer.WriteString(e.Key, e.Value);
            }

            writer.WriteEndObject();
            writer.Flush();
            return buffer.WrittenSpan.ToArray();
        }
        finally
        {
            if (buffer.Capacity > MaxKeptBuffer)
            {
                // Do not keep a large prompt's buffer alive on this thread.
                _threadBuffer = null;
                _threadWriter = null;
            }
        }
    }

    /// <summary>A POST of JSON <paramref name="bytes"/> to <paramref name="uri"/>, accepting SSE when streaming.</summary>
    public static HttpRequestMessage Post(Uri uri, byte[] bytes, bool stream, string? accept = null)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = Json;
        var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = content };
        request.Headers.Accept.ParseAdd(accept ?? (stream ? "text/event-stream" : "application/json"));
        return request;
    }

    /// <summary><paramref name="relative"/> under <paramref name="baseUrl"/>, whether or not the base ends in a slash.</summary>
    public static Uri Combine(Uri baseUrl, string relative)
    {
        var text = baseUrl.AbsoluteUri;
        return new Uri(text.EndsWith('/') ? text + relative : text + "/" + relative);
    }

    /// <summary>The events of an SSE response body.</summary>
    public static async IAsyncEnumerable<SseEvent> ReadSseAsync(HttpResponseMessage response, [EnumeratorCancellation] CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(response);
        var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var reader = new SseReader(stream);
            while (await reader.ReadAsync(ct).ConfigureAwait(false) is { } e)
            {
                yield return e;
            }
        }
    }

    public static ModelRequestException Unsupported(ProviderKind kind, WireFormat format) =>
        new(ModelErrorKind.InvalidRequest, $"This model's provider ({kind}) cannot be called with {format} requests.");
}
