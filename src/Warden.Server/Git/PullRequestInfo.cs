namespace Warden.Server.Git;

/// <summary>A pull (or merge) request on a Git host, as its API reported it.</summary>
/// <param name="Number">Its number in the repository (GitHub and Gitea <c>number</c>, GitLab <c>iid</c>).</param>
/// <param name="Url">Its web page.</param>
/// <param name="State">The host's state word (<c>open</c>, <c>opened</c>, ...).</param>
/// <param name="Head">The branch with the changes.</param>
/// <param name="Base">The branch it merges into.</param>
/// <param name="Created">True when this call opened it; false when one was already open for the same branches and is returned instead.</param>
public sealed record PullRequestInfo(int Number, Uri Url, string State, string Head, string Base, bool Created);
