using System.Buffers;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Warden.Audit;
using Warden.Data.Gateway;
using Warden.Data.Identity;
using Warden.Models;
using Warden.Server.Hosting;

namespace Warden.Server.Gateway;

/// <summary>
/// The model gateway's request path: authenticate the virtual key, resolve the route, ask policy, check budget and
/// limits, inspect the prompt, then send the request straight to the chosen provider (translating between the OpenAI
/// and Anthropic formats when the route needs it) and stream the answer back as it arrives, counting tokens on the
/// way. Nothing on this path touches the database: keys, routes, prices and the policy version are cached, and the
/// usage row, capture and audit event are written in batches by <see cref="UsageRecorder"/>.
/// </summary>
public sealed partial class ModelGateway : IDisposable
{
    private const int MaxUpstreamBody = 64 * 1024 * 1024;
    private const int MaxCaptureChars = 256 * 1024;
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(2);

    private readonly VirtualKeyCache _keys;
    private readonly GatewayCatalog _catalog;
    private readonly KeyLimiter _limiter;
    private readonly BudgetTracker _budgets;
    private readonly TargetHealth _health;
    private readonly UsageRecorder _recorder;
    private readonly ModelInvokeAuthorizer _policy;
    private readonly PromptInspector _inspector = new();
    private readonly TimeProvider _time;
    private readonly ILogger<ModelGateway> _logger;
    private readonly long _maxRequestBytes;
    private readonly HttpMessageInvoker _http;
    private readonly Histogram<double> _overhead;

    /// <summary>Name of the <see cref="Meter"/> the gateway reports on.</summary>
    public const string MeterName = "Warden.Gateway";

    /// <summary>
    /// The histogram of the gateway's own time per answered call, in seconds: from the start of the handler until the
    /// request goes to the provider, plus from the provider's answer (the whole body, or a stream's first event) until
    /// it is written to the client. The wait for the provider is not in it, so it is the latency the gateway adds
    /// inside its process. Recorded for calls answered on their first attempt, tagged <c>warden.gateway.stream</c>
    /// <c>true</c> or <c>false</c>.
    /// </summary>
    public const string OverheadInstrument = "warden.gateway.overhead";

    /// <summary>The tag on <see cref="OverheadInstrument"/> that says whether the call streamed.</summary>
    public const string StreamTag = "warden.gateway.stream";

    /// <summary>Creates the gateway with its own connection pool to providers.</summary>
    public ModelGateway(VirtualKeyCache keys, GatewayCatalog catalog, KeyLimiter limiter, BudgetTracker budgets, TargetHealth health, UsageRecorder recorder,
        ModelInvokeAuthorizer policy, TimeProvider time, ILogger<ModelGateway> logger, WardenServerOptions options, IMeterFactory meters)
    {
        _overhead = meters.Create(MeterName).CreateHistogram(OverheadInstrument, "s",
            "The gateway's own time per answered call, without the wait for the provider.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1] });
        _keys = keys;
        _catalog = catalog;
        _limiter = limiter;
        _budgets = budgets;
        _health = health;
        _recorder = recorder;
        _policy = policy;
        _time = time;
        _logger = logger;
        _maxRequestBytes = options.GatewayMaxRequestBodyBytes;
        _http = new HttpMessageInvoker(new SocketsHttpHandler
        {
            // Providers are called directly: never through a proxy picked up from the environment, never redirected.
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.All,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
            EnableMultipleHttp2Connections = true,
        });
    }

    /// <summary>Handles one model call in the wire format of the endpoint it arrived at.</summary>
    public async Task HandleAsync(HttpContext ctx, WireFormat format)
    {
        var call = new Call(format, Stopwatch.GetTimestamp(), _time.GetUtcNow(), ClientIdentity.FromUserAgent(ctx.Request.Headers.UserAgent));
        ctx.Response.Headers["x-warden-call-id"] = call.Id;
        var key = await AuthenticateAsync(ctx, call).ConfigureAwait(false);
        if (key is null)
        {
            return;
        }

        call.Key = key;
        try
        {
            await HandleKeyedAsync(ctx, call, key).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            call.Outcome ??= "cancelled";
            call.Error ??= "The client went away.";
        }
        finally
        {
            RecordOverhead(call);
            await RecordAsync(call, key).ConfigureAwait(false);
        }
    }

    private void RecordOverhead(Call call)
    {
        if (call.Outcome == "success" && call.Attempts == 1 && call.SentTicks is { } sent && call.AnsweredTicks is { } answered && call.RepliedTicks is { } replied)
        {
            var ticks = (sent - call.StartTicks) + (replied - answered);
            _overhead.Record((double)ticks / Stopwatch.Frequency, new KeyValuePair<string, object?>(StreamTag, call.Stream ? "true" : "false"));
        }
    }

    /// <summary><c>GET /v1/models</c>: the route aliases the key may use, in OpenAI's or (with <c>anthropic-version</c>) Anthropic's list format.</summary>
    public async Task ListModelsAsync(HttpContext ctx)
    {
        var anthropic = ctx.Request.Headers.ContainsKey("anthropic-version");
        var format = anthropic ? WireFormat.AnthropicMessages : WireFormat.OpenAIChat;
        var secret = ReadKey(ctx.Request);
        var key = secret is null ? null : await _keys.ResolveAsync(secret, ctx.RequestAborted).ConfigureAwait(false);
        if (key is null || key.RevokedAt is not null || (key.ExpiresAt is { } e && e <= _time.GetUtcNow()))
        {
            await WriteErrorAsync(ctx, format, ModelErrorKind.Authentication, "Invalid API key: use a Warden virtual key.", "invalid_api_key").ConfigureAwait(false);
            return;
        }

        var snapshot = await _catalog.GetAsync(key.OrgId, ctx.RequestAborted).ConfigureAwait(false);
        var names = snapshot.Routes.Values.Where(r => key.AllowedModels.Count == 0 || key.AllowedModels.Contains(r.Name)).OrderBy(r => r.Name, StringComparer.Ordinal).ToList();
        var list = new JsonArray();
        foreach (var r in names)
        {
            list.Add(anthropic
                ? new JsonObject { ["type"] = "model", ["id"] = r.Name, ["display_name"] = r.Name, ["created_at"] = r.CreatedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) }
                : new JsonObject { ["id"] = r.Name, ["object"] = "model", ["created"] = r.CreatedAt.ToUnixTimeSeconds(), ["owned_by"] = key.OrgName });
        }

        var body = anthropic
            ? new JsonObject { ["data"] = list, ["has_more"] = false, ["first_id"] = names.FirstOrDefault()?.Name, ["last_id"] = names.LastOrDefault()?.Name }
            : new JsonObject { ["object"] = "list", ["data"] = list };
        ctx.Response.ContentType = "application/json";
        await ctx.Response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(body), ctx.RequestAborted).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();

    private async Task<VirtualKeyIdentity?> AuthenticateAsync(HttpContext ctx, Call call)
    {
        var secret = ReadKey(ctx.Request);
        if (secret is null)
        {
            await WriteErrorAsync(ctx, call.Format, ModelErrorKind.Authentication,
                "Missing API key: send a Warden virtual key as 'Authorization: Bearer <key>' or 'x-api-key: <key>'.", "invalid_api_key").ConfigureAwait(false);
            return null;
        }

        var key = await _keys.ResolveAsync(secret, ctx.RequestAborted).ConfigureAwait(false);
        if (key is null)
        {
            await WriteErrorAsync(ctx, call.Format, ModelErrorKind.Authentication, "Invalid API key: use a Warden virtual key (wvk_...).", "invalid_api_key").ConfigureAwait(false);
            return null;
        }

        if (key.RevokedAt is not null || (key.ExpiresAt is { } e && e <= _time.GetUtcNow()))
        {
            // Known keys that can no longer be used are recorded: someone is still using them.
            call.Key = key;
            call.Outcome = "denied";
            call.Error = key.RevokedAt is not null ? "The key has been revoked." : "The key has expired.";
            await WriteErrorAsync(ctx, call, ModelErrorKind.Authentication, $"This API key {(key.RevokedAt is not null ? "has been revoked" : "has expired")}.", "invalid_api_key").ConfigureAwait(false);
            await RecordAsync(call, key).ConfigureAwait(false);
            return null;
        }

        return key;
    }

    private async Task HandleKeyedAsync(HttpContext ctx, Call call, VirtualKeyIdentity key)
    {
        RequestBody request;
        try
        {
            request = await ReadBodyAsync(ctx, call).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            await RefuseAsync(ctx, call, "failure", ModelErrorKind.InvalidRequest, "The request body is not valid JSON.").ConfigureAwait(false);
            return;
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await RefuseAsync(ctx, call, "failure", ModelErrorKind.RequestTooLarge, $"The request body is larger than {_maxRequestBytes} bytes.").ConfigureAwait(false);
            return;
        }

        using (request)
        {
            await HandleBodyAsync(ctx, call, key, request).ConfigureAwait(false);
        }
    }

    private async Task HandleBodyAsync(HttpContext ctx, Call call, VirtualKeyIdentity key, RequestBody request)
    {
        var ct = ctx.RequestAborted;
        var body = request.Object;

        if (body["model"] is not JsonValue modelValue || !modelValue.TryGetValue(out string? alias) || string.IsNullOrWhiteSpace(alias))
        {
            await RefuseAsync(ctx, call, "failure", ModelErrorKind.InvalidRequest, "'model' is required: name one of the models listed at GET /v1/models.").ConfigureAwait(false);
            return;
        }

        call.Route = alias;
        call.Stream = call.Format != WireFormat.OpenAIEmbeddings && body["stream"] is JsonValue s && s.TryGetValue(out bool stream) && stream;
        var snapshot = await _catalog.GetAsync(key.OrgId, ct).ConfigureAwait(false);
        if (!snapshot.Routes.TryGetValue(alias, out var route) || (key.AllowedModels.Count > 0 && !key.AllowedModels.Contains(alias)))
        {
            // A model the key may not use reads exactly like one that does not exist.
            await RefuseAsync(ctx, call, route is null ? "failure" : "denied", ModelErrorKind.NotFound,
                $"The model '{alias}' does not exist or this key may not use it.", code: "model_not_found").ConfigureAwait(false);
            return;
        }

        var estimated = Math.Max(1, call.RequestBytes / 4);
        var decision = await _policy.AuthorizeAsync(key, alias, route.Targets[0].Provider, estimated, ct).ConfigureAwait(false);
        call.Policy = decision;
        if (!decision.Allowed)
        {
            await RefuseAsync(ctx, call, "denied", ModelErrorKind.PermissionDenied,
                $"Policy does not allow this key to invoke '{alias}' (policy set {decision.PolicySetVersion.Split(' ')[0]}).").ConfigureAwait(false);
            return;
        }

        if (await _budgets.IsExhaustedAsync(key, ct).ConfigureAwait(false))
        {
            await RefuseAsync(ctx, call, "denied", ModelErrorKind.BudgetExceeded,
                $"This key's {(key.BudgetPeriod == "monthly" ? "monthly " : string.Empty)}budget of ${key.BudgetMicros / 1_000_000m:0.00} is used up.", code: "insufficient_quota").ConfigureAwait(false);
            return;
        }

        if (_limiter.TryAcquire(key.Id, key.Rpm, key.Tpm, key.MaxConcurrency, estimated) is { } refusal)
        {
            ctx.Response.Headers.RetryAfter = refusal.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            await RefuseAsync(ctx, call, "denied", ModelErrorKind.RateLimited, refusal.Reason + " Retry later.", code: "rate_limit_exceeded").ConfigureAwait(false);
            return;
        }

        try
        {
            if (key.Inspection != "off")
            {
                // Only redaction changes the body; monitoring and blocking read the request as it was parsed.
                var findings = key.Inspection == "redact" ? _inspector.Inspect(call.Format, body, redact: true) : _inspector.Inspect(call.Format, request.Root);
                call.Findings = findings;
                if (findings.Count > 0 && key.Inspection == "block")
                {
                    await RefuseAsync(ctx, call, "denied", ModelErrorKind.InvalidRequest,
                        $"The prompt contains {string.Join(", ", findings.Select(f => f.Kind).Distinct())}; this key blocks prompts with secrets or personal data.",
                        code: "content_blocked").ConfigureAwait(false);
                    return;
                }
            }

            if (key.Capture)
            {
                call.CapturedRequest = Truncate(body.ToJsonString());
            }

            await ForwardAsync(ctx, call, key, body, route, snapshot).ConfigureAwait(false);
        }
        finally
        {
            _limiter.Release(key.Id, estimated, call.Usage?.Total ?? estimated);
        }
    }

    private async Task ForwardAsync(HttpContext ctx, Call call, VirtualKeyIdentity key, JsonObject body, ModelRoute route, GatewayCatalog.Snapshot snapshot)
    {
        var ct = ctx.RequestAborted;
        var clientWantsUsage = body["stream_options"] is JsonObject so && so["include_usage"] is JsonValue iu && iu.TryGetValue(out bool want) && want;
        Failure? last = null;
        foreach (var target in Plan(route, key.OrgId))
        {
            if (!snapshot.Providers.TryGetValue(target.Provider, out var provider) || !TryParseKind(provider.Kind, out var kind))
            {
                continue;
            }

            var impl = ModelProviders.For(kind);
            if (impl.UpstreamFormat(call.Format) is not { } upstreamFormat)
            {
                last = new Failure(ModelErrorKind.InvalidRequest, $"provider '{provider.Name}' cannot serve this endpoint", 400, null);
                continue;
            }

            JsonObject upstreamBody;
            try
            {
                upstreamBody = WireTranslator.TranslateRequest(call.Format, upstreamFormat, body);
            }
            catch (ModelRequestException e)
            {
                await RefuseAsync(ctx, call, "failure", e.Kind, e.Message).ConfigureAwait(false);
                return;
            }

            upstreamBody["model"] = target.Model;
            if (call.Stream && upstreamFormat == WireFormat.OpenAIChat)
            {
                // Usage comes in a final chunk only when asked for; ask always, and hide it from clients that did not.
                var options = upstreamBody["stream_options"] as JsonObject ?? new JsonObject();
                options["include_usage"] = true;
                upstreamBody["stream_options"] = options;
            }

            var endpoint = new ProviderEndpoint
            {
                Kind = kind, BaseUrl = new Uri(provider.BaseUrl), ApiKey = provider.Credential, ApiVersion = provider.ApiVersion, Region = provider.Region,
            };
            for (var attempt = 0; attempt <= route.Retries; attempt++)
            {
                if (attempt > 0)
                {
                    await Task.Delay(Backoff(attempt, last), _time, ct).ConfigureAwait(false);
                }

                call.Attempts++;
                call.Provider = provider.Name;
                call.Model = target.Model;
                var outcome = await TryTargetAsync(ctx, call, impl, endpoint, upstreamFormat, upstreamBody, target, route, key, snapshot, clientWantsUsage).ConfigureAwait(false);
                if (outcome is null)
                {
                    return;
                }

                last = outcome;
                _health.Failure(key.OrgId, target.Provider, target.Model, outcome.Message);
                LogAttemptFailed(_logger, route.Name, target.Provider, target.Model, outcome.Message);
                if (!outcome.Retryable)
                {
                    break;
                }
            }
        }

        last ??= new Failure(ModelErrorKind.UpstreamError, "no usable target", 502, null);
        call.Status = 0;
        var kindOut = last.Kind switch
        {
            ModelErrorKind.Timeout => ModelErrorKind.Timeout,
            ModelErrorKind.RateLimited => ModelErrorKind.RateLimited,
            ModelErrorKind.InvalidRequest => ModelErrorKind.InvalidRequest,
            _ => ModelErrorKind.UpstreamError,
        };
        await RefuseAsync(ctx, call, "error", kindOut, $"Every target of '{route.Name}' failed; last: {last.Message}.").ConfigureAwait(false);
    }

    /// <summary>One attempt against one target. Null when the call is finished (answered or the client left).</summary>
    private async Task<Failure?> TryTargetAsync(HttpContext ctx, Call call, IModelProvider impl, ProviderEndpoint endpoint, WireFormat upstreamFormat, JsonObject upstreamBody,
        RouteTarget target, ModelRoute route, VirtualKeyIdentity key, GatewayCatalog.Snapshot snapshot, bool clientWantsUsage)
    {
        var ct = ctx.RequestAborted;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromMilliseconds(route.TimeoutMs));
        HttpResponseMessage response;
        try
        {
            using var request = impl.CreateRequest(endpoint, upstreamFormat, target.Model, upstreamBody, call.Stream);
            call.SentTicks = Stopwatch.GetTimestamp();
            response = await _http.SendAsync(request, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new Failure(ModelErrorKind.Timeout, $"{target.Provider}:{target.Model} did not answer within {route.TimeoutMs} ms", 504, null);
        }
        catch (HttpRequestException e)
        {
            return new Failure(ModelErrorKind.UpstreamError, $"{target.Provider}:{target.Model} could not be reached ({e.HttpRequestError})", 502, null);
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            if (status is < 200 or > 299)
            {
                var errorBody = await ReadLimitedAsync(response, 64 * 1024, timeout.Token).ConfigureAwait(false);
                var message = $"{target.Provider}:{target.Model} answered {status}";
                if (status is 408 or 429 or >= 500)
                {
                    return new Failure(status == 429 ? ModelErrorKind.RateLimited : status == 408 ? ModelErrorKind.Timeout : ModelErrorKind.UpstreamError, message, status, errorBody)
                        { Retryable = true, RetryAfter = response.Headers.RetryAfter?.Delta };
                }

                if (status is 401 or 403 or 404)
                {
                    // The provider refused Warden's own credential or does not know the model: a configuration problem
                    // of this target, not the caller's. Another target may work.
                    return new Failure(ModelErrorKind.UpstreamError, message + " (check the provider's credential and model name)", status, errorBody);
                }

                // The request itself was refused (400, 413, 422): tell the caller in their own format.
                var (clientStatus, clientBody) = ModelErrors.FromUpstream(upstreamFormat, call.Format, status, errorBody);
                call.Status = clientStatus;
                call.Outcome = "failure";
                call.Error = message;
                _health.Success(key.OrgId, target.Provider, target.Model);
                ctx.Response.StatusCode = clientStatus;
                ctx.Response.ContentType = "application/json";
                await ctx.Response.Body.WriteAsync(clientBody, ct).ConfigureAwait(false);
                return null;
            }

            return call.Stream
                ? await StreamAsync(ctx, call, impl, response, upstreamFormat, target, route, key, snapshot, clientWantsUsage, timeout).ConfigureAwait(false)
                : await CompleteAsync(ctx, call, response, upstreamFormat, target, key, snapshot, timeout.Token).ConfigureAwait(false);
        }
    }

    private async Task<Failure?> CompleteAsync(HttpContext ctx, Call call, HttpResponseMessage response, WireFormat upstreamFormat, RouteTarget target,
        VirtualKeyIdentity key, GatewayCatalog.Snapshot snapshot, CancellationToken ct)
    {
        byte[] bytes;
        JsonObject? parsed = null;
        TokenUsage? usage = null;
        try
        {
            bytes = await ReadLimitedAsync(response, MaxUpstreamBody, ct).ConfigureAwait(false);
            call.AnsweredTicks = Stopwatch.GetTimestamp();

            // An answer passed through as it is needs only its usage, read without building a JSON tree; anything
            // the quick read does not vouch for (including bodies that are not JSON) takes the full parse as before.
            if (upstreamFormat != call.Format || !UsageReader.TryFromResponse(upstreamFormat, bytes, out usage))
            {
                parsed = JsonNode.Parse(bytes) as JsonObject ?? throw new JsonException("not an object");
            }
        }
        catch (OperationCanceledException) when (!ctx.RequestAborted.IsCancellationRequested)
        {
            return new Failure(ModelErrorKind.Timeout, $"{target.Provider}:{target.Model} did not finish its answer in time", 504, null) { Retryable = true };
        }
        catch (Exception e) when (e is JsonException or HttpRequestException or IOException)
        {
            return new Failure(ModelErrorKind.UpstreamError, $"{target.Provider}:{target.Model} sent an unreadable answer", 502, null) { Retryable = true };
        }

        if (parsed is not null)
        {
            usage = UsageReader.FromResponse(upstreamFormat, parsed);
        }

        var output = upstreamFormat == call.Format
            ? bytes
            : JsonSerializer.SerializeToUtf8Bytes(WireTranslator.TranslateResponse(upstreamFormat, call.Format, parsed!, call.Route!));
        _health.Success(key.OrgId, target.Provider, target.Model);
        call.Status = 200;
        call.Outcome = "success";
        Settle(call, key, usage, snapshot, target);
        if (key.Capture)
        {
            call.CapturedResponse = Truncate(Encoding.UTF8.GetString(output));
        }

        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "application/json";
        ctx.Response.ContentLength = output.Length;
        if (call.Priced)
        {
            // The call's cost, for callers that keep their own account (the agent loop charges it to its session).
            ctx.Response.Headers["x-warden-cost-micros"] = call.CostMicros.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        await ctx.Response.Body.WriteAsync(output, ctx.RequestAborted).ConfigureAwait(false);
        call.RepliedTicks = Stopwatch.GetTimestamp();
        return null;
    }

    private async Task<Failure?> StreamAsync(HttpContext ctx, Call call, IModelProvider impl, HttpResponseMessage response, WireFormat upstreamFormat, RouteTarget target,
        ModelRoute route, VirtualKeyIdentity key, GatewayCatalog.Snapshot snapshot, bool clientWantsUsage, CancellationTokenSource timeout)
    {
        var meter = new StreamUsageMeter(upstreamFormat);
        var capture = key.Capture ? new StringBuilder() : null;
        var writer = ctx.Response.BodyWriter;
        try
        {
            if (upstreamFormat == call.Format && impl.StreamsServerSentEvents)
            {
                await RelayAsync(ctx, call, response, meter, route, clientWantsUsage, capture, timeout).ConfigureAwait(false);
            }
            else
            {
                await TranslateAsync(ctx, call, impl, response, upstreamFormat, meter, route, clientWantsUsage, capture, timeout).ConfigureAwait(false);
            }

            if (call.FirstByteTicks is null)
            {
                return new Failure(ModelErrorKind.UpstreamError, $"{target.Provider}:{target.Model} sent an empty stream", 502, null) { Retryable = true };
            }

            call.Outcome = "success";
            call.Status = 200;

            // End the response now (the last chunk), so the client is not kept waiting for the settling, the limiter
            // release and the records that run after it. A client that leaves at this point has had every event: the
            // call still succeeded, and the upstream is not to blame.
            try
            {
                await ctx.Response.CompleteAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException)
            {
                LogClientLeftAtEnd(_logger, call.Id);
            }
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            // The client went away: disposing the response (by the caller's using) closes the upstream connection.
            call.Outcome = "cancelled";
            call.Status = 499;
            call.Error = "The client disconnected mid-stream.";
        }
        catch (Exception e) when (e is OperationCanceledException or HttpRequestException or IOException or ModelStreamException or JsonException)
        {
            var reason = e is OperationCanceledException ? $"stalled for {route.TimeoutMs} ms" : "broke off";
            if (call.FirstByteTicks is null)
            {
                return new Failure(e is OperationCanceledException ? ModelErrorKind.Timeout : ModelErrorKind.UpstreamError,
                    $"{target.Provider}:{target.Model} stream {reason}", 502, null) { Retryable = true };
            }

            // Bytes are already with the client: end the stream, telling Anthropic clients in their own error event.
            call.Outcome = "error";
            call.Status = 502;
            call.Error = $"The upstream stream {reason}.";
            _health.Failure(key.OrgId, target.Provider, target.Model, call.Error);
            if (call.Format == WireFormat.AnthropicMessages)
            {
                SseWriter.Write(writer, new SseEvent("error", "{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"The upstream stream broke off.\"}}"));
                await writer.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }

        if (call.Outcome == "success")
        {
            _health.Success(key.OrgId, target.Provider, target.Model);
        }

        Settle(call, key, meter.Usage, snapshot, target);
        if (capture is not null)
        {
            call.CapturedResponse = Truncate(capture.ToString());
        }

        return null;
    }

    /// <summary>
    /// A stream in the client's own format, from a provider that sends SSE: the upstream's bytes go to the client as
    /// they arrive, a complete event at a time, and the meter reads each event's UTF-8 data where it lies; no event is
    /// decoded to a string (<see cref="SseRelay"/>).
    /// </summary>
    private static async Task RelayAsync(HttpContext ctx, Call call, HttpResponseMessage response, StreamUsageMeter meter, ModelRoute route, bool clientWantsUsage,
        StringBuilder? capture, CancellationTokenSource timeout)
    {
        var writer = ctx.Response.BodyWriter;
        var stream = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var relay = new SseRelay(meter, hideUsageOnlyChunks: call.Format == WireFormat.OpenAIChat && !clientWantsUsage, capture);
            int read;
            do
            {
                read = await stream.ReadAsync(relay.GetReadMemory(), timeout.Token).ConfigureAwait(false);
                var readAt = Stopwatch.GetTimestamp();
                if (relay.Process(read) > 0)
                {
                    // The route's timeout applies to the wait for each event, so a stalled stream is cut, a long one is not.
                    timeout.CancelAfter(TimeSpan.FromMilliseconds(route.TimeoutMs));
                    if (call.FirstByteTicks is null)
                    {
                        call.AnsweredTicks = readAt;
                        StartStream(ctx, call);
                    }
                }

                if (relay.HasOutput)
                {
                    relay.WriteTo(writer);
                    await writer.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
                    call.RepliedTicks ??= Stopwatch.GetTimestamp();
                }
            }
            while (read > 0);
        }
    }

    /// <summary>A stream that is decoded to events: translated into the client's format, or from a provider that does not send SSE.</summary>
    private static async Task TranslateAsync(HttpContext ctx, Call call, IModelProvider impl, HttpResponseMessage response, WireFormat upstreamFormat, StreamUsageMeter meter,
        ModelRoute route, bool clientWantsUsage, StringBuilder? capture, CancellationTokenSource timeout)
    {
        var translator = upstreamFormat == call.Format ? null : WireTranslator.CreateStreamTranslator(upstreamFormat, call.Format, call.Route!, clientWantsUsage);
        var hideUsageChunk = translator is null && call.Format == WireFormat.OpenAIChat && !clientWantsUsage;
        var translated = new List<SseEvent>(4);
        var writer = ctx.Response.BodyWriter;
        await foreach (var e in impl.ReadEventsAsync(response, timeout.Token).ConfigureAwait(false))
        {
            // The route's timeout applies to the wait for each event, so a stalled stream is cut, a long one is not.
            timeout.CancelAfter(TimeSpan.FromMilliseconds(route.TimeoutMs));
            meter.Observe(e);
            if (call.FirstByteTicks is null)
            {
                call.AnsweredTicks = Stopwatch.GetTimestamp();
                StartStream(ctx, call);
            }

            if (translator is not null)
            {
                translated.Clear();
                translator.Translate(e, translated);
                foreach (var t in translated)
                {
                    SseWriter.Write(writer, t);
                    capture?.Append(t.Data).Append('\n');
                }
            }
            else if (!(hideUsageChunk && IsUsageOnlyChunk(e)))
            {
                SseWriter.Write(writer, e);
                capture?.Append(e.Data).Append('\n');
            }

            await writer.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
            call.RepliedTicks ??= Stopwatch.GetTimestamp();
        }

        if (translator is not null)
        {
            translated.Clear();
            translator.Complete(translated);
            foreach (var t in translated)
            {
                SseWriter.Write(writer, t);
            }

            await writer.FlushAsync(ctx.RequestAborted).ConfigureAwait(false);
        }
    }

    /// <summary>The first event is here: the answer is a 200 stream from now on, and the time to first token is taken.</summary>
    private static void StartStream(HttpContext ctx, Call call)
    {
        call.FirstByteTicks = Stopwatch.GetTimestamp();
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "text/event-stream";
        ctx.Response.Headers.CacheControl = "no-cache";
        ctx.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
    }

    private void Settle(Call call, VirtualKeyIdentity key, TokenUsage? usage, GatewayCatalog.Snapshot snapshot, RouteTarget target)
    {
        call.Usage = usage;
        if (usage is not { } u)
        {
            return;
        }

        if (snapshot.Prices.TryGetValue(target.Model, out var price) || snapshot.Prices.TryGetValue(call.Route!, out price))
        {
            call.CostMicros = price.CostMicros(u.InputTokens, u.OutputTokens, u.CachedInputTokens);
            call.Priced = true;
            _budgets.Add(key, call.CostMicros);
        }
    }

    private static async Task RefuseAsync(HttpContext ctx, Call call, string outcome, ModelErrorKind kind, string message, string? code = null)
    {
        call.Outcome = outcome;
        call.Error = message;
        await WriteErrorAsync(ctx, call, kind, message, code).ConfigureAwait(false);
    }

    private static async Task WriteErrorAsync(HttpContext ctx, Call call, ModelErrorKind kind, string message, string? code)
    {
        var (status, body) = ModelErrors.Create(call.Format, kind, message, code);
        call.Status = status;
        await WriteAsync(ctx, status, body).ConfigureAwait(false);
    }

    private static async Task WriteErrorAsync(HttpContext ctx, WireFormat format, ModelErrorKind kind, string message, string? code)
    {
        var (status, body) = ModelErrors.Create(format, kind, message, code);
        await WriteAsync(ctx, status, body).ConfigureAwait(false);
    }

    private static async Task WriteAsync(HttpContext ctx, int status, byte[] body)
    {
        if (ctx.Response.HasStarted)
        {
            return;
        }

        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.Body.WriteAsync(body, ctx.RequestAborted).ConfigureAwait(false);
    }

    private async Task<RequestBody> ReadBodyAsync(HttpContext ctx, Call call)
    {
        if (ctx.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = _maxRequestBytes;
        }

        if (ctx.Request.ContentLength > _maxRequestBytes)
        {
            throw new BadHttpRequestException("too large", StatusCodes.Status413PayloadTooLarge);
        }

        // The body is read into a pooled array and parsed in place (the document's own tables are pooled too): a request
        // costs no copies of its body, however long the conversation it carries.
        var buffer = ArrayPool<byte>.Shared.Rent(ctx.Request.ContentLength is { } n and > 0 ? (int)n : 16 * 1024);
        try
        {
            var length = 0;
            int read;
            while ((read = await ctx.Request.Body.ReadAsync(buffer.AsMemory(length), ctx.RequestAborted).ConfigureAwait(false)) > 0)
            {
                length += read;
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
            }

            call.RequestBytes = length;
            // Duplicate property names are refused here, as JsonNode.Parse refuses them (the nodes would fail later).
            var document = JsonDocument.Parse(buffer.AsMemory(0, length), new JsonDocumentOptions { AllowDuplicateProperties = false });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                throw new JsonException("The body is not a JSON object.");
            }

            return new RequestBody(buffer, document);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    private static async Task<byte[]> ReadLimitedAsync(HttpResponseMessage response, int limit, CancellationToken ct)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        if (response.Content.Headers.ContentLength is { } length)
        {
            // The usual answer says how long it is: read it straight into an array of that size. The content stream
            // ends at Content-Length and throws IOException when the body is cut short, as the loop below would.
            if (length > limit)
            {
                throw new IOException("The upstream answer is too large.");
            }

            var exact = new byte[length];
            await stream.ReadExactlyAsync(exact, ct).ConfigureAwait(false);
            return exact;
        }

        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await stream.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > limit)
                {
                    throw new IOException("The upstream answer is too large.");
                }

                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        return buffer.ToArray();
    }

    private IEnumerable<RouteTarget> Plan(ModelRoute route, string orgId)
    {
        if (route.Targets.Count == 1 && route.Fallbacks.Count == 0)
        {
            // One target and nothing to fall back to: tried whether healthy or cooling down, as below, without the lists.
            return route.Targets;
        }

        // Healthy targets by weighted draw, then the rest of the targets, then fallbacks in order; targets that are
        // cooling down come last in each group rather than not at all, so a route never refuses for want of trying.
        var healthy = route.Targets.Where(t => _health.IsHealthy(orgId, t.Provider, t.Model)).ToList();
        var ordered = new List<RouteTarget>(route.Targets.Count + route.Fallbacks.Count);
        while (healthy.Count > 0)
        {
            var total = healthy.Sum(t => t.Weight);
            var pick = Random.Shared.Next(total);
            var index = 0;
            while (pick >= healthy[index].Weight)
            {
                pick -= healthy[index].Weight;
                index++;
            }

            ordered.Add(healthy[index]);
            healthy.RemoveAt(index);
        }

        ordered.AddRange(route.Targets.Where(t => !ordered.Contains(t)));
        ordered.AddRange(route.Fallbacks.Where(t => _health.IsHealthy(orgId, t.Provider, t.Model)));
        ordered.AddRange(route.Fallbacks.Where(t => !_health.IsHealthy(orgId, t.Provider, t.Model)));
        return ordered.Distinct();
    }

    private static TimeSpan Backoff(int attempt, Failure? last)
    {
        if (last?.RetryAfter is { } hinted && hinted <= MaxBackoff)
        {
            return hinted;
        }

        var ms = Math.Min(MaxBackoff.TotalMilliseconds, 100 * Math.Pow(2, attempt - 1));
        return TimeSpan.FromMilliseconds(ms * (0.5 + (Random.Shared.NextDouble() / 2)));
    }

    private static bool IsUsageOnlyChunk(in SseEvent e) =>
        e.Data.Contains("\"usage\"", StringComparison.Ordinal) && e.Data.Contains("\"choices\":[]", StringComparison.Ordinal);

    private static bool TryParseKind(string kind, out ProviderKind parsed)
    {
        parsed = kind switch
        {
            "openai-compatible" => ProviderKind.OpenAICompatible,
            "openai" => ProviderKind.OpenAI,
            "azure-openai" => ProviderKind.AzureOpenAI,
            "anthropic" => ProviderKind.Anthropic,
            "bedrock" => ProviderKind.Bedrock,
            _ => (ProviderKind)(-1),
        };
        return (int)parsed >= 0;
    }

    private static string? ReadKey(HttpRequest request)
    {
        var auth = request.Headers.Authorization.ToString();
        if (auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return auth[7..].Trim();
        }

        if (request.Headers.TryGetValue("x-api-key", out var apiKey) && apiKey.Count > 0)
        {
            return apiKey.ToString().Trim();
        }

        return request.Headers.TryGetValue("api-key", out var azureKey) && azureKey.Count > 0 ? azureKey.ToString().Trim() : null;
    }

    private static string Truncate(string text) => text.Length <= MaxCaptureChars ? text : text[..MaxCaptureChars] + "…[truncated]";

    /// <summary>Queues the call's records; waits only when the recorder's queue is full (back-pressure, see <see cref="UsageRecorder"/>).</summary>
    private ValueTask RecordAsync(Call call, VirtualKeyIdentity key)
    {
        if (call.Recorded)
        {
            return ValueTask.CompletedTask;
        }

        call.Recorded = true;
        var latencyMs = (long)Stopwatch.GetElapsedTime(call.StartTicks).TotalMilliseconds;
        var usage = call.Usage ?? default;
        var outcome = call.Outcome ?? "error";
        var record = new ModelUsageRecord(call.Id, key.OrgId, key.Id, key.UserId, key.TeamId, call.Route ?? "(none)", call.Provider, call.Model, call.Client.Client,
            call.Status, outcome, usage.InputTokens, usage.OutputTokens, usage.CachedInputTokens, call.CostMicros, latencyMs, call.Stream, call.At);
        var audit = new AuditEventDraft
        {
            OrgId = key.OrgId,
            Actor = new AuditActor(Warden.Audit.ActorKind.ApiKey, key.Id, key.Name),
            OnBehalfOf = key.OwnerKind == "user" ? key.UserId : $"{key.OwnerKind}:{key.OwnerName}",
            Source = new AuditSource(call.Client.Vendor, call.Client.Product, key.SessionId),
            Action = "model.invoke",
            Resource = new AuditResource("model", call.Route ?? "(none)"),
            Outcome = outcome switch
            {
                "success" => AuditOutcome.Success,
                "denied" => AuditOutcome.Denied,
                "failure" or "cancelled" => AuditOutcome.Failure,
                _ => AuditOutcome.Error,
            },
            Policy = call.Policy is { } p ? new PolicyDecision
            {
                Effect = p.Allowed ? PolicyEffect.Allow : PolicyEffect.Deny,
                PolicySetVersion = p.PolicySetVersion,
                DeterminingPolicies = p.Determining,
                ErroringPolicies = p.Erroring,
            } : null,
            Cost = call.Usage is null || !call.Priced ? null : new AuditCost(call.CostMicros / 1_000_000m, "USD"),
            Details = Details(call, key, usage, latencyMs),
        };
        var capture = call.CapturedRequest is null ? null
            : new ModelCapture(call.Id, key.OrgId, key.Id, call.CapturedRequest, call.CapturedResponse, call.At, call.At.AddDays(key.CaptureDays));
        return _recorder.EnqueueAsync(new UsageRecorder.CallRecord(record, capture, audit));
    }

    /// <summary>
    /// The audit event's details: the call's gen_ai attributes and Warden's own, in this order, without the ones
    /// that have no value. Written straight to JSON (the same text a dictionary of these fields serialised to),
    /// since a boxed dictionary and its filtered copy cost more than the rest of the record.
    /// </summary>
    private static JsonElement Details(Call call, VirtualKeyIdentity key, TokenUsage usage, long latencyMs)
    {
        var buffer = new ArrayBufferWriter<byte>(768);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString(GenAiAttributes.OperationName, call.Format == WireFormat.OpenAIEmbeddings ? "embeddings" : "chat");
            WriteIfSet(w, GenAiAttributes.ProviderName, call.Provider);
            WriteIfSet(w, GenAiAttributes.RequestModel, call.Route);
            WriteIfSet(w, GenAiAttributes.ResponseModel, call.Model);
            if (call.Usage is not null)
            {
                w.WriteNumber(GenAiAttributes.UsageInputTokens, usage.InputTokens);
                w.WriteNumber(GenAiAttributes.UsageOutputTokens, usage.OutputTokens);
            }

            w.WriteString("endpoint", call.Format.ToString());
            WriteIfSet(w, "key", key.Name);
            w.WriteString("owner", $"{key.OwnerKind}:{key.OwnerName}");
            WriteIfSet(w, "client", call.Client.Client);
            w.WriteNumber("status", call.Status);
            w.WriteBoolean("streamed", call.Stream);
            w.WriteNumber("attempts", call.Attempts);
            w.WriteNumber("latencyMs", latencyMs);
            if (call.FirstByteTicks is { } fb)
            {
                w.WriteNumber("timeToFirstTokenMs", (long)Stopwatch.GetElapsedTime(call.StartTicks, fb).TotalMilliseconds);
            }

            if (call.Usage is not null)
            {
                w.WriteBoolean("priced", call.Priced);
            }

            WriteIfSet(w, "error", call.Error);
            if (call.Findings is { Count: > 0 } f)
            {
                w.WriteString("inspection", string.Join(",", f.Select(x => $"{x.Kind}@{x.Location}x{x.Count}")));
            }

            if (call.CapturedRequest is not null)
            {
                w.WriteBoolean("captured", true);
            }

            w.WriteEndObject();
        }

        var reader = new Utf8JsonReader(buffer.WrittenSpan);
        return JsonElement.ParseValue(ref reader);
    }

    private static void WriteIfSet(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Model call {CallId}: the client left as its stream was being ended")]
    private static partial void LogClientLeftAtEnd(ILogger logger, string callId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model route {Route}: target {Provider}:{Model} failed: {Reason}")]
    private static partial void LogAttemptFailed(ILogger logger, string route, string provider, string model, string reason);

    /// <summary>
    /// A request body, parsed: <see cref="Object"/> (nodes made as they are read) and <see cref="Root"/> over the same
    /// document. Both read the pooled buffer, so nothing of them may outlive the call; disposing returns the buffer.
    /// </summary>
    private sealed class RequestBody(byte[] buffer, JsonDocument document) : IDisposable
    {
        public JsonElement Root => document.RootElement;

        public JsonObject Object { get; } = JsonObject.Create(document.RootElement)!;

        public void Dispose()
        {
            document.Dispose();
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private sealed record Failure(ModelErrorKind Kind, string Message, int Status, byte[]? Body)
    {
        public bool Retryable { get; init; }

        public TimeSpan? RetryAfter { get; init; }
    }

    private sealed class Call(WireFormat format, long startTicks, DateTimeOffset at, (string Vendor, string Product, string Client) client)
    {
        public string Id { get; } = Ids.New("mc");
        public WireFormat Format { get; } = format;
        public long StartTicks { get; } = startTicks;
        public DateTimeOffset At { get; } = at;
        public (string Vendor, string Product, string Client) Client { get; } = client;
        public VirtualKeyIdentity? Key { get; set; }
        public string? Route { get; set; }
        public string? Provider { get; set; }
        public string? Model { get; set; }
        public bool Stream { get; set; }
        public long RequestBytes { get; set; }
        public int Attempts { get; set; }
        public int Status { get; set; }
        public string? Outcome { get; set; }
        public string? Error { get; set; }
        public TokenUsage? Usage { get; set; }
        public long CostMicros { get; set; }
        public bool Priced { get; set; }
        public long? FirstByteTicks { get; set; }

        // For the overhead histogram: the last attempt's request went to the provider; its answer (or first event)
        // was read; it was written to the client.
        public long? SentTicks { get; set; }
        public long? AnsweredTicks { get; set; }
        public long? RepliedTicks { get; set; }
        public ModelInvokeAuthorizer.Result? Policy { get; set; }
        public IReadOnlyList<InspectionFinding>? Findings { get; set; }
        public string? CapturedRequest { get; set; }
        public string? CapturedResponse { get; set; }
        public bool Recorded { get; set; }
    }
}
