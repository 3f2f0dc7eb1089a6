namespace Warden.Policy.Values;

/// <summary>The runtime kinds of Cedar values.</summary>
public enum ValueKind
{
    /// <summary>A boolean.</summary>
    Bool,

    /// <summary>A signed 64-bit integer.</summary>
    Long,

    /// <summary>A string.</summary>
    String,

    /// <summary>An entity reference.</summary>
    Entity,

    /// <summary>A set of values.</summary>
    Set,

    /// <summary>A record (string-keyed map).</summary>
    Record,

    /// <summary>The decimal extension type.</summary>
    Decimal,

    /// <summary>The ipaddr extension type.</summary>
    IpAddr,

    /// <summary>The datetime extension type.</summary>
    Datetime,

    /// <summary>The duration extension type.</summary>
    Duration,
}
