namespace Warden.Models;

/// <summary>What the gateway does when <see cref="PromptInspector"/> finds secrets or personal data in a prompt.</summary>
public enum InspectionMode
{
    /// <summary>No inspection.</summary>
    Off,

    /// <summary>Record findings; forward the prompt unchanged.</summary>
    Monitor,

    /// <summary>Replace each finding with <c>[REDACTED:kind]</c> before forwarding.</summary>
    Redact,

    /// <summary>Reject the request.</summary>
    Block,
}
