namespace Warden.Server.Workers;

/// <summary>A dispatch that could not be done. The message is written for the session's owner and holds no secret.</summary>
public sealed class WorkerDispatchException : Exception
{
    /// <summary>Creates the exception.</summary>
    public WorkerDispatchException(WorkerDispatchError error, string message) : base(message) => Error = error;

    /// <summary>Creates the exception.</summary>
    public WorkerDispatchException() : base("The worker dispatch failed.") => Error = WorkerDispatchError.SessionFailed;

    /// <summary>Creates the exception.</summary>
    public WorkerDispatchException(string message) : base(message) => Error = WorkerDispatchError.SessionFailed;

    /// <summary>Creates the exception.</summary>
    public WorkerDispatchException(string message, Exception inner) : base(message, inner) => Error = WorkerDispatchError.SessionFailed;

    /// <summary>Why.</summary>
    public WorkerDispatchError Error { get; }
}
