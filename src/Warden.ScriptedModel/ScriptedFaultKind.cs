namespace Warden.ScriptedModel;

/// <summary>How a scripted turn misbehaves; see <see cref="ScriptedFault"/>.</summary>
public enum ScriptedFaultKind
{
    /// <summary>The turn is answered normally.</summary>
    None,

    /// <summary>An HTTP error status with the provider's own error body.</summary>
    Status,

    /// <summary>No answer at all until the client goes away (or the server stops).</summary>
    Hang,

    /// <summary>The connection is aborted before any response is written.</summary>
    ResetConnection,

    /// <summary>A 200 response whose body is not what the API promises (not JSON, or not a valid event).</summary>
    Garbage,

    /// <summary>A response that starts normally and is aborted after a number of chunks.</summary>
    StreamCut,
}
