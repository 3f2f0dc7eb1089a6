using Warden.Protocol;

namespace Warden.Worker.Workspaces;

/// <summary>What <see cref="WorkspacePublisher"/> needs to know about a session's workspace.</summary>
/// <param name="SessionId">The session.</param>
/// <param name="Workspace">The workspace folder.</param>
/// <param name="BaseCommit">The commit the workspace was prepared at, or null for an empty workspace.</param>
/// <param name="Repository">The repository's URL (pushes go there, not to whatever <c>origin</c> says), or null.</param>
/// <param name="Credential">The session's Git credential, the one the clone used.</param>
public sealed record PublishTarget(string SessionId, string Workspace, string? BaseCommit, string? Repository, SessionCredential? Credential)
{
    /// <summary>Keeps the credential out of logs.</summary>
    public override string ToString() => $"PublishTarget {{ SessionId = {SessionId}, Workspace = {Workspace}, BaseCommit = {BaseCommit}, Repository = {Repository} }}";
}
