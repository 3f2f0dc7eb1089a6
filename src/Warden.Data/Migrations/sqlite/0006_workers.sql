-- Workers: pools per org, join tokens per pool (only the SHA-256 of the secret is kept), the worker registry, and the
-- sessions bound to workers. Times are Unix milliseconds (UTC). Labels are a JSON object of strings.
CREATE TABLE worker_pools (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    labels       TEXT NOT NULL DEFAULT '{}',
    created_by   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    UNIQUE (org_id, name)
);

CREATE TABLE worker_join_tokens (
    id            TEXT PRIMARY KEY,
    pool_id       TEXT NOT NULL REFERENCES worker_pools(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    token_hash    TEXT NOT NULL UNIQUE,
    created_by    TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NULL,
    revoked_at    INTEGER NULL,
    last_used_at  INTEGER NULL
);
CREATE INDEX ix_worker_join_tokens_pool ON worker_join_tokens(pool_id, created_at);

-- state: online, draining, lost (silent or disconnected, sessions held for the grace period), offline.
CREATE TABLE workers (
    id                 TEXT PRIMARY KEY,
    org_id             TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    pool_id            TEXT NOT NULL REFERENCES worker_pools(id) ON DELETE CASCADE,
    name               TEXT NOT NULL,
    version            TEXT NOT NULL,
    labels             TEXT NOT NULL DEFAULT '{}',
    capacity           INTEGER NOT NULL,
    sandboxed          INTEGER NOT NULL DEFAULT 0,
    state              TEXT NOT NULL,
    state_reason       TEXT NULL,
    running            INTEGER NOT NULL DEFAULT 0,
    token_id           TEXT NULL,
    created_at         INTEGER NOT NULL,
    connected_at       INTEGER NULL,
    last_heartbeat_at  INTEGER NULL,
    disconnected_at    INTEGER NULL
);
CREATE INDEX ix_workers_org_pool ON workers(org_id, pool_id);

-- state: assigned (preparing), ready, failed, ended.
CREATE TABLE worker_sessions (
    session_id   TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    pool_id      TEXT NOT NULL,
    worker_id    TEXT NOT NULL,
    state        TEXT NOT NULL,
    reason       TEXT NULL,
    repository   TEXT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX ix_worker_sessions_worker ON worker_sessions(worker_id, state);
