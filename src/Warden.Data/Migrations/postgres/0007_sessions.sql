-- Agent sessions: a task (repository, base, instruction, limits) and everything the agent loop did with it. The
-- transcript is append-only (one row per step, stored before the next step starts), so a restarted server rebuilds
-- the conversation from it and carries on. Times are Unix milliseconds (UTC); money is micro-dollars.
-- state: queued, running, waiting (for an approval), succeeded, failed, cancelled.
CREATE TABLE agent_sessions (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    parent_id        TEXT NULL REFERENCES agent_sessions(id) ON DELETE CASCADE,
    retry_of         TEXT NULL,
    user_id          TEXT NOT NULL,
    user_name        TEXT NOT NULL,
    repo             TEXT NOT NULL,
    base_ref         TEXT NOT NULL,
    instruction      TEXT NOT NULL,
    route            TEXT NOT NULL,
    pool             TEXT NOT NULL,
    max_steps        BIGINT NOT NULL,
    max_cost_micros  BIGINT NOT NULL,
    max_wall_ms      BIGINT NOT NULL,
    state            TEXT NOT NULL,
    state_reason     TEXT NULL,
    steps            BIGINT NOT NULL DEFAULT 0,
    cost_micros      BIGINT NOT NULL DEFAULT 0,
    input_tokens     BIGINT NOT NULL DEFAULT 0,
    output_tokens    BIGINT NOT NULL DEFAULT 0,
    worker_name      TEXT NULL,
    key_id           TEXT NULL,
    base_commit      TEXT NULL,
    branch           TEXT NULL,
    commit_sha       TEXT NULL,
    pr_url           TEXT NULL,
    summary          TEXT NULL,
    runner           TEXT NULL,
    runner_until     BIGINT NULL,
    created_at       BIGINT NOT NULL,
    started_at       BIGINT NULL,
    updated_at       BIGINT NOT NULL,
    ended_at         BIGINT NULL
);
CREATE INDEX ix_agent_sessions_org ON agent_sessions(org_id, created_at);
CREATE INDEX ix_agent_sessions_state ON agent_sessions(state);
CREATE INDEX ix_agent_sessions_parent ON agent_sessions(parent_id);

-- kind: task, assistant, tool_call, tool_result, approval, message (from a person), compaction, status, finish.
CREATE TABLE agent_session_events (
    session_id  TEXT NOT NULL REFERENCES agent_sessions(id) ON DELETE CASCADE,
    seq         BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    data        TEXT NOT NULL,
    at          BIGINT NOT NULL,
    PRIMARY KEY (session_id, seq)
);

-- state: pending, approved, rejected.
CREATE TABLE agent_approvals (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    session_id   TEXT NOT NULL REFERENCES agent_sessions(id) ON DELETE CASCADE,
    call_id      TEXT NOT NULL,
    action       TEXT NOT NULL,
    resource     TEXT NOT NULL,
    summary      TEXT NOT NULL,
    policies     TEXT NOT NULL,
    state        TEXT NOT NULL,
    requested_at BIGINT NOT NULL,
    decided_by   TEXT NULL,
    decided_at   BIGINT NULL,
    comment      TEXT NULL,
    UNIQUE (session_id, call_id)
);
CREATE INDEX ix_agent_approvals_org ON agent_approvals(org_id, state);

-- Messages a person sends into a running session; the loop takes them in before its next model call.
CREATE TABLE agent_session_inbox (
    id          TEXT PRIMARY KEY,
    session_id  TEXT NOT NULL REFERENCES agent_sessions(id) ON DELETE CASCADE,
    text        TEXT NOT NULL,
    sent_by     TEXT NOT NULL,
    sent_at     BIGINT NOT NULL,
    taken_at    BIGINT NULL
);
CREATE INDEX ix_agent_session_inbox ON agent_session_inbox(session_id, taken_at);
