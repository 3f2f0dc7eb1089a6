using System.Net;

namespace Warden.ScriptedModel;

/// <summary>How a <see cref="ScriptedModelServer"/> listens and behaves; checked by <see cref="Validate"/>, which lists every problem at once.</summary>
public sealed record ScriptedModelOptions
{
    /// <summary><c>ip:port</c> to listen on; port 0 lets the OS choose.</summary>
    public string Listen { get; init; } = "127.0.0.1:0";

    /// <summary>Delay before a response (or a stream's first chunk) is written.</summary>
    public TimeSpan FirstByteLatency { get; init; }

    /// <summary>Delay between a stream's chunks.</summary>
    public TimeSpan InterChunkLatency { get; init; }

    /// <summary>
    /// When set, requests must carry this key the way the provider expects (OpenAI <c>Authorization: Bearer</c>,
    /// Anthropic <c>x-api-key</c> or <c>Authorization: Bearer</c>, Azure <c>api-key</c> or <c>Authorization: Bearer</c>)
    /// or get the provider's real 401. Bedrock requests are checked for SigV4 instead.
    /// </summary>
    public string? RequiredApiKey { get; init; }

    /// <summary>The answer used when no queued turn applies; null answers with a deterministic echo of the last user text.</summary>
    public ScriptedTurn? DefaultTurn { get; init; }

    /// <summary>Model ids listed by <c>GET /v1/models</c>.</summary>
    public IReadOnlyList<string> Models { get; init; } =
        ["gpt-4o-mini", "gpt-4o", "text-embedding-3-small", "claude-sonnet-4-5", "claude-haiku-4-5"];

    /// <summary>When true, generation and embeddings requests for a model not in <see cref="Models"/> get the provider's 404.</summary>
    public bool RejectUnknownModels { get; init; }

    /// <summary>Whether requests are kept for <see cref="ScriptedModelServer.Requests"/>; benchmarks turn this off.</summary>
    public bool RecordRequests { get; init; } = true;

    /// <summary>The largest request body accepted, in bytes.</summary>
    public long MaxRequestBodyBytes { get; init; } = 32 * 1024 * 1024;

    /// <summary>The clock for timestamps, <c>created</c> fields and latency delays.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Every problem with these options, empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!TryParseListen(Listen, out _))
        {
            errors.Add($"Listen address '{Listen}' is not ip:port (for example 127.0.0.1:0 or [::1]:8089).");
        }

        if (FirstByteLatency < TimeSpan.Zero)
        {
            errors.Add("FirstByteLatency must not be negative.");
        }

        if (InterChunkLatency < TimeSpan.Zero)
        {
            errors.Add("InterChunkLatency must not be negative.");
        }

        if (RequiredApiKey is { Length: 0 })
        {
            errors.Add("RequiredApiKey must be null or non-empty.");
        }

        if (MaxRequestBodyBytes < 1024)
        {
            errors.Add("MaxRequestBodyBytes must be at least 1024.");
        }

        if (Models.Any(string.IsNullOrWhiteSpace))
        {
            errors.Add("Models must not contain empty ids.");
        }

        return errors;
    }

    /// <summary>Parses an <c>ip:port</c> listen address (<c>localhost</c> means the IPv4 loopback).</summary>
    public static bool TryParseListen(string? value, out IPEndPoint endpoint)
    {
        endpoint = null!;
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        if (value.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase))
        {
            value = "127.0.0.1" + value["localhost".Length..];
        }

        if (!IPEndPoint.TryParse(value, out var parsed) || !value.Contains(':', StringComparison.Ordinal))
        {
            return false;
        }

        endpoint = parsed;
        return true;
    }
}
