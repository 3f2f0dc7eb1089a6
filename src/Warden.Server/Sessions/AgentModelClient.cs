using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Warden.Server.Sessions;

/// <summary>
/// The agent loop's way to its models: OpenAI Chat Completions requests to this server's own model gateway, over
/// loopback HTTP, with the session's virtual key. So every agent call takes the same path as any external tool's
/// (routing, fallbacks, the key's budget, <c>model.invoke</c> policy, prompt inspection, usage and the audit event),
/// and the provider behind the route may speak any wire format the gateway translates.
/// </summary>
public sealed class AgentModelClient : IDisposable
{
    private readonly IServer _server;
    private readonly HttpClient _http;
    private Uri? _base;

    /// <summary>Creates the client.</summary>
    public AgentModelClient(IServer server)
    {
        _server = server;
        _http = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            MaxConnectionsPerServer = 256,
        })
        { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("warden-agent/1.0");
    }

    /// <summary>One model answer.</summary>
    /// <param name="Message">The assistant message (role, content, tool_calls) as the model sent it.</param>
    /// <param name="FinishReason">Why the model stopped.</param>
    /// <param name="InputTokens">Prompt tokens.</param>
    /// <param name="OutputTokens">Completion tokens.</param>
    /// <param name="CostMicros">The call's cost as the gateway priced it (0 when the model has no price).</param>
    /// <param name="CallId">The gateway's call id (its usage row and audit event).</param>
    /// <param name="Model">The model that answered.</param>
    public sealed record Turn(JsonObject Message, string? FinishReason, long InputTokens, long OutputTokens, long CostMicros, string? CallId, string? Model);

    /// <summary>
    /// Asks the model for the next step of <paramref name="conversation"/> (and <paramref name="followUp"/>, a message sent
    /// this once), offering <paramref name="tools"/> (a serialized JSON array; empty for none); retries rate limits and
    /// gateway errors a few times.
    /// </summary>
    /// <exception cref="AgentModelException">The gateway refused or every attempt failed.</exception>
    internal async Task<Turn> CompleteAsync(string key, string route, AgentConversation conversation, JsonObject? followUp, ReadOnlyMemory<byte> tools, CancellationToken cancellationToken)
    {
        var bytes = conversation.ChatRequest(route, followUp, tools);
        for (var attempt = 1; ; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(BaseAddress, "v1/chat/completions")) { Content = new ReadOnlyMemoryContent(bytes) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var callId = response.Headers.TryGetValues("x-warden-call-id", out var ids) ? ids.FirstOrDefault() : null;
            if (response.IsSuccessStatusCode)
            {
                return Parse(text, response, callId);
            }

            var (message, code) = ErrorOf(text);
            var budget = code == "insufficient_quota";
            var retryable = !budget && (response.StatusCode == HttpStatusCode.TooManyRequests || (int)response.StatusCode >= 500);
            if (!retryable || attempt >= 3)
            {
                throw new AgentModelException((int)response.StatusCode, budget, $"The model gateway answered {(int)response.StatusCode}: {message}", callId);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500 * attempt), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();

    private Uri BaseAddress
    {
        get
        {
            if (_base is null)
            {
                var address = _server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
                    ?? throw new InvalidOperationException("The server is not listening yet.");
                _base = new Uri(address.Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal).Replace("[::]", "[::1]", StringComparison.Ordinal)
                    .Replace("://+", "://127.0.0.1", StringComparison.Ordinal).Replace("://*", "://127.0.0.1", StringComparison.Ordinal).TrimEnd('/') + "/");
            }

            return _base;
        }
    }

    private static Turn Parse(string text, HttpResponseMessage response, string? callId)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(text) as JsonObject ?? throw new JsonException("not an object");
        }
        catch (JsonException e)
        {
            throw new AgentModelException(502, false, $"The model's answer is not valid JSON: {e.Message}", callId);
        }

        var choice = root["choices"] is JsonArray { Count: > 0 } choices ? choices[0] as JsonObject : null;
        var message = choice?["message"] as JsonObject ?? throw new AgentModelException(502, false, "The model's answer has no message.", callId);
        var usage = root["usage"] as JsonObject;
        long Num(string name) => usage?[name] is JsonValue v && v.TryGetValue<long>(out var n) ? n : 0;
        var cost = response.Headers.TryGetValues("x-warden-cost-micros", out var values) &&
                   long.TryParse(values.FirstOrDefault(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var micros) ? micros : 0;
        var clean = new JsonObject { ["role"] = "assistant", ["content"] = message["content"]?.DeepClone() };
        if (message["tool_calls"] is JsonArray { Count: > 0 } calls)
        {
            clean["tool_calls"] = calls.DeepClone();
        }

        return new Turn(clean, choice?["finish_reason"]?.GetValue<string>(), Num("prompt_tokens"), Num("completion_tokens"), cost, callId, root["model"]?.GetValue<string>());
    }

    private static (string Message, string? Code) ErrorOf(string text)
    {
        try
        {
            if (JsonNode.Parse(text) is JsonObject o && o["error"] is JsonObject e)
            {
                return (e["message"]?.GetValue<string>() ?? text, e["code"]?.GetValue<string>() ?? e["type"]?.GetValue<string>());
            }
        }
        catch (JsonException)
        {
            // Not JSON: the text itself is the message.
        }

        return (text.Length > 500 ? text[..500] : text, null);
    }
}

/// <summary>A model call that failed for good.</summary>
public sealed class AgentModelException : Exception
{
    /// <summary>Creates the exception.</summary>
    public AgentModelException(int status, bool budgetExhausted, string message, string? callId) : base(message)
    {
        Status = status;
        BudgetExhausted = budgetExhausted;
        CallId = callId;
    }

    /// <summary>Creates the exception.</summary>
    public AgentModelException() : base("The model call failed.")
    {
    }

    /// <summary>Creates the exception.</summary>
    public AgentModelException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public AgentModelException(string message, Exception inner) : base(message, inner)
    {
    }

    /// <summary>The gateway's HTTP status.</summary>
    public int Status { get; }

    /// <summary>True when the session key's budget is spent.</summary>
    public bool BudgetExhausted { get; }

    /// <summary>The gateway's call id.</summary>
    public string? CallId { get; }
}
