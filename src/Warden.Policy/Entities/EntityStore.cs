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

    // Breadth-first over direct parents; a parent whose closure is already complete contributes it whole. This
    // stays correct when the data has cycles, which Cedar does not forbid.
    private void ComputeAncestors()
    {
        var done = new HashSet<EntityUid>();
        var queue = new Queue<EntityUid>();
        foreach (var e in _entities.Values)
        {
            var result = new HashSet<EntityUid>();
            foreach (var p in e.Parents)
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

                if (done.Contains(p))
                {
                    result.UnionWith(parent.Ancestors);
                    continue;
                }

                foreach (var gp in parent.Parents)
                {
                    queue.Enqueue(gp);
                }
            }

            e.Ancestors = result;
            done.Add(e.Uid);
        }
    }
}
