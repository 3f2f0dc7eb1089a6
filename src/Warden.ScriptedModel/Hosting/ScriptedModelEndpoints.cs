using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Warden.ScriptedModel.Streaming;
using Warden.ScriptedModel.Wire;

namespace Warden.ScriptedModel.Hosting;

/// <summary>
/// The HTTP side: routes each provider path to one handler that reads the body, records the request, checks the key
/// and the body like the provider would, picks a turn and answers in the provider's wire format.
/// </summary>
internal sealed class ScriptedModelEndpoints(ScriptedModelOptions options, ScriptState state, CancellationToken stopping)
{
    private static readonly byte[] GarbageJson = "this is not JSON: <html><body>scripted garbage</body></html>"u8.ToArray();
    private static readonly byte[] GarbageEvent = "data: {\"this is\": not json\n\n"u8.ToArray();
    private static readonly byte[] GarbageEventStream = "\0\0\0\u0010garbage, not an event stream"u8.ToArray();

    /// <summary>Maps every provider route.</summary>
    public void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/chat/completions", ctx => HandleAsync(ctx, WireFormat.OpenAIChatCompletions));
        app.MapPost("/v1/responses", ctx => HandleAsync(ctx, WireFormat.OpenAIResponses));
        app.MapPost("/v1/embeddings", ctx => HandleAsync(ctx, WireFormat.OpenAIEmbeddings));
        app.MapGet("/v1/models", ctx => HandleAsync(ctx, WireFormat.ModelList));
        app.MapPost("/openai/deployments/{deployment}/chat/completions", ctx => HandleAsync(ctx, WireFormat.AzureOpenAIChatCompletions));
        app.MapPost("/openai/deployments/{deployment}/embeddings", ctx => HandleAsync(ctx, WireFormat.AzureOpenAIEmbeddings));
        app.MapPost("/v1/messages", ctx => HandleAsync(ctx, WireFormat.AnthropicMessages));
        app.MapPost("/model/{modelId}/invoke", ctx => HandleAsync(ctx, WireFormat.BedrockInvoke));
        app.MapPost("/model/{modelId}/invoke-with-response-stream", ctx => HandleAsync(ctx, WireFormat.BedrockInvoke, bedrockStream: true));
        app.MapFallback(NotFoundAsync);
    }

    private static bool IsGeneration(WireFormat format) => format is WireFormat.OpenAIChatCompletions or WireFormat.OpenAIResponses
        or WireFormat.AzureOpenAIChatCompletions or WireFormat.AnthropicMessages or WireFormat.BedrockInvoke;

    private static ProviderFamily FamilyOf(WireFormat format, HttpRequest request) => format switch
    {
        WireFormat.AnthropicMessages => ProviderFamily.Anthropic,
        WireFormat.BedrockInvoke => ProviderFamily.Bedrock,
        WireFormat.AzureOpenAIChatCompletions or WireFormat.AzureOpenAIEmbeddings => ProviderFamily.AzureOpenAI,
        WireFormat.ModelList when request.Headers.ContainsKey("anthropic-version") => ProviderFamily.Anthropic,
        _ => ProviderFamily.OpenAI,
    };

    private static Task NotFoundAsync(HttpContext context) => ProviderErrors.WriteAsync(context, ProviderFamily.OpenAI,
        new ProviderError(404, $"Invalid URL ({context.Request.Method} {context.Request.Path})", "invalid_request_error"));

    private async Task HandleAsync(HttpContext context, WireFormat format, bool bedrockStream = false)
    {
        var request = context.Request;
        var family = FamilyOf(format, request);
        using var stopRegistration = stopping.Register(static c => ((HttpContext)c!).Abort(), context);

        var (buffer, length) = await ReadBodyAsync(request, options.MaxRequestBodyBytes, context.RequestAborted).ConfigureAwait(false);
        JsonDocument? document = null;
        try
        {
            var invalidJson = false;
            if (buffer is not null && length > 0)
            {
                try
                {
                    document = JsonDocument.Parse(buffer.AsMemory(0, length));
                }
                catch (JsonException)
                {
                    invalidJson = true;
                }
            }

            var root = document?.RootElement ?? default;
            var isObject = root.ValueKind == JsonValueKind.Object;
            var model = format switch
            {
                WireFormat.AzureOpenAIChatCompletions or WireFormat.AzureOpenAIEmbeddings => request.RouteValues["deployment"] as string,
                WireFormat.BedrockInvoke => request.RouteValues["modelId"] is string id ? Uri.UnescapeDataString(id) : null,
                _ => isObject && root.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null,
            };
            var stream = format == WireFormat.BedrockInvoke
                ? bedrockStream
                : isObject && root.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.True;

            ReceivedRequest? received = null;
            ReceivedRequest Received() => received ??= Describe(context, buffer, length, model, format, stream);
            if (options.RecordRequests)
            {
                Received();
            }

            state.Record(received);

            if (buffer is null)
            {
                await ProviderErrors.WriteAsync(context, family, ProviderErrors.ForStatus(family, 413)).ConfigureAwait(false);
                return;
            }

            var refusal = CheckKey(request, family) ?? CheckBody(request, format, family, root, invalidJson);
            if (refusal is null && options.RejectUnknownModels && format != WireFormat.ModelList && model is not null && !options.Models.Contains(model))
            {
                refusal = family == ProviderFamily.OpenAI || family == ProviderFamily.AzureOpenAI
                    ? ProviderErrors.OpenAIUnknownModel(model)
                    : ProviderErrors.ForStatus(family, 404, family == ProviderFamily.Anthropic ? $"model: {model}" : null);
            }

            if (refusal is not null)
            {
                await ProviderErrors.WriteAsync(context, family, refusal).ConfigureAwait(false);
                return;
            }

            var generation = IsGeneration(format);
            var turn = state.Take(format, generation, model, Received) ?? (generation ? options.DefaultTurn : null);
            using var active = state.Begin(stream);
            await AnswerAsync(context, format, family, turn, model, stream, root).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException && context.RequestAborted.IsCancellationRequested)
        {
            // The client went away (or the server is stopping); there is no one left to answer.
        }
        finally
        {
            document?.Dispose();
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private async Task AnswerAsync(HttpContext context, WireFormat format, ProviderFamily family, ScriptedTurn? turn, string? model, bool stream, JsonElement root)
    {
        var fault = turn?.Fault ?? ScriptedFault.None;
        var started = Stopwatch.GetTimestamp();
        var firstByte = turn?.FirstByteLatency ?? options.FirstByteLatency;
        var interChunk = turn?.InterChunkLatency ?? options.InterChunkLatency;

        if (fault.Kind == ScriptedFaultKind.Hang)
        {
            // Waits for the client to give up; stopping the server aborts the request, which ends this too.
            await Task.Delay(Timeout.InfiniteTimeSpan, options.Time, context.RequestAborted).ConfigureAwait(false);
            return;
        }

        if (firstByte > TimeSpan.Zero)
        {
            await Task.Delay(firstByte, options.Time, context.RequestAborted).ConfigureAwait(false);
        }

        switch (fault.Kind)
        {
            case ScriptedFaultKind.ResetConnection:
                context.Abort();
                return;
            case ScriptedFaultKind.Status:
                await ProviderErrors.WriteAsync(context, family, ProviderErrors.ForStatus(family, fault.StatusCode, fault.Message), fault.RetryAfter).ConfigureAwait(false);
                return;
            case ScriptedFaultKind.Garbage:
                await WriteGarbageAsync(context, format, stream).ConfigureAwait(false);
                return;
        }

        int? cutAfter = fault.Kind == ScriptedFaultKind.StreamCut ? fault.Chunks : null;
        var response = context.Response;
        switch (format)
        {
            case WireFormat.ModelList:
                await WriteJsonAsync(context, cutAfter, family == ProviderFamily.Anthropic
                    ? w => ModelListWire.WriteAnthropic(w, options.Models)
                    : w => ModelListWire.WriteOpenAI(w, options.Models)).ConfigureAwait(false);
                return;
            case WireFormat.OpenAIEmbeddings or WireFormat.AzureOpenAIEmbeddings:
                var inputs = EmbeddingsWire.ReadInputs(root)!;
                var dimensions = root.TryGetProperty("dimensions", out var d) && d.TryGetInt32(out var n) ? n : EmbeddingsWire.DefaultDimensions(model);
                var base64 = root.TryGetProperty("encoding_format", out var f) && f.ValueEquals("base64");
                await WriteJsonAsync(context, cutAfter, w => EmbeddingsWire.Write(w, model ?? "text-embedding-3-small", inputs, dimensions, base64)).ConfigureAwait(false);
                return;
        }

        var plan = Plan(turn, format, model, root);
        if (!stream)
        {
            if (format == WireFormat.BedrockInvoke)
            {
                response.Headers["X-Amzn-Bedrock-Input-Token-Count"] = plan.InputTokens.ToString(CultureInfo.InvariantCulture);
                response.Headers["X-Amzn-Bedrock-Output-Token-Count"] = plan.OutputTokens.ToString(CultureInfo.InvariantCulture);
                response.Headers["X-Amzn-Bedrock-Invocation-Latency"] = ElapsedMs(started).ToString(CultureInfo.InvariantCulture);
            }

            await WriteJsonAsync(context, cutAfter, format switch
            {
                WireFormat.OpenAIResponses => w => OpenAIResponsesWire.WriteResponse(w, plan),
                WireFormat.AnthropicMessages or WireFormat.BedrockInvoke => w => AnthropicWire.WriteMessage(w, plan),
                _ => w => OpenAIChatWire.WriteCompletion(w, plan),
            }).ConfigureAwait(false);
            return;
        }

        response.StatusCode = 200;
        response.Headers.CacheControl = "no-cache";
        if (format == WireFormat.BedrockInvoke)
        {
            response.ContentType = "application/vnd.amazon.eventstream";
            response.Headers["X-Amzn-Bedrock-Content-Type"] = "application/json";
            var frames = new EventStreamEventSink(context, interChunk, cutAfter, options.Time);
            var firstByteMs = ElapsedMs(started);
            await AnthropicWire.WriteStreamAsync(frames, plan, (firstByteMs, () => ElapsedMs(started))).ConfigureAwait(false);
            return;
        }

        response.ContentType = "text/event-stream; charset=utf-8";
        var sink = new SseEventSink(context, interChunk, cutAfter, options.Time);
        await (format switch
        {
            WireFormat.OpenAIResponses => OpenAIResponsesWire.WriteStreamAsync(sink, plan),
            WireFormat.AnthropicMessages => AnthropicWire.WriteStreamAsync(sink, plan, null),
            _ => OpenAIChatWire.WriteStreamAsync(sink, plan),
        }).ConfigureAwait(false);
    }

    private TurnPlan Plan(ScriptedTurn? turn, WireFormat format, string? model, JsonElement root)
    {
        var anthropic = format is WireFormat.AnthropicMessages or WireFormat.BedrockInvoke;
        var sequence = state.NextSequence();
        var toolCalls = turn?.ToolCalls ?? [];

        // A turn with neither text nor tool calls (say, one that only sets latency) answers with the echo.
        var text = turn?.Text is { Length: > 0 } scripted ? scripted
            : toolCalls.Count > 0 ? string.Empty
            : RequestText.Echo(RequestText.LastUserText(root, format));

        var planned = new PlannedToolCall[toolCalls.Count];
        var outputCharacters = text.Length;
        for (var i = 0; i < planned.Length; i++)
        {
            var call = toolCalls[i];
            var arguments = string.IsNullOrWhiteSpace(call.ArgumentsJson) ? "{}" : call.ArgumentsJson;
            var id = !string.IsNullOrEmpty(call.Id) ? call.Id
                : string.Concat(anthropic ? "toolu_scripted" : "call_scripted", sequence.ToString("x8", CultureInfo.InvariantCulture), "_", i.ToString(CultureInfo.InvariantCulture));
            planned[i] = new PlannedToolCall(id, call.Name, arguments, TextChunks.BySize(arguments, turn?.ChunkSize ?? 16));
            outputCharacters += call.Name.Length + arguments.Length;
        }

        return new TurnPlan
        {
            Sequence = sequence,
            Model = model ?? "scripted-model",
            Created = options.Time.GetUtcNow().ToUnixTimeSeconds(),
            Text = text,
            TextChunks = turn?.ChunkSize is { } size ? TextChunks.BySize(text, size) : TextChunks.ByWords(text),
            ToolCalls = planned,
            InputTokens = turn?.InputTokens ?? Math.Max(1, (RequestText.PromptCharacters(root) + 3) / 4),
            OutputTokens = turn?.OutputTokens ?? Math.Max(1, (outputCharacters + 3) / 4),
            StopReason = turn?.StopReason ?? (planned.Length > 0 ? ScriptedStopReason.ToolUse : ScriptedStopReason.EndTurn),
            IncludeUsage = root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("stream_options", out var so) && so.ValueKind == JsonValueKind.Object
                && so.TryGetProperty("include_usage", out var iu) && iu.ValueKind == JsonValueKind.True,
        };
    }

    private ProviderError? CheckKey(HttpRequest request, ProviderFamily family)
    {
        var headers = request.Headers;
        var authorization = headers.Authorization.ToString();
        var bearer = authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization[7..].Trim() : null;
        var key = options.RequiredApiKey;

        if (family == ProviderFamily.Bedrock)
        {
            // Bedrock wants a SigV4-signed request (the signature is not verified), or a Bedrock API key as a bearer token.
            var signed = authorization.StartsWith("AWS4-HMAC-SHA256 ", StringComparison.Ordinal);
            return signed || (key is not null && bearer == key)
                ? null
                : new ProviderError(403, "Missing Authentication Token", "MissingAuthenticationTokenException");
        }

        if (key is null)
        {
            return null;
        }

        switch (family)
        {
            case ProviderFamily.Anthropic:
                var apiKey = headers["x-api-key"].ToString();
                if (apiKey.Length == 0 && bearer is null)
                {
                    return ProviderErrors.ForStatus(family, 401, "x-api-key header is required");
                }

                return apiKey == key || bearer == key ? null : ProviderErrors.ForStatus(family, 401);
            case ProviderFamily.AzureOpenAI:
                return headers["api-key"].ToString() == key || bearer == key ? null : ProviderErrors.AzureAccessDenied();
            default:
                if (string.IsNullOrEmpty(bearer))
                {
                    return ProviderErrors.OpenAIMissingKey();
                }

                return bearer == key ? null : ProviderErrors.OpenAIWrongKey(bearer);
        }
    }

    private static ProviderError? CheckBody(HttpRequest request, WireFormat format, ProviderFamily family, JsonElement root, bool invalidJson)
    {
        if (format == WireFormat.ModelList)
        {
            return null;
        }

        var isObject = root.ValueKind == JsonValueKind.Object;
        bool Has(string name) => isObject && root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null;

        switch (family)
        {
            case ProviderFamily.Anthropic:
                if (!request.Headers.ContainsKey("anthropic-version"))
                {
                    return ProviderErrors.ForStatus(family, 400, "anthropic-version: header is required");
                }

                if (!isObject)
                {
                    return ProviderErrors.ForStatus(family, 400, "There was an error parsing the body: the request body is not a valid JSON object");
                }

                foreach (var field in (ReadOnlySpan<string>)["model", "messages", "max_tokens"])
                {
                    if (!Has(field))
                    {
                        return ProviderErrors.ForStatus(family, 400, field + ": Field required");
                    }
                }

                return null;

            case ProviderFamily.Bedrock:
                if (!isObject)
                {
                    return ProviderErrors.ForStatus(family, 400, "Malformed input request, please reformat your input and try again.");
                }

                foreach (var extraneous in (ReadOnlySpan<string>)["model", "stream"])
                {
                    if (root.TryGetProperty(extraneous, out _))
                    {
                        return ProviderErrors.ForStatus(family, 400, $"Malformed input request: #: extraneous key [{extraneous}] is not permitted, please reformat your input and try again.");
                    }
                }

                foreach (var required in (ReadOnlySpan<string>)["anthropic_version", "max_tokens", "messages"])
                {
                    if (!Has(required))
                    {
                        return ProviderErrors.ForStatus(family, 400, $"Malformed input request: #: required key [{required}] not found, please reformat your input and try again.");
                    }
                }

                return null;

            default:
                if (family == ProviderFamily.AzureOpenAI && !request.Query.ContainsKey("api-version"))
                {
                    return new ProviderError(404, "Resource not found", null);
                }

                if (invalidJson || !isObject)
                {
                    return ProviderErrors.OpenAIInvalidJson();
                }

                // Azure takes the model from the deployment in the path.
                if (family == ProviderFamily.OpenAI && !Has("model"))
                {
                    return ProviderErrors.OpenAIMissingParameter("model");
                }

                if (format is WireFormat.OpenAIChatCompletions or WireFormat.AzureOpenAIChatCompletions && !Has("messages"))
                {
                    return ProviderErrors.OpenAIMissingParameter("messages");
                }

                if (format is WireFormat.OpenAIEmbeddings or WireFormat.AzureOpenAIEmbeddings)
                {
                    if (EmbeddingsWire.ReadInputs(root) is null)
                    {
                        return ProviderErrors.OpenAIMissingParameter("input");
                    }

                    if (root.TryGetProperty("dimensions", out var d) && (!d.TryGetInt32(out var n) || n < 1 || n > 3072))
                    {
                        return new ProviderError(400, "Invalid value for 'dimensions': must be an integer between 1 and 3072.", "invalid_request_error", "dimensions", "invalid_value");
                    }
                }

                return null;
        }
    }

    private static async Task WriteJsonAsync(HttpContext context, int? cutAfter, Action<Utf8JsonWriter> write)
    {
        var response = context.Response;
        response.StatusCode = 200;
        response.ContentType = "application/json";
        if (cutAfter is null)
        {
            using (var w = new Utf8JsonWriter(response.BodyWriter, JsonWriting.Options))
            {
                write(w);
            }

            await response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
            return;
        }

        // Promise the whole body, send half of it, then drop the connection.
        var body = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(body, JsonWriting.Options))
        {
            write(w);
        }

        response.ContentLength = body.WrittenCount;
        await response.Body.WriteAsync(body.WrittenMemory[..(body.WrittenCount / 2)], context.RequestAborted).ConfigureAwait(false);
        await response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        await ConnectionCut.CutAsync(context).ConfigureAwait(false);
    }

    private static async Task WriteGarbageAsync(HttpContext context, WireFormat format, bool stream)
    {
        var response = context.Response;
        response.StatusCode = 200;
        byte[] body;
        if (!stream)
        {
            response.ContentType = "application/json";
            body = GarbageJson;
        }
        else if (format == WireFormat.BedrockInvoke)
        {
            response.ContentType = "application/vnd.amazon.eventstream";
            body = GarbageEventStream;
        }
        else
        {
            response.ContentType = "text/event-stream; charset=utf-8";
            body = GarbageEvent;
        }

        await response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task<(byte[]? Buffer, int Length)> ReadBodyAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        var reader = request.BodyReader;
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var data = result.Buffer;
            if (data.Length > limit)
            {
                reader.AdvanceTo(data.End);
                return (null, 0);
            }

            if (result.IsCompleted)
            {
                var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Max(1, data.Length));
                data.CopyTo(buffer);
                var length = (int)data.Length;
                reader.AdvanceTo(data.End);
                return (buffer, length);
            }

            reader.AdvanceTo(data.Start, data.End);
        }
    }

    private ReceivedRequest Describe(HttpContext context, byte[]? buffer, int length, string? model, WireFormat format, bool stream)
    {
        var request = context.Request;
        var headers = new Dictionary<string, string>(request.Headers.Count, StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in request.Headers)
        {
            headers[name] = value.ToString();
        }

        return new ReceivedRequest(
            request.Method,
            request.Path.Value ?? string.Empty,
            request.QueryString.Value ?? string.Empty,
            headers,
            buffer is null ? string.Empty : Encoding.UTF8.GetString(buffer, 0, length),
            model,
            format,
            stream,
            options.Time.GetUtcNow());
    }

    private static long ElapsedMs(long started) => (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
}
