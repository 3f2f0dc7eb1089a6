using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Dapper;
using Warden.Audit;
using Warden.Data.Audit;
using Warden.Data.Identity;

namespace Warden.Data.Sessions;

/// <summary>
/// Agent sessions, their transcripts, approvals and inboxes. People create sessions and read them (members their own,
/// owners, admins and auditors every session of the org); owners and admins approve. The runner's methods (those
/// without an <see cref="Actor"/>) are for the server's session runner only and never reachable over HTTP.
/// </summary>
public sealed class AgentSessionStore(ConnectionFactory connections, TimeProvider time, IAuditRecorder? audit = null)
{
    /// <summary>Longest instruction accepted.</summary>
    public const int MaxInstructionChars = 32_000;

    private readonly IAuditRecorder _audit = audit ?? NullAuditRecorder.Instance;

    /// <summary>Raised after a session changed (state, progress, transcript, approval, message), with its id.</summary>
    public event Action<string>? Changed;

    /// <summary>
    /// Creates a queued session for <paramref name="actor"/>. The caller has already asked policy (<c>task.create</c>) and
    /// resolved the repository and its base branch.
    /// </summary>
    public async Task<AgentSession> CreateAsync(Actor actor, string org, SessionSpec spec, CancellationToken cancellationToken = default)
    {
        var instruction = spec.Instruction?.Trim() ?? string.Empty;
        if (instruction.Length == 0)
        {
            throw WardenException.Invalid("The instruction is empty: say what the agent should do.");
        }

        if (instruction.Length > MaxInstructionChars)
        {
            throw WardenException.Invalid($"The instruction is longer than {MaxInstructionChars} characters.");
        }

        if (string.IsNullOrWhiteSpace(spec.Repo) || string.IsNullOrWhiteSpace(spec.BaseRef))
        {
            throw WardenException.Invalid("A repository and a base branch are required.");
        }

        var limits = Validate(spec.Limits ?? SessionLimitSet.Default);
        var id = Ids.New("ses");
        var now = Time.Ms(time.GetUtcNow());
        var orgId = await connections.WriteAsync(async (connection, tx) =>
        {
            var access = await OrgAccess.ResolveAsync(connection, actor, org, tx).ConfigureAwait(false);
            if (access.Role is not (Role.Owner or Role.Admin or Role.Member))
            {
                throw WardenException.Forbidden($"Your role in '{access.OrgName}' ({access.Role.ToName()}) may not start agent sessions.");
            }

            var memberOf = access.OrgId;

            // The parent and the retried session must be sessions the actor may see: a member who names another member's
            // session gets "not found" (as for one that does not exist) and cannot attach children to it.
            foreach (var linked in new[] { spec.ParentId, spec.RetryOf })
            {
                if (linked is not null &&
                    await connection.ExecuteScalarAsync<long>(
                        $"SELECT COUNT(*) FROM agent_sessions WHERE id = @linked AND org_id = @orgId{(SeesAll(access) ? string.Empty : " AND user_id = @UserId")}",
                        new { linked, orgId = memberOf, actor.UserId }, tx).ConfigureAwait(false) == 0)
                {
                    throw WardenException.NotFound("Session", linked);
                }
            }

            await connection.ExecuteAsync(
                """
                INSERT INTO agent_sessions (id, org_id, parent_id, retry_of, user_id, user_name, repo, base_ref, instruction, route, pool,
                    max_steps, max_cost_micros, max_wall_ms, state, created_at, updated_at)
                VALUES (@id, @orgId, @ParentId, @RetryOf, @UserId, @Name, @Repo, @BaseRef, @instruction, @route, @pool,
                    @MaxSteps, @MaxCostMicros, @MaxWallMs, 'queued', @now, @now)
                """,
                new
                {
                    id, orgId = memberOf, spec.ParentId, spec.RetryOf, actor.UserId, actor.Name, spec.Repo, spec.BaseRef, instruction,
                    route = string.IsNullOrWhiteSpace(spec.Route) ? "default" : spec.Route.Trim(),
                    pool = string.IsNullOrWhiteSpace(spec.Pool) ? "default" : spec.Pool.Trim(),
                    limits.MaxSteps, limits.MaxCostMicros, limits.MaxWallMs, now,
                }, tx).ConfigureAwait(false);
            return memberOf;
        }, cancellationToken).ConfigureAwait(false);

        await _audit.RecordAsync(AuditDrafts.For(actor, orgId, "task.create", "session", id, new Dictionary<string, string?>
        {
            ["repo"] = spec.Repo, ["base"] = spec.BaseRef, ["route"] = spec.Route, ["pool"] = spec.Pool, ["parent"] = spec.ParentId, ["retryOf"] = spec.RetryOf,
            ["maxSteps"] = limits.MaxSteps.ToString(CultureInfo.InvariantCulture),
            ["maxCostUsd"] = (limits.MaxCostMicros / 1_000_000m).ToString(CultureInfo.InvariantCulture),
        }), cancellationToken).ConfigureAwait(false);
        Changed?.Invoke(id);
        return await LoadAsync(id, cancellationToken).ConfigureAwait(false) ?? throw new InvalidOperationException("The session just created is gone.");
    }

    /// <summary>Sessions of the org, newest first: every session for owners, admins and auditors, one's own for others.</summary>
    public async Task<IReadOnlyList<AgentSession>> ListAsync(Actor actor, string org, SessionFilter filter, CancellationToken cancellationToken = default)
    {
        if (filter.State is { } state && !SessionStates.All.Contains(state))
        {
            throw WardenException.Invalid($"Unknown state '{state}'. States: {string.Join(", ", SessionStates.All)}.");
        }

        var limit = filter.Limit ?? 50;
        if (limit is < 1 or > 500)
        {
            throw WardenException.Invalid("limit must be between 1 and 500.");
        }

        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        var where = new List<string> { "s.org_id = @OrgId" };
        if (!SeesAll(access))
        {
            where.Add("s.user_id = @UserId");
        }

        if (filter.State is not null)
        {
            where.Add("s.state = @State");
        }

        if (filter.Repo is not null)
        {
            where.Add("s.repo = @Repo");
        }

        if (filter.User is not null)
        {
            where.Add("s.user_name = @User");
        }

        if (filter.ParentId is not null)
        {
            where.Add("s.parent_id = @ParentId");
        }

        long? beforeAt = null;
        if (filter.Before is not null)
        {
            // A cursor the actor may not see is as unknown as one that does not exist.
            beforeAt = await connection.ExecuteScalarAsync<long?>(
                $"SELECT created_at FROM agent_sessions WHERE id = @Before AND org_id = @OrgId{(SeesAll(access) ? string.Empty : " AND user_id = @UserId")}",
                new { filter.Before, access.OrgId, actor.UserId }).ConfigureAwait(false) ?? throw WardenException.Invalid($"Unknown session '{filter.Before}' in before.");
            where.Add("(s.created_at < @beforeAt OR (s.created_at = @beforeAt AND s.id < @Before))");
        }

        var rows = await connection.QueryAsync<Row>(
            $"{SelectSql} WHERE {string.Join(" AND ", where)} ORDER BY s.created_at DESC, s.id DESC LIMIT {limit}",
            new { access.OrgId, actor.UserId, filter.State, filter.Repo, filter.User, filter.ParentId, filter.Before, beforeAt }).ConfigureAwait(false);
        return rows.Select(r => r.ToSession()).ToList();
    }

    /// <summary>One session the actor may see.</summary>
    public async Task<AgentSession> GetAsync(Actor actor, string org, string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var (_, session) = await ResolveAsync(connection, actor, org, id).ConfigureAwait(false);
        return session;
    }

    /// <summary>The transcript after <paramref name="afterSeq"/>, oldest first.</summary>
    public async Task<IReadOnlyList<SessionEvent>> EventsAsync(Actor actor, string org, string id, long afterSeq = 0, int limit = 1000, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await ResolveAsync(connection, actor, org, id).ConfigureAwait(false);
        return await EventsAsync(connection, id, afterSeq, Math.Clamp(limit, 1, 5000)).ConfigureAwait(false);
    }

    /// <summary>The session's approvals, oldest first.</summary>
    public async Task<IReadOnlyList<SessionApproval>> ApprovalsAsync(Actor actor, string org, string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        await ResolveAsync(connection, actor, org, id).ConfigureAwait(false);
        var rows = await connection.QueryAsync<ApprovalRow>($"{ApprovalSql} WHERE session_id = @id ORDER BY requested_at, id", new { id }).ConfigureAwait(false);
        return rows.Select(r => r.ToApproval()).ToList();
    }

    /// <summary>Pending approvals across the org, for owners and admins (the people who decide them).</summary>
    public async Task<IReadOnlyList<SessionApproval>> PendingApprovalsAsync(Actor actor, string org, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var access = await OrgAccess.ResolveAsync(connection, actor, org).ConfigureAwait(false);
        // A session that ended while waiting (a limit, an error) leaves its approval pending, but no one can decide it any more.
        var rows = await connection.QueryAsync<ApprovalRow>(
            $"""
            {ApprovalSql} WHERE org_id = @OrgId AND state = 'pending' AND session_id IN (
                SELECT id FROM agent_sessions WHERE org_id = @OrgId AND state NOT IN ('succeeded', 'failed', 'cancelled'){(SeesAll(access) ? string.Empty : " AND user_id = @UserId")})
            ORDER BY requested_at, id
            """,
            new { access.OrgId, actor.UserId }).ConfigureAwait(false);
        return rows.Select(r => r.ToApproval()).ToList();
    }

    /// <summary>
    /// Approves or rejects a pending approval. Owners and admins decide; the decision, who made it and the comment are
    /// audited. Deciding twice is a conflict.
    /// </summary>
    public async Task<SessionApproval> DecideAsync(Actor actor, string org, string sessionId, string approvalId, bool approve, string? comment, CancellationToken cancellationToken = default)
    {
        var (orgId, decided) = await connections.WriteAsync(async (connection, tx) =>
        {
            var (access, session) = await ResolveAsync(connection, actor, org, sessionId, tx).ConfigureAwait(false);
            if (!access.Role.CanManage())
            {
                throw WardenException.Forbidden($"Your role in '{access.OrgName}' ({access.Role.ToName()}) may not decide approvals; an owner or admin can.");
            }

            var row = await connection.QuerySingleOrDefaultAsync<ApprovalRow>($"{ApprovalSql} WHERE id = @approvalId AND session_id = @sessionId",
                new { approvalId, sessionId }, tx).ConfigureAwait(false) ?? throw WardenException.NotFound("Approval", approvalId);
            if (row.State != "pending")
            {
                throw WardenException.Conflict($"Approval '{approvalId}' was already {row.State} by {row.DecidedBy}.");
            }

            if (SessionStates.IsFinal(session.State))
            {
                throw WardenException.Conflict($"Session '{sessionId}' has ended ({session.State}).");
            }

            var changed = await connection.ExecuteAsync(
                "UPDATE agent_approvals SET state = @state, decided_by = @Name, decided_at = @now, comment = @comment WHERE id = @approvalId AND state = 'pending'",
                new { state = approve ? "approved" : "rejected", actor.Name, now = Time.Ms(time.GetUtcNow()), comment, approvalId }, tx).ConfigureAwait(false);
            if (changed == 0)
            {
                throw WardenException.Conflict($"Approval '{approvalId}' was decided by someone else just now.");
            }

            return (access.OrgId, (await connection.QuerySingleAsync<ApprovalRow>($"{ApprovalSql} WHERE id = @approvalId", new { approvalId }, tx).ConfigureAwait(false)).ToApproval());
        }, cancellationToken).ConfigureAwait(false);

        await _audit.RecordAsync(AuditDrafts.For(actor, orgId, approve ? "approval.approve" : "approval.reject", "session", sessionId, new Dictionary<string, string?>
        {
            ["approval"] = approvalId, ["callId"] = decided.CallId, ["action"] = decided.Action, ["resource"] = decided.Resource,
            ["policies"] = string.Join(",", decided.Policies), ["comment"] = comment,
        }), cancellationToken).ConfigureAwait(false);
        Changed?.Invoke(sessionId);
        return decided;
    }

    /// <summary>Sends a person's message into a running or waiting session; the agent reads it before its next model call.</summary>
    public async Task<InboxMessage> SendAsync(Actor actor, string org, string sessionId, string text, CancellationToken cancellationToken = default)
    {
        text = text?.Trim() ?? string.Empty;
        if (text.Length is 0 or > 16_000)
        {
            throw WardenException.Invalid("A message must hold 1 to 16,000 characters.");
        }

        var (orgId, message) = await connections.WriteAsync(async (connection, tx) =>
        {
            var (access, session) = await ResolveAsync(connection, actor, org, sessionId, tx).ConfigureAwait(false);
            RequireOwnerOrManager(access, actor, session, "send messages to");
            if (SessionStates.IsFinal(session.State))
            {
                throw WardenException.Conflict($"Session '{sessionId}' has ended ({session.State}); start a new one or retry it.");
            }

            var sent = new InboxMessage(Ids.New("msg"), text, actor.Name, time.GetUtcNow());
            await connection.ExecuteAsync("INSERT INTO agent_session_inbox (id, session_id, text, sent_by, sent_at) VALUES (@Id, @sessionId, @Text, @SentBy, @at)",
                new { sent.Id, sessionId, sent.Text, sent.SentBy, at = Time.Ms(sent.SentAt) }, tx).ConfigureAwait(false);
            return (access.OrgId, sent);
        }, cancellationToken).ConfigureAwait(false);

        await _audit.RecordAsync(AuditDrafts.For(actor, orgId, "session.message", "session", sessionId,
            new Dictionary<string, string?> { ["message"] = message.Id, ["chars"] = text.Length.ToString(CultureInfo.InvariantCulture) }), cancellationToken).ConfigureAwait(false);
        Changed?.Invoke(sessionId);
        return message;
    }

    /// <summary>
    /// Stops a session: a queued one ends at once; a running one is marked cancelled and the runner, which checks before
    /// every step (and is told at once in this process), stops its current model or tool call and releases the worker.
    /// </summary>
    public async Task<AgentSession> CancelAsync(Actor actor, string org, string sessionId, string? reason, CancellationToken cancellationToken = default)
    {
        // The checks read outside the write queue (they need not hold the write lock); the update itself re-checks the
        // state, so a session the runner ends in between is a conflict, not a cancellation.
        OrgAccess access;
        AgentSession session;
        await using (var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            (access, session) = await ResolveAsync(connection, actor, org, sessionId).ConfigureAwait(false);
        }

        RequireOwnerOrManager(access, actor, session, "cancel");
        if (SessionStates.IsFinal(session.State))
        {
            throw WardenException.Conflict($"Session '{sessionId}' has already ended ({session.State}).");
        }

        var orgId = access.OrgId;
        var now = Time.Ms(time.GetUtcNow());
        var why = $"cancelled by {actor.Name}" + (string.IsNullOrWhiteSpace(reason) ? string.Empty : $": {reason.Trim()}");
        await connections.WriteAsync(async (connection, tx) =>
        {
            var changed = await connection.ExecuteAsync(
                "UPDATE agent_sessions SET state = 'cancelled', state_reason = @why, updated_at = @now, ended_at = @now WHERE id = @sessionId AND state NOT IN ('succeeded', 'failed', 'cancelled')",
                new { why, now, sessionId }, tx).ConfigureAwait(false);
            if (changed == 0)
            {
                // The runner ended it between the read above and this update: nothing was cancelled.
                throw WardenException.Conflict($"Session '{sessionId}' has already ended.");
            }

            await connection.ExecuteAsync("UPDATE agent_approvals SET state = 'rejected', decided_by = @Name, decided_at = @now, comment = 'session cancelled' WHERE session_id = @sessionId AND state = 'pending'",
                new { actor.Name, now, sessionId }, tx).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);

        await _audit.RecordAsync(AuditDrafts.For(actor, orgId, "session.cancel", "session", sessionId,
            new Dictionary<string, string?> { ["reason"] = reason }), cancellationToken).ConfigureAwait(false);
        Changed?.Invoke(sessionId);
        return await LoadAsync(sessionId, cancellationToken).ConfigureAwait(false) ?? throw WardenException.NotFound("Session", sessionId);
    }

    // ---- The runner's side: no actor, never exposed over HTTP. ----

    /// <summary>A session by id, whatever its org (for the runner).</summary>
    public async Task<AgentSession?> LoadAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return (await connection.QuerySingleOrDefaultAsync<Row>($"{SelectSql} WHERE s.id = @id", new { id }).ConfigureAwait(false))?.ToSession();
    }

    /// <summary>
    /// What the runner checks before every step, in one small read: the state (a person may have cancelled it, on any
    /// server), the counters its limits are checked against, and whether messages wait in the inbox. Null when the
    /// session is gone.
    /// </summary>
    public async Task<SessionPulse?> PeekAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var row = await connection.QuerySingleOrDefaultAsync<PulseRow>(
            """
            SELECT s.state AS State, s.state_reason AS StateReason, s.steps AS Steps, s.cost_micros AS CostMicros, s.started_at AS StartedAt,
                   CASE WHEN EXISTS (SELECT 1 FROM agent_session_inbox i WHERE i.session_id = s.id AND i.taken_at IS NULL) THEN 1 ELSE 0 END AS Inbox
            FROM agent_sessions s WHERE s.id = @id
            """, new { id }).ConfigureAwait(false);
        return row is null ? null : new SessionPulse(row.State, row.StateReason, (int)row.Steps, row.CostMicros, Time.At(row.StartedAt), row.Inbox != 0);
    }

    /// <summary>The whole transcript (for the runner rebuilding a conversation).</summary>
    public async Task<IReadOnlyList<SessionEvent>> AllEventsAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await EventsAsync(connection, id, 0, int.MaxValue).ConfigureAwait(false);
    }

    /// <summary>
    /// Takes up to <paramref name="max"/> sessions to run: queued ones, and running or waiting ones whose runner's lease
    /// has lapsed (a server that stopped or crashed). Each is leased to <paramref name="runner"/> until
    /// <paramref name="leaseUntil"/>; a session another runner holds is never taken.
    /// </summary>
    public async Task<IReadOnlyList<AgentSession>> ClaimAsync(string runner, DateTimeOffset leaseUntil, int max, CancellationToken cancellationToken = default)
    {
        var now = Time.Ms(time.GetUtcNow());
        var until = Time.Ms(leaseUntil);
        await using (var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            // Most polls find nothing to take: ask before joining the writers.
            if (await connection.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM agent_sessions WHERE state IN ('queued', 'running', 'waiting') AND (runner IS NULL OR runner_until IS NULL OR runner_until < @now)",
                new { now }).ConfigureAwait(false) == 0)
            {
                return [];
            }
        }

        return await connections.WriteAsync<IReadOnlyList<AgentSession>>(async (connection, tx) =>
        {
            var candidates = (await connection.QueryAsync<string>(
                $"""
                SELECT id FROM agent_sessions
                WHERE state IN ('queued', 'running', 'waiting') AND (runner IS NULL OR runner_until IS NULL OR runner_until < @now)
                ORDER BY created_at LIMIT {Math.Max(1, max)}
                """, new { now }, tx).ConfigureAwait(false)).ToList();
            var claimed = new List<AgentSession>(candidates.Count);
            foreach (var id in candidates)
            {
                var taken = await connection.ExecuteAsync(
                    """
                    UPDATE agent_sessions SET runner = @runner, runner_until = @until
                    WHERE id = @id AND state IN ('queued', 'running', 'waiting') AND (runner IS NULL OR runner_until IS NULL OR runner_until < @now)
                    """, new { runner, until, id, now }, tx).ConfigureAwait(false);
                if (taken == 1 && (await connection.QuerySingleOrDefaultAsync<Row>($"{SelectSql} WHERE s.id = @id", new { id }, tx).ConfigureAwait(false)) is { } row)
                {
                    claimed.Add(row.ToSession());
                }
            }

            return claimed;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Extends the runner's lease on the sessions it runs.</summary>
    public async Task RenewAsync(string runner, IReadOnlyCollection<string> ids, DateTimeOffset leaseUntil, CancellationToken cancellationToken = default)
    {
        if (ids.Count == 0)
        {
            return;
        }

        await connections.WriteAsync(async (connection, tx) =>
        {
            foreach (var chunk in ids.Chunk(200))
            {
                var names = chunk.Select((_, i) => "@id" + i.ToString(CultureInfo.InvariantCulture)).ToList();
                var args = new DynamicParameters(new { runner, until = Time.Ms(leaseUntil) });
                for (var i = 0; i < chunk.Length; i++)
                {
                    args.Add("id" + i.ToString(CultureInfo.InvariantCulture), chunk[i]);
                }

                await connection.ExecuteAsync($"UPDATE agent_sessions SET runner_until = @until WHERE runner = @runner AND id IN ({string.Join(", ", names)})", args, tx).ConfigureAwait(false);
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Gives up the lease (on shutdown) so another runner, or this server after a restart, resumes at once.</summary>
    public async Task ReleaseAsync(string runner, string id, CancellationToken cancellationToken = default)
    {
        await connections.WriteAsync(
            (connection, tx) => connection.ExecuteAsync("UPDATE agent_sessions SET runner = NULL, runner_until = NULL WHERE id = @id AND runner = @runner", new { id, runner }, tx),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Stores one transcript entry and the session's progress in one transaction, so a step is durable before the
    /// next begins. Returns the entry's sequence number. A session that reached a final state takes no more progress
    /// (a cancellation wins over a step that was finishing), but its entries are still stored.
    /// </summary>
    public async Task<long> AppendAsync(string sessionId, string kind, string data, SessionProgress? progress = null, CancellationToken cancellationToken = default) =>
        (await AppendAsync(sessionId, [new SessionEntry(kind, data)], progress, null, cancellationToken).ConfigureAwait(false))[0];

    /// <summary>
    /// Stores transcript entries, in order, and the session's progress in one transaction, together with
    /// <paramref name="audit"/>: the server's audit ledger commits the events and the entries in one transaction (one
    /// durable write for a step, and never an entry without its audit events, or the other way round). Returns the
    /// entries' sequence numbers.
    /// </summary>
    public async Task<IReadOnlyList<long>> AppendAsync(string sessionId, IReadOnlyList<SessionEntry> entries, SessionProgress? progress,
        IReadOnlyList<AuditEventDraft>? audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
        {
            throw new ArgumentException("Nothing to append.", nameof(entries));
        }

        Task<long[]> Work(DbConnection connection, DbTransaction tx) => AppendWithinAsync(connection, tx, sessionId, entries, progress);
        var seqs = audit is { Count: > 0 }
            ? await _audit.RecordWithAsync(audit, connections, Work, cancellationToken).ConfigureAwait(false)
            : await connections.WriteAsync(Work, cancellationToken).ConfigureAwait(false);

        Changed?.Invoke(sessionId);
        return seqs;
    }

    private async Task<long[]> AppendWithinAsync(DbConnection connection, DbTransaction tx, string sessionId, IReadOnlyList<SessionEntry> entries, SessionProgress? progress)
    {
        var now = Time.Ms(time.GetUtcNow());
        var next = await connection.ExecuteScalarAsync<long>("SELECT COALESCE(MAX(seq), 0) + 1 FROM agent_session_events WHERE session_id = @sessionId", new { sessionId }, tx).ConfigureAwait(false);
        var seqs = new long[entries.Count];
        for (var i = 0; i < entries.Count; i++)
        {
            seqs[i] = next + i;
            await connection.ExecuteAsync("INSERT INTO agent_session_events (session_id, seq, kind, data, at) VALUES (@sessionId, @seq, @Kind, @Data, @now)",
                new { sessionId, seq = seqs[i], entries[i].Kind, entries[i].Data, now }, tx).ConfigureAwait(false);
        }

        if (progress is not null)
        {
            await ApplyAsync(connection, tx, sessionId, progress, now).ConfigureAwait(false);
        }

        return seqs;
    }

    /// <summary>Applies progress without a transcript entry. Returns false when the session had already ended.</summary>
    public async Task<bool> UpdateAsync(string sessionId, SessionProgress progress, CancellationToken cancellationToken = default)
    {
        var applied = await connections.WriteAsync((connection, tx) => ApplyAsync(connection, tx, sessionId, progress, Time.Ms(time.GetUtcNow())), cancellationToken).ConfigureAwait(false);

        Changed?.Invoke(sessionId);
        return applied;
    }

    /// <summary>Records that an action waits for a person; returns the existing approval when the call already has one.</summary>
    public async Task<SessionApproval> RequestApprovalAsync(AgentSession session, string callId, string action, string resource, string summary, IReadOnlyList<string> policies,
        CancellationToken cancellationToken = default)
    {
        var existing = await connections.WriteAsync(async (connection, tx) =>
        {
            var row = await connection.QuerySingleOrDefaultAsync<ApprovalRow>($"{ApprovalSql} WHERE session_id = @Id AND call_id = @callId", new { session.Id, callId }, tx).ConfigureAwait(false);
            if (row is not null)
            {
                return row.ToApproval();
            }

            // Parameter names must differ by more than case: on PostgreSQL @id and @Id were bound as one parameter, so the
            // approval's own id went into session_id and every request failed on the foreign key.
            await connection.ExecuteAsync(
                """
                INSERT INTO agent_approvals (id, org_id, session_id, call_id, action, resource, summary, policies, state, requested_at)
                VALUES (@approvalId, @orgId, @sessionId, @callId, @action, @resource, @summary, @policies, 'pending', @now)
                """,
                // Distinct parameter names: Npgsql matches them case-insensitively, so "id" and "Id" would be one.
                new { approvalId = Ids.New("apr"), orgId = session.OrgId, sessionId = session.Id, callId, action, resource, summary, policies = JsonSerializer.Serialize(policies), now = Time.Ms(time.GetUtcNow()) }, tx).ConfigureAwait(false);
            return null;
        }, cancellationToken).ConfigureAwait(false);
        if (existing is not null)
        {
            return existing;
        }

        Changed?.Invoke(session.Id);
        return (await ApprovalForCallAsync(session.Id, callId, cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>The approval for one call, if any.</summary>
    public async Task<SessionApproval?> ApprovalForCallAsync(string sessionId, string callId, CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        return (await connection.QuerySingleOrDefaultAsync<ApprovalRow>($"{ApprovalSql} WHERE session_id = @sessionId AND call_id = @callId", new { sessionId, callId }).ConfigureAwait(false))?.ToApproval();
    }

    /// <summary>Takes the messages people sent since the last call (each is handed out once).</summary>
    public async Task<IReadOnlyList<InboxMessage>> TakeInboxAsync(string sessionId, CancellationToken cancellationToken = default)
    {
        const string Pending = "SELECT id AS Id, text AS Text, sent_by AS SentBy, sent_at AS SentAt FROM agent_session_inbox WHERE session_id = @sessionId AND taken_at IS NULL ORDER BY sent_at, id";
        await using (var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            // Nearly always empty: only a message that is there joins the writers.
            if (!(await connection.QueryAsync<InboxRow>(Pending, new { sessionId }).ConfigureAwait(false)).Any())
            {
                return [];
            }
        }

        return await connections.WriteAsync<IReadOnlyList<InboxMessage>>(async (connection, tx) =>
        {
            var rows = (await connection.QueryAsync<InboxRow>(Pending, new { sessionId }, tx).ConfigureAwait(false)).ToList();
            var taken = new List<InboxMessage>(rows.Count);
            foreach (var row in rows)
            {
                if (await connection.ExecuteAsync("UPDATE agent_session_inbox SET taken_at = @now WHERE id = @Id AND taken_at IS NULL", new { now = Time.Ms(time.GetUtcNow()), row.Id }, tx).ConfigureAwait(false) == 1)
                {
                    taken.Add(new InboxMessage(row.Id, row.Text, row.SentBy, Time.At(row.SentAt)));
                }
            }

            return taken;
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Counts sessions per state (for the runner's metrics and the benchmark).</summary>
    public async Task<IReadOnlyDictionary<string, long>> CountByStateAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await connections.OpenAsync(cancellationToken).ConfigureAwait(false);
        var rows = await connection.QueryAsync<(string State, long Count)>("SELECT state, COUNT(*) FROM agent_sessions GROUP BY state").ConfigureAwait(false);
        return rows.ToDictionary(r => r.State, r => r.Count, StringComparer.Ordinal);
    }

    private static async Task<bool> ApplyAsync(DbConnection connection, DbTransaction? tx, string sessionId, SessionProgress p, long now)
    {
        var sets = new List<string> { "updated_at = @now" };
        if (p.State is not null)
        {
            sets.Add("state = @State");
            sets.Add("state_reason = @StateReason");
            if (SessionStates.IsFinal(p.State))
            {
                sets.Add("ended_at = @now");
                sets.Add("runner = NULL");
                sets.Add("runner_until = NULL");
            }

            if (p.State == SessionStates.Running)
            {
                sets.Add("started_at = COALESCE(started_at, @now)");
            }
        }

        if (p.AddSteps != 0)
        {
            sets.Add("steps = steps + @AddSteps");
        }

        if (p.AddCostMicros != 0)
        {
            sets.Add("cost_micros = cost_micros + @AddCostMicros");
        }

        if (p.AddInputTokens != 0)
        {
            sets.Add("input_tokens = input_tokens + @AddInputTokens");
        }

        if (p.AddOutputTokens != 0)
        {
            sets.Add("output_tokens = output_tokens + @AddOutputTokens");
        }

        void Set(string? value, string column, string parameter)
        {
            if (value is not null)
            {
                sets.Add($"{column} = @{parameter}");
            }
        }

        Set(p.WorkerName, "worker_name", nameof(p.WorkerName));
        Set(p.KeyId, "key_id", nameof(p.KeyId));
        Set(p.BaseCommit, "base_commit", nameof(p.BaseCommit));
        Set(p.Branch, "branch", nameof(p.Branch));
        Set(p.CommitSha, "commit_sha", nameof(p.CommitSha));
        Set(p.PrUrl, "pr_url", nameof(p.PrUrl));
        Set(p.Summary, "summary", nameof(p.Summary));
        var args = new DynamicParameters(p);
        args.Add("now", now);
        args.Add("sessionId", sessionId);
        return await connection.ExecuteAsync(
            $"UPDATE agent_sessions SET {string.Join(", ", sets)} WHERE id = @sessionId AND state NOT IN ('succeeded', 'failed', 'cancelled')", args, tx).ConfigureAwait(false) == 1;
    }

    private static async Task<IReadOnlyList<SessionEvent>> EventsAsync(DbConnection connection, string id, long afterSeq, int limit)
    {
        var rows = await connection.QueryAsync<EventRow>(
            $"SELECT seq AS Seq, kind AS Kind, data AS Data, at AS At FROM agent_session_events WHERE session_id = @id AND seq > @afterSeq ORDER BY seq{(limit == int.MaxValue ? string.Empty : $" LIMIT {limit}")}",
            new { id, afterSeq }).ConfigureAwait(false);
        return rows.Select(r => new SessionEvent(r.Seq, r.Kind, r.Data, Time.At(r.At))).ToList();
    }

    private static async Task<(OrgAccess Access, AgentSession Session)> ResolveAsync(DbConnection connection, Actor actor, string org, string id, DbTransaction? tx = null)
    {
        var access = await OrgAccess.ResolveAsync(connection, actor, org, tx).ConfigureAwait(false);
        var row = await connection.QuerySingleOrDefaultAsync<Row>($"{SelectSql} WHERE s.id = @id AND s.org_id = @OrgId", new { id, access.OrgId }, tx).ConfigureAwait(false);
        // Another member's session is "not found" for a member, exactly like one that does not exist.
        if (row is null || (!SeesAll(access) && row.UserId != actor.UserId))
        {
            throw WardenException.NotFound("Session", id);
        }

        return (access, row.ToSession());
    }

    private static bool SeesAll(OrgAccess access) => access.Role is Role.Owner or Role.Admin or Role.Auditor;

    private static void RequireOwnerOrManager(OrgAccess access, Actor actor, AgentSession session, string verb)
    {
        if (!access.Role.CanManage() && session.UserId != actor.UserId)
        {
            throw WardenException.Forbidden($"Only the session's owner or an org owner or admin may {verb} it.");
        }

        if (access.Role is Role.Auditor or Role.Viewer)
        {
            throw WardenException.Forbidden($"Your role in '{access.OrgName}' ({access.Role.ToName()}) may not {verb} sessions.");
        }
    }

    private static SessionLimitSet Validate(SessionLimitSet limits)
    {
        if (limits.MaxSteps is < 1 or > 1000)
        {
            throw WardenException.Invalid("maxSteps must be between 1 and 1000.");
        }

        if (limits.MaxCostMicros is < 1 or > 10_000_000_000)
        {
            throw WardenException.Invalid("maxCostUsd must be more than 0 and at most 10,000.");
        }

        if (limits.MaxWallMs is < 10_000 or > 7L * 24 * 3600 * 1000)
        {
            throw WardenException.Invalid("maxMinutes must be at least 10 seconds and at most 7 days.");
        }

        return limits;
    }

    private const string SelectSql =
        """
        SELECT s.id AS Id, s.org_id AS OrgId, o.name AS OrgName, s.parent_id AS ParentId, s.retry_of AS RetryOf, s.user_id AS UserId, s.user_name AS UserName,
               s.repo AS Repo, s.base_ref AS BaseRef, s.instruction AS Instruction, s.route AS Route, s.pool AS Pool, s.max_steps AS MaxSteps,
               s.max_cost_micros AS MaxCostMicros, s.max_wall_ms AS MaxWallMs, s.state AS State, s.state_reason AS StateReason, s.steps AS Steps,
               s.cost_micros AS CostMicros, s.input_tokens AS InputTokens, s.output_tokens AS OutputTokens, s.worker_name AS WorkerName, s.key_id AS KeyId,
               s.base_commit AS BaseCommit, s.branch AS Branch, s.commit_sha AS CommitSha, s.pr_url AS PrUrl, s.summary AS Summary,
               s.created_at AS CreatedAt, s.started_at AS StartedAt, s.updated_at AS UpdatedAt, s.ended_at AS EndedAt
        FROM agent_sessions s JOIN orgs o ON o.id = s.org_id
        """;

    private const string ApprovalSql =
        """
        SELECT id AS Id, session_id AS SessionId, call_id AS CallId, action AS Action, resource AS Resource, summary AS Summary, policies AS Policies,
               state AS State, requested_at AS RequestedAt, decided_by AS DecidedBy, decided_at AS DecidedAt, comment AS Comment
        FROM agent_approvals
        """;

    private sealed class Row
    {
        public string Id { get; set; } = string.Empty;
        public string OrgId { get; set; } = string.Empty;
        public string OrgName { get; set; } = string.Empty;
        public string? ParentId { get; set; }
        public string? RetryOf { get; set; }
        public string UserId { get; set; } = string.Empty;
        public string UserName { get; set; } = string.Empty;
        public string Repo { get; set; } = string.Empty;
        public string BaseRef { get; set; } = string.Empty;
        public string Instruction { get; set; } = string.Empty;
        public string Route { get; set; } = string.Empty;
        public string Pool { get; set; } = string.Empty;
        public long MaxSteps { get; set; }
        public long MaxCostMicros { get; set; }
        public long MaxWallMs { get; set; }
        public string State { get; set; } = string.Empty;
        public string? StateReason { get; set; }
        public long Steps { get; set; }
        public long CostMicros { get; set; }
        public long InputTokens { get; set; }
        public long OutputTokens { get; set; }
        public string? WorkerName { get; set; }
        public string? KeyId { get; set; }
        public string? BaseCommit { get; set; }
        public string? Branch { get; set; }
        public string? CommitSha { get; set; }
        public string? PrUrl { get; set; }
        public string? Summary { get; set; }
        public long CreatedAt { get; set; }
        public long? StartedAt { get; set; }
        public long UpdatedAt { get; set; }
        public long? EndedAt { get; set; }

        public AgentSession ToSession() => new()
        {
            Id = Id, OrgId = OrgId, OrgName = OrgName, ParentId = ParentId, RetryOf = RetryOf, UserId = UserId, UserName = UserName, Repo = Repo,
            BaseRef = BaseRef, Instruction = Instruction, Route = Route, Pool = Pool,
            Limits = new SessionLimitSet((int)MaxSteps, MaxCostMicros, MaxWallMs), State = State, StateReason = StateReason, Steps = (int)Steps,
            CostMicros = CostMicros, InputTokens = InputTokens, OutputTokens = OutputTokens, WorkerName = WorkerName, KeyId = KeyId,
            BaseCommit = BaseCommit, Branch = Branch, CommitSha = CommitSha, PrUrl = PrUrl, Summary = Summary,
            CreatedAt = Time.At(CreatedAt), StartedAt = Time.At(StartedAt), UpdatedAt = Time.At(UpdatedAt), EndedAt = Time.At(EndedAt),
        };
    }

    private sealed class PulseRow
    {
        public string State { get; set; } = string.Empty;
        public string? StateReason { get; set; }
        public long Steps { get; set; }
        public long CostMicros { get; set; }
        public long? StartedAt { get; set; }
        public long Inbox { get; set; }
    }

    private sealed class EventRow
    {
        public long Seq { get; set; }
        public string Kind { get; set; } = string.Empty;
        public string Data { get; set; } = string.Empty;
        public long At { get; set; }
    }

    private sealed class InboxRow
    {
        public string Id { get; set; } = string.Empty;
        public string Text { get; set; } = string.Empty;
        public string SentBy { get; set; } = string.Empty;
        public long SentAt { get; set; }
    }

    private sealed class ApprovalRow
    {
        public string Id { get; set; } = string.Empty;
        public string SessionId { get; set; } = string.Empty;
        public string CallId { get; set; } = string.Empty;
        public string Action { get; set; } = string.Empty;
        public string Resource { get; set; } = string.Empty;
        public string Summary { get; set; } = string.Empty;
        public string Policies { get; set; } = "[]";
        public string State { get; set; } = string.Empty;
        public long RequestedAt { get; set; }
        public string? DecidedBy { get; set; }
        public long? DecidedAt { get; set; }
        public string? Comment { get; set; }

        public SessionApproval ToApproval() => new()
        {
            Id = Id, SessionId = SessionId, CallId = CallId, Action = Action, Resource = Resource, Summary = Summary,
            Policies = JsonSerializer.Deserialize<List<string>>(Policies) ?? [], State = State, RequestedAt = Time.At(RequestedAt),
            DecidedBy = DecidedBy, DecidedAt = Time.At(DecidedAt), Comment = Comment,
        };
    }
}
