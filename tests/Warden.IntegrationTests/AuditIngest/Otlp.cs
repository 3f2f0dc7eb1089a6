using System.Globalization;
using System.Text;

namespace Warden.IntegrationTests.AuditIngest;

/// <summary>Builds OTLP/HTTP JSON logs bodies the way Claude Code and Codex send them.</summary>
internal static class Otlp
{
    /// <summary>One resource (<c>service.name</c>) with one scope holding <paramref name="records"/>.</summary>
    public static string Logs(string serviceName, params string[] records) =>
        $$$"""{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"{{{serviceName}}}"}}]},"scopeLogs":[{"scope":{"name":"com.example.agent"},"logRecords":[{{{string.Join(",", records)}}}]}]}]}""";

    /// <summary>A log record with an event name, a record uid, a time and optional extra attributes (JSON key/value objects).</summary>
    public static string Record(string eventName, string uid, DateTimeOffset time, params string[] attributes)
    {
        var nanos = ((time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100).ToString(CultureInfo.InvariantCulture);
        var all = new List<string> { Attr("log.record.uid", uid), Attr("session.id", "sess-1") };
        all.AddRange(attributes);
        return $$$"""{"timeUnixNano":"{{{nanos}}}","severityNumber":9,"eventName":"{{{eventName}}}","body":{"stringValue":"{{{eventName}}} happened"},"attributes":[{{{string.Join(",", all)}}}]}""";
    }

    /// <summary>A string attribute.</summary>
    public static string Attr(string key, string value) => $$$"""{"key":"{{{key}}}","value":{"stringValue":"{{{value}}}"}}""";

    /// <summary>Posts <paramref name="body"/> to <c>/v1/logs</c> with an ingestion key.</summary>
    public static async Task<HttpResponseMessage> PostAsync(TestServer server, string? key, string body, string contentType = "application/json")
    {
        using var http = server.Http(key);
        using var content = new StringContent(body, Encoding.UTF8, contentType);
        return await http.PostAsync("v1/logs", content);
    }
}
