namespace Warden.Protocol;

/// <summary>A frame that is not a valid message of this protocol. The message names the problem, never the frame's content.</summary>
public sealed class ProtocolException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ProtocolException(string message, Exception? inner = null) : base(message, inner)
    {
    }

    /// <summary>Creates the exception with a generic message.</summary>
    public ProtocolException() : base("Not a valid protocol message.")
    {
    }

    /// <summary>Creates the exception.</summary>
    public ProtocolException(string message) : base(message)
    {
    }
}
