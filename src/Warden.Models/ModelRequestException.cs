namespace Warden.Models;

/// <summary>
/// A request the gateway cannot serve as asked (for instance a feature the target provider lacks). The message is
/// written for the API caller and holds no secret; <see cref="ModelErrors.Create(WireFormat, ModelRequestException)"/> turns it into an error body.
/// </summary>
public sealed class ModelRequestException : Exception
{
    /// <summary>A request error with <paramref name="kind"/> and, when one field is at fault, its name.</summary>
    public ModelRequestException(ModelErrorKind kind, string message, string? param = null)
        : base(message)
    {
        Kind = kind;
        Param = param;
    }

    /// <summary>An invalid-request error.</summary>
    public ModelRequestException(string message)
        : this(ModelErrorKind.InvalidRequest, message)
    {
    }

    /// <summary>An invalid-request error caused by <paramref name="innerException"/>.</summary>
    public ModelRequestException(string message, Exception innerException)
        : base(message, innerException)
    {
        Kind = ModelErrorKind.InvalidRequest;
    }

    /// <summary>An invalid-request error with no message of its own.</summary>
    public ModelRequestException()
        : this(ModelErrorKind.InvalidRequest, "The request is not valid.")
    {
    }

    /// <summary>What kind of error this is.</summary>
    public ModelErrorKind Kind { get; }

    /// <summary>The request field at fault (for example <c>n</c> or <c>messages[2].content[0]</c>), when known.</summary>
    public string? Param { get; }
}
