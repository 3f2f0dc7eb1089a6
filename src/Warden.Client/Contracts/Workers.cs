using System.Text.Json.Serialization;

namespace Warden.Client.Contracts;

// The worker API's JSON shapes (pools, join tokens, workers), one file like the other API areas.

/// <summary>A worker pool.</summary>
/// <param name="Id">Stable id.</param>
/// <param name="Name">Name, unique in the org.</param>
/// <param name="Description">What it is for.</param>
/// <param name="Labels">Labels all its workers are taken to have.</param>
/// <param name="Workers">Workers registered in it (any state).</param>
/// <param name="Connected">Workers connected now.</param>
/// <param name="ActiveTokens">Join tokens neither revoked nor expired.</param>
/// <param name="CreatedBy">Who created it.</param>
/// <param name="CreatedAt">When.</param>
public sealed record PoolDto(string Id, string Name, string Description, IReadOnlyDictionary<string, string> Labels, int Workers, int Connected,
    int ActiveTokens, string CreatedBy, DateTimeOffset CreatedAt);

/// <summary><c>POST /api/v1/orgs/{org}/pools</c>.</summary>
/// <param name="Name">Lower-case letters, digits and hyphens.</param>
/// <param name="Description">What the pool is for.</param>
/// <param name="Labels">Labels all its workers are taken to have.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record CreatePoolRequest(string Name, string? Description = null, IReadOnlyDictionary<string, string>? Labels = null);

/// <summary>A pool join token's public facts.</summary>
/// <param name="Id">Stable id (used to revoke it).</param>
/// <param name="Pool">The pool.</param>
/// <param name="Name">What it is for.</param>
/// <param name="Prefix">The secret's first characters.</param>
/// <param name="State">active, expired or revoked.</param>
/// <param name="CreatedBy">Who minted it.</param>
/// <param name="CreatedAt">When.</param>
/// <param name="ExpiresAt">Expiry, or null.</param>
/// <param name="RevokedAt">Revocation, or null.</param>
/// <param name="LastUsedAt">Last worker connection with it.</param>
public sealed record JoinTokenDto(string Id, string Pool, string Name, string Prefix, string State, string CreatedBy, DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt, DateTimeOffset? LastUsedAt);

/// <summary><c>POST /api/v1/orgs/{org}/pools/{pool}/tokens</c>. <see cref="ExpiresInDays"/> null means no expiry.</summary>
/// <param name="Name">What the token is for (e.g. the machine or the deployment).</param>
/// <param name="ExpiresInDays">Lifetime in days.</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record CreateJoinTokenRequest(string Name, int? ExpiresInDays = null);

/// <summary>A new join token; <see cref="Secret"/> is shown this once.</summary>
/// <param name="Token">Its public facts.</param>
/// <param name="Secret">The secret, <c>wjt_...</c>, for <c>warden worker --token</c>.</param>
public sealed record CreatedJoinTokenDto(JoinTokenDto Token, string Secret);

/// <summary>A worker, with its live state and load.</summary>
/// <param name="Id">Stable id.</param>
/// <param name="Name">Its name.</param>
/// <param name="Pool">Its pool.</param>
/// <param name="State">online, draining, lost or offline.</param>
/// <param name="StateReason">Why it is lost, offline or draining.</param>
/// <param name="Version">Its software version.</param>
/// <param name="Labels">Its own labels.</param>
/// <param name="Capacity">Sessions it runs at once.</param>
/// <param name="Running">Sessions bound to it now.</param>
/// <param name="Load">Host load per core at the last heartbeat.</param>
/// <param name="Sandboxed">False when it runs sessions without a sandbox.</param>
/// <param name="Connected">True while connected.</param>
/// <param name="ConnectedAt">Start of the current or last connection.</param>
/// <param name="LastHeartbeatAt">Last heartbeat.</param>
/// <param name="DisconnectedAt">End of the last connection.</param>
public sealed record WorkerDto(string Id, string Name, string Pool, string State, string? StateReason, string Version, IReadOnlyDictionary<string, string> Labels,
    int Capacity, int Running, double Load, bool Sandboxed, bool Connected, DateTimeOffset? ConnectedAt, DateTimeOffset? LastHeartbeatAt, DateTimeOffset? DisconnectedAt);

/// <summary>A session bound to a worker.</summary>
/// <param name="SessionId">The session.</param>
/// <param name="State">assigned, ready, failed or ended.</param>
/// <param name="Reason">Why it failed or ended.</param>
/// <param name="Repository">The repository cloned for it.</param>
/// <param name="CreatedAt">Assignment time.</param>
/// <param name="UpdatedAt">Last change.</param>
public sealed record WorkerSessionDto(string SessionId, string State, string? Reason, string? Repository, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary><c>GET /api/v1/orgs/{org}/workers/{id}</c>: the worker and its recent sessions.</summary>
/// <param name="Worker">The worker.</param>
/// <param name="Sessions">Its sessions, newest first.</param>
public sealed record WorkerDetailDto(WorkerDto Worker, IReadOnlyList<WorkerSessionDto> Sessions);
