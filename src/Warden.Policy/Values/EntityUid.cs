namespace Warden.Policy.Values;

/// <summary>
/// An entity reference such as <c>Ns::User::"alice"</c>: an entity type name and an id.
/// </summary>
public sealed class EntityUid : Value, IEquatable<EntityUid>
{
    private readonly int _hash;

    /// <summary>Creates an entity reference.</summary>
    public EntityUid(string type, string id)
    {
        Type = type;
        Id = id;
        _hash = HashCode.Combine(StringComparer.Ordinal.GetHashCode(type), StringComparer.Ordinal.GetHashCode(id));
    }

    /// <summary>The fully qualified entity type name, e.g. <c>Ns::User</c>.</summary>
    public string Type { get; }

    /// <summary>The entity id.</summary>
    public string Id { get; }

    /// <inheritdoc />
    public override ValueKind Kind => ValueKind.Entity;

    /// <inheritdoc />
    public override bool Equals(Value? other) => other is EntityUid e && Equals(e);

    /// <summary>Uid equality; lets hash collections compare uids without virtual dispatch.</summary>
    public bool Equals(EntityUid? other) =>
        other is not null && (ReferenceEquals(this, other) || (other._hash == _hash && string.Equals(other.Type, Type, StringComparison.Ordinal) && string.Equals(other.Id, Id, StringComparison.Ordinal)));

    /// <inheritdoc />
    public override int GetHashCode() => _hash;

    /// <inheritdoc />
    public override string ToString() => Type + "::" + StringValue.Quote(Id);
}
