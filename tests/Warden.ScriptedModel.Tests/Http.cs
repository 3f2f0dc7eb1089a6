using System.Net.Http.Headers;
using System.Text;

namespace Warden.ScriptedModel.Tests;

/// <summary>Raw HTTP helpers for wire-level tests.</summary>
internal static class Http
{
    // No draining of abandoned responses, so a disposed response closes its connection at once (as a gateway's would).
    public static HttpClient Client(ScriptedModelServer server) =>
        new(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

    public static HttpRequestMessage Post(string path, string json, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return request;
    }

    public static HttpRequestMessage OpenAI(string path, string json, string key = "test-key") =>
        Post(path, json, ("Authorization", "Bearer " + key));

    public static HttpRequestMessage Anthropic(string json, string key = "test-key") =>
        Post("/v1/messages", json, ("x-api-key", key), ("anthropic-version", "2023-06-01"));

    public static HttpRequestMessage Bedrock(string modelId, bool stream, string json)
    {
        var path = $"/model/{Uri.EscapeDataString(modelId)}/{(stream ? "invoke-with-response-stream" : "invoke")}";
        var request = Post(path, json, ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/bedrock/aws4_request, SignedHeaders=host;x-amz-date, Signature=0123456789abcdef"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(stream ? "application/vnd.amazon.eventstream" : "application/json"));
        return request;
    }

    public static async Task<(HttpResponseMessage Response, string Body)> SendAsync(HttpClient client, HttpRequestMessage request)
    {
        var response = await client.SendAsync(request);
        return (response, await response.Content.ReadAsStringAsync());
    }
}
