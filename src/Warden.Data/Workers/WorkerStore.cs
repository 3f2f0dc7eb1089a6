using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Warden.Data.Audit;
using Warden.Data.Identity;
using Warden.Data.Security;

namespace Warden.Data.Workers;

/// <summary>
/// The worker registry and the sessions bound to workers. Members of an org read its workers; owners and admins drain
/// them. Registration, heartbeats, state changes and session bindings come from the server's worker gateway, a named
/// system actor: other actors are refused.
/// </summary>
public sealed class WorkerStore(ConnectionFactory connections, TimeProvider time, IAuditRecorder? audit = null)
{
    private readonly IAuditRecorder _audit = audit ?? NullAuditRecorder.Instance;

    private const string SelectWorkers =
        """
        SELECT w.id, w.org_id, p.name AS pool, w.pool_id, w.name, w.version, w.labels, w.capacity, w.sandboxed, w.state, w.state_reason,
               w.running, w.created_at, w.connected_at, w.last_heartbeat_at, w.disconnected_at, w.secret_hash
        FROM workers w JOIN worker_pools p ON p.id = w.pool_id
        """;

    private const string SelectSessions =
        "SELECT session_id, org_id, pool_id, worker_id, state, reason, repository, created_at, updated_at FROM worker_sessions";

    /// <summary>The org's workers (optionally of one pool), by pool and name.</summary>
    public async Task<IReadOnlyList<WorkerRecord>> ListAsync(Actor actor, string org, string? pool = null, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        var rows = await connection.QueryAsync<WorkerRow>(
            SelectWorkers + (pool is null ? " WHERE w.org_id = @OrgId" : " WHERE w.org_id = @OrgId AND p.name = @pool") + " ORDER BY p.name, w.name, w.id",
            new { access.OrgId, pool }).ConfigureAwait(false);
        return rows.Select(r => r.ToRecord()).ToList();
    }

    /// <summary>One worker of the org, or 404 (also for another org's worker).</summary>
    public async Task<WorkerRecord> GetAsync(Actor actor, string org, string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        return (await FindAsync(connection, access.OrgId, id).ConfigureAwait(false)).ToRecord();
    }

    /// <summary>The sessions a worker of the org holds or held, newest first.</summary>
    public async Task<IReadOnlyList<WorkerSessionRecord>> ListSessionsAsync(Actor actor, string org, string workerId, int limit = 50, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        await FindAsync(connection, access.OrgId, workerId).ConfigureAwait(false);
        var rows = await connection.QueryAsync<SessionRow>(
            SelectSessions + " WHERE worker_id = @workerId AND org_id = @OrgId ORDER BY created_at DESC LIMIT @limit",
            new { workerId, access.OrgId, limit = Math.Clamp(limit, 1, 500) }).ConfigureAwait(false);
        return rows.Select(r => r.ToRecord()).ToList();
    }

    /// <summary>
    /// Marks a connected worker draining (owners and admins) and records who asked; the caller then tells the worker.
    /// 409 when the worker is not connected.
    /// </summary>
    public async Task<WorkerRecord> RequestDrainAsync(Actor actor, string org, string id, CancellationToken cancellationToken = default)
    {
        WorkerRow row;
        await using (var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
            row = await FindAsync(connection, access.OrgId, id).ConfigureAwait(false);
            access.RequireManage();
            var state = WorkerStates.ParseWorker(row.State);
            if (state is not (WorkerState.Online or WorkerState.Draining))
            {
                throw WardenException.Conflict($"Worker '{row.Name}' is {state.ToName()}; only a connected worker can be drained.");
            }

            await connection.ExecuteAsync("UPDATE workers SET state = 'draining', state_reason = @reason WHERE id = @Id",
                new { row.Id, reason = $"drain requested by {actor.Name}" }).ConfigureAwait(false);
            row.State = "draining";
            row.StateReason = $"drain requested by {actor.Name}";
        }

        await _audit.RecordAsync(AuditDrafts.For(actor, row.OrgId, "worker.drain", "worker", row.Id,
            new Dictionary<string, string?> { ["name"] = row.Name, ["pool"] = row.Pool }), cancellationToken).ConfigureAwait(false);
        return row.ToRecord();
    }

    /// <summary>
    /// Registers a connecting worker (gateway only): an existing id of the token's pool is updated and set online (or
    /// draining); an unknown or missing id gets a new worker. A known id of another pool is refused (403), and so is a
    /// known id without its worker secret (401): a new worker is issued a secret (only its SHA-256 is kept), and
    /// reconnecting under that id needs it, so a holder of the pool's join token cannot take over another worker.
    /// </summary>
    public async Task<WorkerRegistered> RegisterAsync(Actor actor, WorkerRegistration registration, CancellationToken cancellationToken = default)
    {
        RequireSystem(actor);
        var labels = Labels.Require(registration.Labels);
        var now = Time.Ms(time.GetUtcNow());
        var state = registration.Draining ? "draining" : "online";
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        if (registration.WorkerId is { } existingId)
        {
            var existing = await connection.QuerySingleOrDefaultAsync<WorkerRow>(SelectWorkers + " WHERE w.id = @existingId", new { existingId }).ConfigureAwait(false);
            if (existing is not null)
            {
                if (existing.PoolId != registration.Token.PoolId)
                {
                    throw WardenException.Forbidden($"Worker '{existingId}' belongs to another pool than this join token's ('{registration.Token.PoolName}').");
                }

                string? issued = null;
                if (existing.SecretHash is { } expected)
                {
                    if (registration.Secret is not { } presented || !SecretMatches(presented, expected))
                    {
                        throw new WardenException(WardenErrorKind.Unauthenticated,
                            $"Worker '{existingId}' must present its own worker secret to reconnect under its id; the join token alone is not enough. " +
                            "If this machine lost its data folder's worker-secret file, delete its worker-id file to join as a new worker.");
                    }
                }
                else
                {
                    // Registered before workers had secrets: this connection gets one, and every later one needs it.
                    issued = TokenSecrets.NewWorkerSecret();
                }

                await connection.ExecuteAsync(
                    """
                    UPDATE workers SET name = @Name, version = @Version, labels = @labels, capacity = @Capacity, sandboxed = @sandboxed,
                        state = @state, state_reason = NULL, token_id = @tokenId, connected_at = @now, last_heartbeat_at = @now, disconnected_at = NULL,
                        secret_hash = COALESCE(secret_hash, @secretHash)
                    WHERE id = @existingId
                    """,
                    new
                    {
                        registration.Name, registration.Version, labels = Labels.ToJson(labels), registration.Capacity, sandboxed = registration.Sandboxed ? 1 : 0, state,
                        tokenId = registration.Token.TokenId, now, existingId, secretHash = issued is null ? null : TokenSecrets.Hash(issued),
                    }).ConfigureAwait(false);
                var updated = await connection.QuerySingleAsync<WorkerRow>(SelectWorkers + " WHERE w.id = @existingId", new { existingId }).ConfigureAwait(false);
                if (issued is not null && updated.SecretHash != TokenSecrets.Hash(issued))
                {
                    // Another connection under the same id was issued a secret at the same moment and won.
                    throw new WardenException(WardenErrorKind.Unauthenticated, $"Worker '{existingId}' was given a worker secret by another connection; reconnect with it.");
                }

                return new WorkerRegistered(updated.ToRecord(), issued);
            }
        }

        var id = Ids.New("wkr");
        var secret = TokenSecrets.NewWorkerSecret();
        await connection.ExecuteAsync(
            """
            INSERT INTO workers (id, org_id, pool_id, name, version, labels, capacity, sandboxed, state, running, token_id, created_at, connected_at, last_heartbeat_at, secret_hash)
            VALUES (@id, @OrgId, @PoolId, @Name, @Version, @labels, @Capacity, @sandboxed, @state, 0, @tokenId, @now, @now, @now, @secretHash)
            """,
            new
            {
                id, registration.Token.OrgId, registration.Token.PoolId, registration.Name, registration.Version, labels = Labels.ToJson(labels), registration.Capacity,
                sandboxed = registration.Sandboxed ? 1 : 0, state, tokenId = registration.Token.TokenId, now, secretHash = TokenSecrets.Hash(secret),
            }).ConfigureAwait(false);
        return new WorkerRegistered((await connection.QuerySingleAsync<WorkerRow>(SelectWorkers + " WHERE w.id = @id", new { id }).ConfigureAwait(false)).ToRecord(), secret);
    }

    private static bool SecretMatches(string presented, string expectedHash) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(TokenSecrets.Hash(presented)), Encoding.ASCII.GetBytes(expectedHash));

    /// <summary>Sets a worker's state (gateway only); lost and offline also record when the connection ended.</summary>
    public async Task SetStateAsync(Actor actor, string workerId, WorkerState state, string? reason, CancellationToken cancellationToken = default)
    {
        RequireSystem(actor);
        var now = Time.Ms(time.GetUtcNow());
        await connections.WriteAsync((connection, tx) => connection.ExecuteAsync(
            state is WorkerState.Lost or WorkerState.Offline
                ? "UPDATE workers SET state = @name, state_reason = @reason, disconnected_at = COALESCE(CASE WHEN state IN ('online', 'draining') THEN @now END, disconnected_at, @now) WHERE id = @workerId"
                : "UPDATE workers SET state = @name, state_reason = @reason WHERE id = @workerId",
            new { name = state.ToName(), reason, now, workerId }, tx), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Records a heartbeat (gateway only; it calls at most about once a minute per worker, the live view is in memory).</summary>
    public async Task RecordHeartbeatAsync(Actor actor, string workerId, int running, CancellationToken cancellationToken = default)
    {
        RequireSystem(actor);
        await connections.WriteAsync((connection, tx) => connection.ExecuteAsync("UPDATE workers SET last_heartbeat_at = @now, running = @running WHERE id = @workerId",
            new { now = Time.Ms(time.GetUtcNow()), running, workerId }, tx), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// At server start (gateway only): every worker the database still shows connected lost its connection with the
    /// previous server process. Marks them lost and returns them with those already lost, so their sessions are failed unless they return in time.
    /// </summary>
    public async Task<IReadOnlyList<WorkerRecord>> MarkConnectedLostAsync(Actor actor, string reason, CancellationToken cancellationToken = default)
    {
        RequireSystem(actor);
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = (await connection.QueryAsync<WorkerRow>(SelectWorkers + " WHERE w.state IN ('online', 'draining', 'lost')").ConfigureAwait(false)).ToList();
        if (rows.Count > 0)
        {
            await connection.ExecuteAsync("UPDATE workers SET state = 'lost', state_reason = @reason, disconnected_at = COALESCE(disconnected_at, @now) WHERE state IN ('online', 'draining', 'lost')",
                new { reason, now = Time.Ms(time.GetUtcNow()) }).ConfigureAwait(false);
        }

        return rows.Select(r => r.ToRecord() with { State = WorkerState.Lost, StateReason = reason }).ToList();
    }

    /// <summary>Binds a session to a worker (gateway only), state assigned.</summary>
    public async Task BindSessionAsync(Actor actor, string sessionId, string orgId, string poolId, string workerId, string? repository, CancellationToken cancellationToken = default)
    {
        RequireSystem(actor);
        var now = Time.Ms(time.GetUtcNow());
        try
        {
            await connections.WriteAsync((connection, tx) => connection.ExecuteAsync(
                "INSERT INTO worker_sessions (session_id, org_id, pool_id, worker_id, state, repository, created_at, updated_at) VALUES (@sessionId, @orgId, @poolId, @workerId, 'assigned', @repository, @now, @now)",
                new { sessionId, orgId, poolId, workerId, repository, now }, tx), cancellationToken).ConfigureAwait(false);
        }
        catch (DbException e) when (UniqueViolation.Is(e))
        {
            throw WardenException.Conflict($"Session '{sessionId}' is already assigned to a worker.");
        }
    }

    /// <summary>Moves a session to <paramref name="state"/> (gateway only); a session already failed or ended stays so.</summary>
    public async Task<bool> SetSessionStateAsync(Actor actor, string sessionId, WorkerSessionState state, string? reason, CancellationToken cancellationToken = default)
    {
        RequireSystem(actor);
        var changed = await connections.WriteAsync((connection, tx) => connection.ExecuteAsync(
            "UPDATE worker_sessions SET state = @name, reason = @reason, updated_at = @now WHERE session_id = @sessionId AND state IN ('assigned', 'ready')",
            new { name = state.ToName(), reason, now = Time.Ms(time.GetUtcNow()), sessionId }, tx), cancellationToken).ConfigureAwait(false);
        return changed > 0;
    }

    /// <summary>A session's binding (gateway only), or null.</summary>
    public async Task<WorkerSessionRecord?> FindSessionAsync(Actor actor, string sessionId, CancellationToken cancellationToken = default)
    {
        RequireSystem(actor);
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await connection.QuerySingleOrDefaultAsync<SessionRow>(SelectSessions + " WHERE session_id = @sessionId", new { sessionId }).ConfigureAwait(false);
        return row?.ToRecord();
    }

    /// <summary>The sessions still assigned or ready on a worker (gateway only).</summary>
    public async Task<IReadOnlyList<WorkerSessionRecord>> ListActiveSessionsAsync(Actor actor, string workerId, CancellationToken cancellationToken = default)
    {
        RequireSystem(actor);
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<SessionRow>(SelectSessions + " WHERE worker_id = @workerId AND state IN ('assigned', 'ready') ORDER BY created_at",
            new { workerId }).ConfigureAwait(false);
        return rows.Select(r => r.ToRecord()).ToList();
    }

    private static void RequireSystem(Actor actor)
    {
        if (actor.Kind != ActorKind.System)
        {
            throw WardenException.Forbidden("Only the server's worker gateway may change the worker registry.");
        }
    }

    private static async Task<WorkerRow> FindAsync(DbConnection connection, string orgId, string id) =>
        await connection.QuerySingleOrDefaultAsync<WorkerRow>(SelectWorkers + " WHERE w.id = @id AND w.org_id = @orgId", new { id, orgId }).ConfigureAwait(false)
        ?? throw WardenException.NotFound("Worker", id);

    private sealed class WorkerRow
    {
        public string Id { get; set; } = string.Empty;
        public string OrgId { get; set; } = string.Empty;
        public string Pool { get; set; } = string.Empty;
        public string PoolId { get; set; } = string.Empty;
        public string Name { get; set; } = string.Empty;
        public string Version { get; set; } = string.Empty;
        public string Labels { get; set; } = "{}";
        public long Capacity { get; set; }
        public long Sandboxed { get; set; }
        public string State { get; set; } = "offline";
        public string? StateReason { get; set; }

        public string? SecretHash { get; set; }
        public long Running { get; set; }
        public long CreatedAt { get; set; }
        public long? ConnectedAt { get; set; }
        public long? LastHeartbeatAt { get; set; }
        public long? DisconnectedAt { get; set; }

        public WorkerRecord ToRecord() => new(Id, OrgId, Pool, PoolId, Name, Version, Data.Workers.Labels.FromJson(Labels), (int)Capacity, Sandboxed != 0,
            WorkerStates.ParseWorker(State), StateReason, (int)Running, Time.At(CreatedAt), Time.At(ConnectedAt), Time.At(LastHeartbeatAt), Time.At(DisconnectedAt));
    }

    private sealed class SessionRow
    {
        public string SessionId { get; set; } = string.Empty;
        public string OrgId { get; set; } = string.Empty;
        public string PoolId { get; set; } = string.Empty;
        public string WorkerId { get; set; } = string.Empty;
        public string State { get; set; } = string.Empty;
        public string? Reason { get; set; }
        public string? Repository { get; set; }
        public long CreatedAt { get; set; }
        public long UpdatedAt { get; set; }

        public WorkerSessionRecord ToRecord() => new(SessionId, OrgId, PoolId, WorkerId, WorkerStates.ParseSession(State), Reason, Repository, Time.At(CreatedAt), Time.At(UpdatedAt));
    }
}
