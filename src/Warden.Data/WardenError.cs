namespace Warden.Data;

/// <summary>
/// Expected failures a store reports to its caller. The HTTP edge maps each to a problem+json <c>type</c>
/// (<c>urn:warden:problem:&lt;kind&gt;</c>) and status; the CLI prints the message on one line.
/// </summary>
public enum WardenErrorKind
{
    /// <summary>400: the input is malformed or breaks a rule.</summary>
    Validation,

    /// <summary>404: it does not exist, or the actor may not see it (existence does not leak).</summary>
    NotFound,

    /// <summary>403: the actor can see it but may not do this.</summary>
    Forbidden,

    /// <summary>409: a name is taken or the state does not allow the change.</summary>
    Conflict,

    /// <summary>401: credentials missing, wrong, expired or revoked.</summary>
    Unauthenticated,

    /// <summary>429: too many attempts; try later.</summary>
    RateLimited,

    /// <summary>502: a service Warden called on the caller's behalf (a Git host's API) refused or failed; the message says which and why.</summary>
    Upstream,
}

/// <summary>An expected failure with a message written for the person or program that made the request; never holds a secret.</summary>
public sealed class WardenException(WardenErrorKind kind, string message) : Exception(message)
{
    /// <summary>What went wrong, for mapping to a status and problem type.</summary>
    public WardenErrorKind Kind { get; } = kind;

    /// <summary>For <see cref="WardenErrorKind.RateLimited"/>: how long the caller should wait (the Retry-After header).</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>Every problem when there are several (a policy bundle's validation errors); the message names the first.</summary>
    public IReadOnlyList<string>? Errors { get; init; }

    /// <summary>404 for an entity, worded the same whether it is missing or hidden.</summary>
    public static WardenException NotFound(string what, string name) => new(WardenErrorKind.NotFound, $"{what} '{name}' was not found.");

    /// <summary>403 with the reason.</summary>
    public static WardenException Forbidden(string message) => new(WardenErrorKind.Forbidden, message);

    /// <summary>400 with the reason.</summary>
    public static WardenException Invalid(string message) => new(WardenErrorKind.Validation, message);

    /// <summary>409 with the reason.</summary>
    public static WardenException Conflict(string message) => new(WardenErrorKind.Conflict, message);

    /// <summary>502: an upstream service (a Git host) answered with an error or could not be reached.</summary>
    public static WardenException Upstream(string message) => new(WardenErrorKind.Upstream, message);
}
