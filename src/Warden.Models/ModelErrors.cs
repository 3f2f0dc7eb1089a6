using System.Buffers;
using System.Text;
using System.Text.Json;
using Warden.Audit.Redaction;

namespace Warden.Models;

/// <summary>Error bodies in the shape each client format's SDKs parse.</summary>
public static class ModelErrors
{
    private const int MaxUpstreamMessageLength = 2000;

    private static readonly AuditRedactor Redactor = new();

    /// <summary>
    /// The HTTP status and error body a client of <paramref name="clientFormat"/> expects. OpenAI formats:
    /// <c>{"error":{"message","type","param":null,"code"}}</c>; Anthropic:
    /// <c>{"type":"error","error":{"type","message"}}</c>. <paramref name="code"/> replaces the OpenAI default code
    /// (Anthropic bodies have none).
    /// </summary>
    public static (int Status, byte[] Body) Create(WireFormat clientFormat, ModelErrorKind kind, string message, string? code = null) =>
        Create(clientFormat, kind, message, code, param: null);

    /// <summary>As <see cref="Create(WireFormat, ModelErrorKind, string, string?)"/>, for a <see cref="ModelRequestException"/> (its param goes into OpenAI bodies).</summary>
    public static (int Status, byte[] Body) Create(WireFormat clientFormat, ModelRequestException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return Create(clientFormat, exception.Kind, exception.Message, null, exception.Param);
    }

    /// <summary>
    /// Re-expresses an upstream error response (status and body in <paramref name="upstreamFormat"/>, possibly not
    /// JSON) for a client of <paramref name="clientFormat"/>. The status and the provider's message are kept; secrets
    /// in the message (some providers echo part of a key) are redacted.
    /// </summary>
    public static (int Status, byte[] Body) FromUpstream(WireFormat upstreamFormat, WireFormat clientFormat, int status, ReadOnlySpan<byte> body)
    {
        _ = upstreamFormat;
        string? message = null;
        string? type = null;
        string? code = null;
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                // OpenAI and Anthropic both nest {"message","type"} under "error"; some compatible servers put a string there.
                var error = root.TryGetProperty("error", out var e) ? e : root;
                if (error.ValueKind == JsonValueKind.String)
                {
                    message = error.GetString();
                }
                else if (error.ValueKind == JsonValueKind.Object)
                {
                    message = GetString(error, "message") ?? GetString(error, "Message");
                    type = GetString(error, "type");
                    code = GetString(error, "code");
                }

                message ??= GetString(root, "message") ?? GetString(root, "Message") ?? GetString(root, "detail");
            }
        }
        catch (JsonException)
        {
            var text = Encoding.UTF8.GetString(body).Trim();
            if (text.Length > 0 && !text.StartsWith('<'))
            {
                message = text;
            }
        }

        if (string.IsNullOrWhiteSpace(message))
        {
            message = $"The model provider returned HTTP {status}.";
        }
        else if (message.Length > MaxUpstreamMessageLength)
        {
            message = message[..MaxUpstreamMessageLength] + "...";
        }

        message = Redactor.Redact(message);
        var kind = KindFor(status, type);
        var (_, bytes) = Create(clientFormat, kind, message, IsOpenAI(clientFormat) ? code : null, null);
        return (status, bytes);
    }

    /// <summary>The error kind for an upstream HTTP status (and the provider's error type, when it has one).</summary>
    public static ModelErrorKind KindFor(int status, string? type = null) => (status, type) switch
    {
        (_, "overloaded_error") => ModelErrorKind.Overloaded,
        (_, "insufficient_quota") => ModelErrorKind.BudgetExceeded,
        (400, _) or (422, _) => ModelErrorKind.InvalidRequest,
        (401, _) => ModelErrorKind.Authentication,
        (403, _) => ModelErrorKind.PermissionDenied,
        (404, _) => ModelErrorKind.NotFound,
        (413, _) => ModelErrorKind.RequestTooLarge,
        (429, _) => ModelErrorKind.RateLimited,
        (408, _) or (504, _) => ModelErrorKind.Timeout,
        (503, _) or (529, _) => ModelErrorKind.Overloaded,
        (>= 400 and < 500, _) => ModelErrorKind.InvalidRequest,
        _ => ModelErrorKind.UpstreamError,
    };

    /// <summary>The HTTP status a client of <paramref name="clientFormat"/> gets for <paramref name="kind"/>.</summary>
    public static int StatusFor(WireFormat clientFormat, ModelErrorKind kind) => kind switch
    {
        ModelErrorKind.InvalidRequest => 400,
        ModelErrorKind.Authentication => 401,
        ModelErrorKind.PermissionDenied => 403,
        ModelErrorKind.NotFound => 404,
        ModelErrorKind.RequestTooLarge => 413,
        ModelErrorKind.RateLimited or ModelErrorKind.BudgetExceeded => 429,
        ModelErrorKind.Timeout => 504,
        ModelErrorKind.Overloaded => IsOpenAI(clientFormat) ? 503 : 529,
        _ => 502,
    };

    /// <summary>The <c>error.type</c> an Anthropic client gets for <paramref name="kind"/>.</summary>
    internal static string AnthropicType(ModelErrorKind kind) => kind switch
    {
        ModelErrorKind.InvalidRequest => "invalid_request_error",
        ModelErrorKind.Authentication => "authentication_error",
        ModelErrorKind.PermissionDenied => "permission_error",
        ModelErrorKind.NotFound => "not_found_error",
        ModelErrorKind.RequestTooLarge => "request_too_large",
        ModelErrorKind.RateLimited or ModelErrorKind.BudgetExceeded => "rate_limit_error",
        ModelErrorKind.Timeout => "timeout_error",
        ModelErrorKind.Overloaded => "overloaded_error",
        _ => "api_error",
    };

    /// <summary>The OpenAI <c>error.type</c> and default <c>error.code</c> for <paramref name="kind"/>.</summary>
    internal static (string Type, string? Code) OpenAITypeAndCode(ModelErrorKind kind) => kind switch
    {
        ModelErrorKind.InvalidRequest => ("invalid_request_error", null),
        ModelErrorKind.Authentication => ("authentication_error", "invalid_api_key"),
        ModelErrorKind.PermissionDenied => ("permission_error", "permission_denied"),
        ModelErrorKind.NotFound => ("invalid_request_error", "model_not_found"),
        ModelErrorKind.RequestTooLarge => ("invalid_request_error", "request_too_large"),
        ModelErrorKind.RateLimited => ("rate_limit_error", "rate_limit_exceeded"),
        ModelErrorKind.BudgetExceeded => ("insufficient_quota", "insufficient_quota"),
        ModelErrorKind.Timeout => ("timeout", "timeout"),
        ModelErrorKind.Overloaded => ("server_error", "overloaded"),
        _ => ("server_error", "upstream_error"),
    };

    internal static bool IsOpenAI(WireFormat format) => format != WireFormat.AnthropicMessages;

    /// <summary>Writes the error object a client of <paramref name="clientFormat"/> expects.</summary>
    internal static void WriteBody(Utf8JsonWriter writer, WireFormat clientFormat, ModelErrorKind kind, string message, string? code, string? param)
    {
        writer.WriteStartObject();
        if (IsOpenAI(clientFormat))
        {
            var (type, defaultCode) = OpenAITypeAndCode(kind);
            writer.WriteStartObject("error");
            writer.WriteString("message", message);
            writer.WriteString("type", type);
            if (param is null)
            {
                writer.WriteNull("param");
            }
            else
            {
                writer.WriteString("param", param);
            }

            if ((code ?? defaultCode) is { } c)
            {
                writer.WriteString("code", c);
            }
            else
            {
                writer.WriteNull("code");
            }

            writer.WriteEndObject();
        }
        else
        {
            writer.WriteString("type", "error");
            writer.WriteStartObject("error");
            writer.WriteString("type", AnthropicType(kind));
            writer.WriteString("message", message);
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    private static (int Status, byte[] Body) Create(WireFormat clientFormat, ModelErrorKind kind, string message, string? code, string? param)
    {
        ArgumentNullException.ThrowIfNull(message);
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteBody(writer, clientFormat, kind, message, code, param);
        }

        return (StatusFor(clientFormat, kind), buffer.WrittenSpan.ToArray());
    }

    private static string? GetString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
