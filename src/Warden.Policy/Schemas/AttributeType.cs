namespace Warden.Policy.Schemas;

/// <summary>An attribute's type and whether it is required.</summary>
/// <param name="Type">The attribute type.</param>
/// <param name="Required">False for optional (<c>?</c>) attributes.</param>
public sealed record AttributeType(CedarType Type, bool Required);
