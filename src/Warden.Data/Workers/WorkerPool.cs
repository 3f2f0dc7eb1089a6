namespace Warden.Data.Workers;

/// <summary>A pool of workers in an org: sessions are assigned within a pool, by labels and free capacity.</summary>
/// <param name="Id">Stable id (<c>pool_...</c>).</param>
/// <param name="OrgId">The org.</param>
/// <param name="Name">Name, unique in the org.</param>
/// <param name="Description">What the pool is for.</param>
/// <param name="Labels">Labels every worker of the pool is taken to have (a worker's own labels add to them).</param>
/// <param name="CreatedBy">Who created it.</param>
/// <param name="CreatedAt">When.</param>
/// <param name="Workers">Workers registered in the pool (any state).</param>
/// <param name="ActiveTokens">Join tokens neither revoked nor expired.</param>
public sealed record WorkerPool(string Id, string OrgId, string Name, string Description, IReadOnlyDictionary<string, string> Labels,
    string CreatedBy, DateTimeOffset CreatedAt, int Workers, int ActiveTokens);
