namespace Warden.Worker;

/// <summary>
/// The server refused the worker for a reason retrying cannot fix (an unknown, revoked or expired join token, a pool
/// mix-up, an unsupported protocol version). The worker stops instead of reconnecting.
/// </summary>
public sealed class WorkerRejectedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public WorkerRejectedException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public WorkerRejectedException(string message, Exception inner) : base(message, inner)
    {
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public WorkerRejectedException() : base("The server refused this worker.")
    {
    }
}
