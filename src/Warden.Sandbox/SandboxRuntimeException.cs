namespace Warden.Sandbox;

/// <summary>
/// The host cannot run sandboxes as asked: bubblewrap is missing or does not work, cgroups cannot be used, or a
/// session could not be set up. The message says what is wrong and holds no secret.
/// </summary>
public sealed class SandboxRuntimeException : Exception
{
    /// <summary>Creates the exception with a message for an operator.</summary>
    public SandboxRuntimeException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message for an operator and the error that caused it.</summary>
    public SandboxRuntimeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
