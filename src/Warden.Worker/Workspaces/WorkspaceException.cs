namespace Warden.Worker.Workspaces;

/// <summary>A workspace could not be prepared. The message is written for the session's owner and never holds the credential.</summary>
public sealed class WorkspaceException : Exception
{
    /// <summary>Creates the exception.</summary>
    public WorkspaceException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public WorkspaceException(string message, Exception inner) : base(message, inner)
    {
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public WorkspaceException() : base("The workspace could not be prepared.")
    {
    }
}
