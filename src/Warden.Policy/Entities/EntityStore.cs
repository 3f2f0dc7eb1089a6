using Warden.Policy.Values;

namespace Warden.Policy.Entities;

/// <summary>
/// An immutable set of entities indexed by uid, with the ancestor relation closed transitively at construction
/// so that <c>in</c> is a single hash lookup at evaluation time.
/// </summary>
public sealed class EntityStore
{
    /// <summary>An empty store.</summary>
    public static readonly EntityStore Empty = new([]);

    private readonly Dictionary<EntityUid, Entity> _entities;

    /// <summary>Builds a store; later duplicates of a uid replace earlier ones.</summary>
    public EntityStore(IEnumerable<Entity> entities)
    {
        _entities = [];
        foreach (var e in entities)
        {
            _entities[e.Uid] = e;
        }

        ComputeAncestors();
    }

    /// <summary>All entities.</summary>
    public IEnumerable<Entity> All => _entities.Values;

    /// <summary>The number of entities.</summary>
    public int Count => _entities.Count;

    /// <summary>Looks up an entity.</summary>
    public bool TryGet(EntityUid uid, out Entity entity) => _entities.TryGetValue(uid, out entity!);

    /// <summary>Cedar's <c>in</c> on entities: reflexive and transitive.</summary>
    public bool IsIn(EntityUid child, EntityUid ancestor) =>
        child.Equals(ancestor) || (_entities.TryGetValue(child, out var e) && e.Ancestors.Contains(ancestor));

    private void ComputeAncestors()
    {
        var done = new HashSet<EntityUid>();
        foreach (var e in _entities.Values)
        {
            Close(e, done, []);
        }
    }

    private HashSet<EntityUid> Close(Entity e, HashSet<EntityUid> done, HashSet<EntityUid> visiting)
    {
        if (done.Contains(e.Uid) || !visiting.Add(e.Uid))
        {
            return e.Ancestors;
        }

        var result = new HashSet<EntityUid>();
        foreach (var p in e.Parents)
        {
            result.Add(p);
            if (_entities.TryGetValue(p, out var parent))
            {
                result.UnionWith(Close(parent, done, visiting));
            }
        }

        e.Ancestors = result;
        visiting.Remove(e.Uid);
        done.Add(e.Uid);
        return result;
    }
}
