namespace Warden.ScriptedGit;

/// <summary>A pull (or merge) request opened on the scripted Git host, as recorded for assertions.</summary>
/// <param name="Api">The API it was opened through.</param>
/// <param name="Project">The repository's path, e.g. <c>acme/api</c>.</param>
/// <param name="Number">Its number in the repository (GitHub and Gitea <c>number</c>, GitLab <c>iid</c>), from 1.</param>
/// <param name="Head">The branch with the changes (GitHub <c>head</c>, GitLab <c>source_branch</c>).</param>
/// <param name="Base">The branch to merge into (GitHub <c>base</c>, GitLab <c>target_branch</c>).</param>
/// <param name="Title">Its title.</param>
/// <param name="Body">Its description (GitHub and Gitea <c>body</c>, GitLab <c>description</c>).</param>
/// <param name="Url">Its web address as the API reports it.</param>
/// <param name="Open">Whether it is open.</param>
/// <param name="CreatedAt">When it was opened.</param>
public sealed record ScriptedPullRequest(
    PullRequestApi Api, string Project, int Number, string Head, string Base, string Title, string Body, Uri Url, bool Open, DateTimeOffset CreatedAt);
