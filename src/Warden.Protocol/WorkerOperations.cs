namespace Warden.Protocol;

/// <summary>
/// The worker's own operations, sent as tool calls but run by the worker outside the sandbox. Names beginning with
/// <c>warden.</c> are reserved: the server never offers them to a model.
/// </summary>
public static class WorkerOperations
{
    /// <summary>Commit the workspace and push the session's branch.</summary>
    public const string Publish = "warden.publish";

    /// <summary>The workspace's diff against its base commit.</summary>
    public const string Diff = "warden.diff";
}
