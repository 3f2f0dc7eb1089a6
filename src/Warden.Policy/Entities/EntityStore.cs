using Warden.Policy.Values;

namespace Warden.Policy.Entities;

/// <summary>
/// An immutable set of entities indexed by uid, with the ancestor relation closed transitively at construction
/// so that <c>in</c> is a single hash lookup at evaluation time. Entities are not modified, so the same
/// <see cref="Entity"/> objects can be shared between stores.
/// </summary>
public sealed class EntityStore
{
    /// <summary>An empty store.</summary>
    public static readonly EntityStore Empty = new([]);

    private readonly Dictionary<EntityUid, Stored> _entities;

    /// <summary>Builds a store; later duplicates of a uid replace earlier ones.</summary>
    public EntityStore(IEnumerable<Entity> entities)
    {
        _entities = [];
        foreach (var e in entities)
        {
            _entities[e.Uid] = new Stored(e);
        }

        ComputeAncestors();
    }

    /// <summary>All entities.</summary>
    public IEnumerable<Entity> All => _entities.Values.Select(s => s.Entity);

    /// <summary>The number of entities.</summary>
    public int Count => _entities.Count;

    /// <summary>Looks up an entity.</summary>
    public bool TryGet(EntityUid uid, out Entity entity)
    {
        if (_entities.TryGetValue(uid, out var s))
        {
            entity = s.Entity;
            return true;
        }

        entity = null!;
        return false;
    }

    /// <summary>Cedar's <c>in</c> on entities: reflexive and transitive.</summary>
    public bool IsIn(EntityUid child, EntityUid ancestor) =>
        child.Equals(ancestor) || (_entities.TryGetValue(child, out var s) && s.Ancestors.Contains(ancestor));

    /// <summary>Looks up an entity together with its ancestor closure (for the evaluation context).</summary>
    internal bool TryGetResolved(EntityUid uid, out Entity entity, out HashSet<EntityUid> ancestors)
    {
        if (_entities.TryGetValue(uid, out var s))
        {
            entity = s.Entity;
            ancestors = s.Ancestors;
            return true;
        }

        entity = null!;
        ancestors = null!;
        return false;
    }

    /// <summary>All ancestors of an entity (transitive closure of its parents); empty when it is not in the store.</summary>
    public IReadOnlySet<EntityUid> AncestorsOf(EntityUid uid) =>
        _entities.TryGetValue(uid, out var s) ? s.Ancestors : new HashSet<EntityUid>();

    // Breadth-first over direct parents; a parent whose closure is already complete contributes it whole. This
    // stays correct when the data has cycles, which Cedar does not forbid.
    private void ComputeAncestors()
    {
        var queue = new Queue<EntityUid>();
        foreach (var stored in _entities.Values)
        {
            var result = new HashSet<EntityUid>();
            foreach (var p in stored.Entity.Parents)
            {
                queue.Enqueue(p);
            }

            while (queue.Count > 0)
            {
                var p = queue.Dequeue();
                if (!result.Add(p) || !_entities.TryGetValue(p, out var parent))
                {
                    continue;
                }

                if (parent.Done)
                {
                    result.UnionWith(parent.Ancestors);
                    continue;
                }

                foreach (var gp in parent.Entity.Parents)
                {
                    queue.Enqueue(gp);
                }
            }

            stored.Ancestors = result;
            stored.Done = true;
        }
    }

    private sealed class Stored(Entity entity)
    {
        public Entity Entity { get; } = entity;

        public HashSet<EntityUid> Ancestors { get; set; } = [];

        public bool Done { get; set; }
    }
}
