namespace Warden.ScriptedModel;

/// <summary>
/// A failure for a scripted turn to act out, the way a provider or the network fails in practice. Create one with
/// <see cref="Status"/>, <see cref="StreamCutAfter"/> or the static properties.
/// </summary>
public sealed record ScriptedFault
{
    private ScriptedFault(ScriptedFaultKind kind, int statusCode = 0, string? retryAfter = null, string? message = null, int chunks = 0)
    {
        Kind = kind;
        StatusCode = statusCode;
        RetryAfter = retryAfter;
        Message = message;
        Chunks = chunks;
    }

    /// <summary>The kind of failure.</summary>
    public ScriptedFaultKind Kind { get; }

    /// <summary>The HTTP status, for <see cref="ScriptedFaultKind.Status"/>.</summary>
    public int StatusCode { get; }

    /// <summary>The <c>Retry-After</c> header value, for <see cref="ScriptedFaultKind.Status"/>; null sends none.</summary>
    public string? RetryAfter { get; }

    /// <summary>The error message in the body, for <see cref="ScriptedFaultKind.Status"/>; null uses the provider's usual wording.</summary>
    public string? Message { get; }

    /// <summary>How many chunks (SSE events, event-stream frames) are sent before the cut, for <see cref="ScriptedFaultKind.StreamCut"/>.</summary>
    public int Chunks { get; }

    /// <summary>No failure: the turn is answered.</summary>
    public static ScriptedFault None { get; } = new(ScriptedFaultKind.None);

    /// <summary>Never answers; the request ends only when the client gives up or the server stops.</summary>
    public static ScriptedFault Hang { get; } = new(ScriptedFaultKind.Hang);

    /// <summary>Aborts the TCP connection without a response.</summary>
    public static ScriptedFault ResetConnection { get; } = new(ScriptedFaultKind.ResetConnection);

    /// <summary>Answers 200 with a body that is not valid JSON (or, for a stream, an event whose data is not JSON).</summary>
    public static ScriptedFault Garbage { get; } = new(ScriptedFaultKind.Garbage);

    /// <summary>An error status with the provider's real error body (OpenAI <c>{"error":{...}}</c>, Anthropic <c>{"type":"error",...}</c>, Bedrock <c>{"message":...}</c>).</summary>
    /// <param name="status">The HTTP status, 400 to 599 (529 is Anthropic's "overloaded").</param>
    /// <param name="retryAfter">The <c>Retry-After</c> header value to send, or null for none.</param>
    /// <param name="message">The error message, or null for the provider's usual wording for that status.</param>
    public static ScriptedFault Status(int status, string? retryAfter = null, string? message = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(status, 400);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(status, 599);
        return new ScriptedFault(ScriptedFaultKind.Status, status, retryAfter, message);
    }

    /// <summary>
    /// Starts the response normally and aborts the connection after <paramref name="chunks"/> chunks. A non-streaming
    /// response is cut after half its body.
    /// </summary>
    public static ScriptedFault StreamCutAfter(int chunks)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(chunks);
        return new ScriptedFault(ScriptedFaultKind.StreamCut, chunks: chunks);
    }
}
