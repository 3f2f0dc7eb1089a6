namespace Warden.Sandbox.Tools;

/// <summary>
/// A workspace tool refused or failed. The message is written for the model that called the tool: it names the
/// workspace-relative path and what to do differently, and never a host path outside the workspace.
/// </summary>
public sealed class WorkspaceToolException : Exception
{
    /// <summary>Creates the exception.</summary>
    public WorkspaceToolException(WorkspaceToolError error, string message)
        : base(message)
    {
        Error = error;
    }

    /// <summary>Creates the exception with the error that caused it.</summary>
    public WorkspaceToolException(WorkspaceToolError error, string message, Exception innerException)
        : base(message, innerException)
    {
        Error = error;
    }

    /// <summary>What kind of failure it is.</summary>
    public WorkspaceToolError Error { get; }
}
