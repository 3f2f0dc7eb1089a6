using System.Text.Json.Serialization;

namespace Warden.Protocol;

/// <summary>
/// The arguments of <see cref="WorkerOperations.Publish"/> (JSON, snake_case):
/// <c>{"branch", "message", "author_name", "author_email", "trailers"?, "remote_base"?}</c>.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record PublishRequest
{
    /// <summary>The branch to push, <c>warden/...</c> (for example <c>warden/ses_123</c>); must pass <c>git check-ref-format</c>.</summary>
    public required string Branch { get; init; }

    /// <summary>The commit message: a subject line, optionally a blank line and a body. Trailers are appended by the worker.</summary>
    public required string Message { get; init; }

    /// <summary>The commit's author name (the agent and the person who asked, e.g. <c>Warden agent for Ada Lovelace</c>).</summary>
    public required string AuthorName { get; init; }

    /// <summary>The commit's author e-mail.</summary>
    public required string AuthorEmail { get; init; }

    /// <summary>Trailers appended to the message in this order, name → value (e.g. <c>Warden-Session</c>, <c>Requested-by</c>).</summary>
    public IReadOnlyDictionary<string, string>? Trailers { get; init; }

    /// <summary>
    /// The ref the branch will be proposed against (e.g. <c>main</c>), for the record: it is validated and echoed in the
    /// result. The change is measured against the commit the session started from, which is where that ref was then.
    /// </summary>
    public string? RemoteBase { get; init; }
}
