namespace Warden.Data.Workers;

/// <summary>What a valid join token admits a worker to.</summary>
/// <param name="TokenId">The token.</param>
/// <param name="PoolId">Its pool.</param>
/// <param name="PoolName">The pool's name.</param>
/// <param name="OrgId">The pool's org.</param>
/// <param name="OrgName">The org's name.</param>
public sealed record JoinTokenIdentity(string TokenId, string PoolId, string PoolName, string OrgId, string OrgName);
