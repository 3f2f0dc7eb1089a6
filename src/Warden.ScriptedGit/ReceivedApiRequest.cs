namespace Warden.ScriptedGit;

/// <summary>A request to one of the pull-request APIs, as received (kept for assertions on headers and bodies).</summary>
/// <param name="Api">Which API the path belongs to.</param>
/// <param name="Method">The HTTP method.</param>
/// <param name="Path">The raw path, still percent-encoded (e.g. <c>/api/v4/projects/acme%2Fapi/merge_requests</c>).</param>
/// <param name="Query">The raw query without <c>?</c>.</param>
/// <param name="Headers">Request headers (names in lower case).</param>
/// <param name="Body">The body as text.</param>
/// <param name="Status">The status the host answered with.</param>
public sealed record ReceivedApiRequest(
    PullRequestApi Api, string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, string Body, int Status);
