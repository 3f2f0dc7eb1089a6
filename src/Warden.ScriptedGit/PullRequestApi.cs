namespace Warden.ScriptedGit;

/// <summary>The pull-request API a request to the scripted Git host used.</summary>
public enum PullRequestApi
{
    /// <summary>GitHub REST (<c>/api/v3/repos/{owner}/{repo}/pulls</c>, as on GitHub Enterprise Server).</summary>
    GitHub,

    /// <summary>GitLab REST v4 (<c>/api/v4/projects/{id}/merge_requests</c>).</summary>
    GitLab,

    /// <summary>Gitea and Forgejo REST v1 (<c>/api/v1/repos/{owner}/{repo}/pulls</c>).</summary>
    Gitea,
}
