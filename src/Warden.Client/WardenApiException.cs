namespace Warden.Client;

/// <summary>The server answered with an error; <see cref="Exception.Message"/> is its problem detail, one line.</summary>
public sealed class WardenApiException(int status, string? problemType, string message) : Exception(message)
{
    /// <summary>The HTTP status code.</summary>
    public int Status { get; } = status;

    /// <summary>The problem <c>type</c>, e.g. <c>urn:warden:problem:not-found</c>.</summary>
    public string? ProblemType { get; } = problemType;

    /// <summary>Every problem the server listed (a policy bundle's validation errors, say).</summary>
    public IReadOnlyList<string> Errors { get; init; } = [];
}
