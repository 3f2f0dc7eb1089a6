using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Warden.Data;

namespace Warden.Server.Api;

/// <summary>
/// Turns exceptions into problem documents at the HTTP edge: expected failures (<see cref="WardenException"/>) with
/// their own status, malformed or oversize requests as 400/413 with the reason, anything else as a 500 that says
/// nothing about internals (the details go to the log under the trace id).
/// </summary>
public sealed partial class ProblemExceptionHandler(ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    /// <inheritdoc />
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        switch (exception)
        {
            case WardenException e:
                // Set here, not where the exception was thrown: the exception-handler middleware clears headers first.
                if (e.RetryAfter is { } wait)
                {
                    context.Response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                }

                await Problems.WriteAsync(context, e.Kind, e.Message, e.Errors).ConfigureAwait(false);
                return true;
            case BadHttpRequestException e when e.StatusCode == StatusCodes.Status413PayloadTooLarge:
                await Problems.WriteAsync(context, 413, "urn:warden:problem:too-large", "The request body is too large.", e.Message).ConfigureAwait(false);
                return true;
            case BadHttpRequestException e:
                await Problems.WriteAsync(context, WardenErrorKind.Validation, Describe(e)).ConfigureAwait(false);
                return true;
            case JsonException e:
                await Problems.WriteAsync(context, WardenErrorKind.Validation, "The request body is not valid JSON: " + e.Message).ConfigureAwait(false);
                return true;
            case OperationCanceledException when context.RequestAborted.IsCancellationRequested:
                return true;
            default:
                LogUnhandled(logger, exception, context.TraceIdentifier);
                await Problems.WriteAsync(context, 500, "urn:warden:problem:internal", "Internal error.",
                    $"Something went wrong on the server. Quote trace id {context.TraceIdentifier} to the operator.").ConfigureAwait(false);
                return true;
        }
    }

    private static string Describe(BadHttpRequestException e)
    {
        // Binding failures wrap the JSON reader's own message, which names the field and position: the useful part.
        for (Exception? inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is JsonException json)
            {
                return "The request body is not valid: " + json.Message;
            }
        }

        // The framework's wording for a missing body speaks to developers of the server, not to API clients.
        return e.Message.Contains("no body was provided", StringComparison.Ordinal) ? "A JSON request body is required." : e.Message;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error (trace {TraceId})")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string traceId);
}
