using System.Net.Http.Headers;
using System.Text.Json;
using Warden.Audit;
using Warden.Audit.Interop;

namespace Warden.Server.Audit;

/// <summary>
/// Posts batches to an OTLP/HTTP logs endpoint as JSON (<see cref="OtlpLogsExporter"/>). A 2xx answer accepts the batch;
/// a <c>partialSuccess</c> with rejected records is reported through <paramref name="onPartial"/> and not retried,
/// as the OTLP specification requires; anything else (including a refused connection) fails the batch for a retry.
/// </summary>
public sealed class OtlpHttpSink(AuditExporterOptions options, Action<string, long, string?>? onPartial = null) : IAuditSink
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = TimeSpan.FromSeconds(30) };
    private readonly Uri _endpoint = new(options.Endpoint!);

    /// <inheritdoc />
    public string Name => options.Name;

    /// <inheritdoc />
    public async Task SendAsync(IReadOnlyList<AuditEvent> events, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _endpoint)
        {
            Content = new ByteArrayContent(OtlpLogsExporter.Serialize(events, options.ServiceName)),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        foreach (var (name, value) in options.Headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"The OTLP endpoint answered {(int)response.StatusCode} {response.ReasonPhrase}.", null, response.StatusCode);
        }

        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (body.Length == 0 || onPartial is null)
        {
            return;
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("partialSuccess", out var partial)
                && partial.ValueKind == JsonValueKind.Object
                && partial.TryGetProperty("rejectedLogRecords", out var rejected))
            {
                var count = rejected.ValueKind == JsonValueKind.String ? long.Parse(rejected.GetString()!, System.Globalization.CultureInfo.InvariantCulture) : rejected.GetInt64();
                if (count > 0)
                {
                    onPartial(Name, count, partial.TryGetProperty("errorMessage", out var message) ? message.GetString() : null);
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or OverflowException)
        {
            // A 2xx with a body we cannot read still means accepted.
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }
}
