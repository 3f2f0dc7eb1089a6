namespace Warden.Protocol;

/// <summary>
/// A short-lived credential the server minted for one session's Git access. The worker process uses it outside the
/// sandbox and never writes it into the workspace, its Git configuration or a process command line.
/// </summary>
public sealed record SessionCredential
{
    /// <summary><c>basic</c> (user name and password through <c>GIT_ASKPASS</c>) or <c>bearer</c> (an <c>Authorization</c> header).</summary>
    public string Kind { get; init; } = CredentialKinds.Basic;

    /// <summary>The user name for <c>basic</c> (many Git hosts accept any, e.g. <c>x-access-token</c>).</summary>
    public string? Username { get; init; }

    /// <summary>The password or token. Never logged.</summary>
    public required string Secret { get; init; }

    /// <summary>When the credential stops working.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>Keeps the secret out of logs and exception messages that print records.</summary>
    public override string ToString() => $"SessionCredential {{ Kind = {Kind}, Username = {Username}, Secret = ***, ExpiresAt = {ExpiresAt:O} }}";
}
