namespace Warden.Models;

/// <summary>
/// An upstream stream broke: a malformed or corrupted frame, or an error the provider reported mid-stream. The
/// message describes the failure without secrets and may be shown to the API caller.
/// </summary>
public sealed class ModelStreamException : Exception
{
    /// <summary>A stream error.</summary>
    public ModelStreamException(string message)
        : base(message)
    {
    }

    /// <summary>A stream error caused by <paramref name="innerException"/>.</summary>
    public ModelStreamException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>A stream error with the provider's error type (for example Bedrock's <c>throttlingException</c>).</summary>
    public ModelStreamException(string message, string? errorType)
        : base(message)
    {
        ErrorType = errorType;
    }

    /// <summary>A stream error with no message of its own.</summary>
    public ModelStreamException()
        : base("The model stream was interrupted.")
    {
    }

    /// <summary>The provider's name for the error, when it sent one (Bedrock <c>:exception-type</c>, Anthropic <c>error.type</c>).</summary>
    public string? ErrorType { get; }

    /// <summary>The error kind to report to the client.</summary>
    public ModelErrorKind Kind => ErrorType switch
    {
        "throttlingException" or "rate_limit_error" => ModelErrorKind.RateLimited,
        "serviceUnavailableException" or "overloaded_error" => ModelErrorKind.Overloaded,
        "modelTimeoutException" or "timeout_error" => ModelErrorKind.Timeout,
        "validationException" or "invalid_request_error" => ModelErrorKind.InvalidRequest,
        _ => ModelErrorKind.UpstreamError,
    };
}
