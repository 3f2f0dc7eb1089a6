using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Warden.ScriptedModel.Wire;

/// <summary>
/// The providers' error responses: OpenAI <c>{"error":{"message","type","param","code"}}</c>, Azure's
/// <c>{"error":{"code","message"}}</c> for gateway-level failures, Anthropic
/// <c>{"type":"error","error":{"type","message"},"request_id"}</c>, Bedrock <c>{"message"}</c> with
/// <c>x-amzn-ErrorType</c>.
/// </summary>
internal static class ProviderErrors
{
    private static long _requestIds;

    /// <summary>The error a provider sends for <paramref name="status"/>, with its usual wording unless <paramref name="message"/> is given.</summary>
    public static ProviderError ForStatus(ProviderFamily family, int status, string? message = null) => family switch
    {
        ProviderFamily.Anthropic => Anthropic(status, message),
        ProviderFamily.Bedrock => Bedrock(status, message),
        _ => OpenAI(status, message),
    };

    /// <summary>Writes <paramref name="error"/> as <paramref name="family"/> would.</summary>
    public static async Task WriteAsync(HttpContext context, ProviderFamily family, ProviderError error, string? retryAfter = null)
    {
        var response = context.Response;
        response.StatusCode = error.Status;
        response.ContentType = "application/json";
        if (retryAfter is not null)
        {
            response.Headers.RetryAfter = retryAfter;
        }

        var requestId = "req_scripted" + Interlocked.Increment(ref _requestIds).ToString("x8", CultureInfo.InvariantCulture);
        using (var w = new Utf8JsonWriter(response.BodyWriter, JsonWriting.Options))
        {
            switch (family)
            {
                case ProviderFamily.Anthropic:
                    response.Headers["request-id"] = requestId;
                    w.WriteStartObject();
                    w.WriteString("type", "error");
                    w.WriteStartObject("error");
                    w.WriteString("type", error.Type);
                    w.WriteString("message", error.Message);
                    w.WriteEndObject();
                    w.WriteString("request_id", requestId);
                    w.WriteEndObject();
                    break;
                case ProviderFamily.Bedrock:
                    response.Headers["x-amzn-RequestId"] = requestId;
                    response.Headers["x-amzn-ErrorType"] = error.Type + ":http://internal.amazon.com/coral/com.amazon.bedrock/";
                    w.WriteStartObject();
                    w.WriteString("message", error.Message);
                    w.WriteEndObject();
                    break;
                case ProviderFamily.AzureOpenAI when error.Status is 401 or 404 or 429:
                    // Azure's API management layer answers these itself, in its own shape.
                    response.Headers["apim-request-id"] = requestId;
                    w.WriteStartObject();
                    w.WriteStartObject("error");
                    w.WriteString("code", error.Status.ToString(CultureInfo.InvariantCulture));
                    w.WriteString("message", error.Message);
                    w.WriteEndObject();
                    w.WriteEndObject();
                    break;
                default:
                    response.Headers["x-request-id"] = requestId;
                    w.WriteStartObject();
                    w.WriteStartObject("error");
                    w.WriteString("message", error.Message);
                    WriteStringOrNull(w, "type", error.Type);
                    WriteStringOrNull(w, "param", error.Param);
                    WriteStringOrNull(w, "code", error.Code);
                    w.WriteEndObject();
                    w.WriteEndObject();
                    break;
            }
        }

        await response.BodyWriter.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>OpenAI's answer to a request without an API key.</summary>
    public static ProviderError OpenAIMissingKey() => new(401,
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username and password. You can obtain an API key from https://platform.openai.com/account/api-keys.",
        "invalid_request_error");

    /// <summary>OpenAI's answer to a wrong API key (the key masked as OpenAI masks it).</summary>
    public static ProviderError OpenAIWrongKey(string key) => new(401,
        $"Incorrect API key provided: {Mask(key)}. You can find your API key at https://platform.openai.com/account/api-keys.",
        "invalid_request_error", Code: "invalid_api_key");

    /// <summary>Azure's answer to a missing or wrong key.</summary>
    public static ProviderError AzureAccessDenied() => new(401,
        "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.",
        null);

    /// <summary>OpenAI's answer to a body that is not JSON.</summary>
    public static ProviderError OpenAIInvalidJson() => new(400,
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)",
        "invalid_request_error");

    /// <summary>OpenAI's answer to a missing required parameter.</summary>
    public static ProviderError OpenAIMissingParameter(string name) => name == "model"
        ? new(400, "you must provide a model parameter", "invalid_request_error")
        : new(400, $"Missing required parameter: '{name}'.", "invalid_request_error", name, "missing_required_parameter");

    /// <summary>OpenAI's answer to an unknown model.</summary>
    public static ProviderError OpenAIUnknownModel(string model) => new(404,
        $"The model `{model}` does not exist or you do not have access to it.", "invalid_request_error", Code: "model_not_found");

    private static ProviderError OpenAI(int status, string? message) => status switch
    {
        401 => new(401, message ?? "Incorrect API key provided.", "invalid_request_error", Code: "invalid_api_key"),
        403 => new(403, message ?? "You are not allowed to sample from this model.", "invalid_request_error"),
        404 => new(404, message ?? "The model does not exist or you do not have access to it.", "invalid_request_error", Code: "model_not_found"),
        413 => new(413, message ?? "Request too large.", "invalid_request_error"),
        429 => new(429, message ?? "Rate limit reached for requests. Please try again later.", "requests", Code: "rate_limit_exceeded"),
        503 => new(503, message ?? "The engine is currently overloaded, please try again later.", "server_error"),
        >= 500 => new(status, message ?? "The server had an error while processing your request. Sorry about that!", "server_error"),
        _ => new(status, message ?? "The request is invalid.", "invalid_request_error"),
    };

    private static ProviderError Anthropic(int status, string? message) => status switch
    {
        401 => new(401, message ?? "invalid x-api-key", "authentication_error"),
        402 => new(402, message ?? "Your credit balance is too low to access the Anthropic API.", "billing_error"),
        403 => new(403, message ?? "Your API key does not have permission to use the specified resource.", "permission_error"),
        404 => new(404, message ?? "The requested resource could not be found.", "not_found_error"),
        413 => new(413, message ?? "Request exceeds the maximum allowed number of bytes.", "request_too_large"),
        429 => new(429, message ?? "Number of requests has exceeded your rate limit. Please try again later.", "rate_limit_error"),
        504 => new(504, message ?? "Request timed out.", "timeout_error"),
        529 => new(529, message ?? "Overloaded", "overloaded_error"),
        >= 500 => new(status, message ?? "Internal server error", "api_error"),
        _ => new(status, message ?? "Invalid request.", "invalid_request_error"),
    };

    private static ProviderError Bedrock(int status, string? message) => status switch
    {
        403 => new(403, message ?? "You don't have access to the model with the specified model ID.", "AccessDeniedException"),
        404 => new(404, message ?? "The specified model could not be found.", "ResourceNotFoundException"),
        408 => new(408, message ?? "Model has timed out in processing the request.", "ModelTimeoutException"),
        424 => new(424, message ?? "The model returned an error.", "ModelErrorException"),
        429 => new(429, message ?? "Too many requests, please wait before trying again.", "ThrottlingException"),
        503 => new(503, message ?? "Bedrock is unable to process your request.", "ServiceUnavailableException"),
        >= 500 => new(status, message ?? "The server encountered an error processing your request.", "InternalServerException"),
        _ => new(status, message ?? "The request is invalid.", "ValidationException"),
    };

    private static string Mask(string key) => key.Length <= 8 ? "***" : string.Concat(key.AsSpan(0, 3), "***", key.AsSpan(key.Length - 4));

    private static void WriteStringOrNull(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }
}
