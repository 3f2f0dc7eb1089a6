using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Warden.Data;

namespace Warden.Server.Api;

/// <summary>
/// Writes RFC 9457 problem documents. Each kind of failure has a stable <c>type</c>, <c>urn:warden:problem:&lt;slug&gt;</c>,
/// that clients may switch on; <c>detail</c> is written for a person and never holds a secret.
/// </summary>
public static class Problems
{
    /// <summary>The media type of problem documents.</summary>
    public const string ContentType = "application/problem+json";

    // Problem documents are JSON, never HTML, so quotes and angle brackets need no escaping and stay readable.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The stable type of a problem that only has an HTTP status (routing, body limits).</summary>
    public static string TypeForStatus(int status) => status switch
    {
        404 => "urn:warden:problem:not-found",
        405 => "urn:warden:problem:method-not-allowed",
        413 => "urn:warden:problem:too-large",
        415 => "urn:warden:problem:unsupported-media-type",
        _ => $"urn:warden:problem:http-{status}",
    };

    /// <summary>Status, stable type and title for a failure kind.</summary>
    public static (int Status, string Type, string Title) Describe(WardenErrorKind kind) => kind switch
    {
        WardenErrorKind.Validation => (400, "urn:warden:problem:validation", "The request is not valid."),
        WardenErrorKind.Unauthenticated => (401, "urn:warden:problem:unauthenticated", "Authentication is required."),
        WardenErrorKind.Forbidden => (403, "urn:warden:problem:forbidden", "Not allowed."),
        WardenErrorKind.NotFound => (404, "urn:warden:problem:not-found", "Not found."),
        WardenErrorKind.Conflict => (409, "urn:warden:problem:conflict", "Conflict."),
        WardenErrorKind.RateLimited => (429, "urn:warden:problem:rate-limited", "Too many requests."),
        WardenErrorKind.Upstream => (502, "urn:warden:problem:upstream", "A service Warden called failed."),
        _ => (500, "urn:warden:problem:internal", "Internal error."),
    };

    /// <summary>Writes a problem for a known failure kind.</summary>
    public static Task WriteAsync(HttpContext context, WardenErrorKind kind, string detail, IReadOnlyList<string>? errors = null)
    {
        var (status, type, title) = Describe(kind);
        return WriteAsync(context, status, type, title, detail, errors);
    }

    /// <summary>Writes a problem document with the given fields.</summary>
    public static async Task WriteAsync(HttpContext context, int status, string type, string title, string? detail, IReadOnlyList<string>? errors = null)
    {
        if (context.Response.HasStarted)
        {
            return;
        }

        context.Response.StatusCode = status;
        context.Response.ContentType = ContentType;
        await using var writer = new Utf8JsonWriter(context.Response.Body, WriterOptions);
        writer.WriteStartObject();
        writer.WriteString("type", type);
        writer.WriteString("title", title);
        writer.WriteNumber("status", status);
        if (detail is not null)
        {
            writer.WriteString("detail", detail);
        }

        if (errors is { Count: > 0 })
        {
            writer.WriteStartArray("errors");
            foreach (var e in errors)
            {
                writer.WriteStringValue(e);
            }

            writer.WriteEndArray();
        }

        writer.WriteString("instance", context.Request.Path.Value);
        writer.WriteString("traceId", context.TraceIdentifier);
        writer.WriteEndObject();
        await writer.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }
}
