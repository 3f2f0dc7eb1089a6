-- Audit ledger: the hash chain, its signed checkpoints and the signing keys.
-- body holds the canonical encoding the hash covers, byte for byte; the other columns are copies for querying.
CREATE TABLE audit_events (
    seq            BIGINT PRIMARY KEY,
    ts             BIGINT NOT NULL,
    org_id         TEXT NOT NULL,
    actor_kind     TEXT NOT NULL,
    actor_id       TEXT NOT NULL,
    action         TEXT NOT NULL,
    resource_type  TEXT NULL,
    resource_id    TEXT NULL,
    session_id     TEXT NULL,
    vendor         TEXT NOT NULL,
    outcome        TEXT NOT NULL,
    prev_hash      BYTEA NOT NULL,
    hash           BYTEA NOT NULL,
    body           BYTEA NOT NULL
);
CREATE INDEX ix_audit_events_org_seq ON audit_events(org_id, seq);
CREATE INDEX ix_audit_events_org_ts ON audit_events(org_id, ts);
CREATE INDEX ix_audit_events_actor ON audit_events(actor_id, seq);
CREATE INDEX ix_audit_events_session ON audit_events(session_id, seq);

CREATE TABLE audit_checkpoints (
    to_seq                  BIGINT PRIMARY KEY,
    from_seq                BIGINT NOT NULL,
    ledger_id               TEXT NOT NULL,
    last_event_hash         BYTEA NOT NULL,
    prev_checkpoint_hash    BYTEA NOT NULL,
    ts                      BIGINT NOT NULL,
    key_id                  TEXT NOT NULL,
    signature               BYTEA NOT NULL
);

CREATE TABLE audit_keys (
    key_id              TEXT PRIMARY KEY,
    public_key_pem      TEXT NOT NULL,
    private_key_sealed  TEXT NULL,
    created_at          BIGINT NOT NULL,
    retired_at          BIGINT NULL
);
