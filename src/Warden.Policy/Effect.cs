namespace Warden.Policy;

/// <summary>A policy's effect.</summary>
public enum Effect
{
    /// <summary>Allows the request when satisfied.</summary>
    Permit,

    /// <summary>Denies the request when satisfied; wins over permits.</summary>
    Forbid,
}
