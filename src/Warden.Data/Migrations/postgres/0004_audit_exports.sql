-- Audit ingestion keys and exporter cursors.
-- Ingestion keys authenticate machine senders (OTLP log exporters) to one org; only the SHA-256 of the secret is kept.
CREATE TABLE audit_ingest_keys (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    vendor        TEXT NOT NULL,
    prefix        TEXT NOT NULL,
    key_hash      TEXT NOT NULL UNIQUE,
    created_by    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    revoked_at    BIGINT NULL,
    last_used_at  BIGINT NULL
);
CREATE INDEX ix_audit_ingest_keys_org ON audit_ingest_keys(org_id, created_at);

-- One row per configured sink: the last ledger sequence the sink acknowledged. Advanced only after a batch is accepted,
-- so a restart re-sends at most the batch in flight (at-least-once).
CREATE TABLE audit_export_cursors (
    sink        TEXT PRIMARY KEY,
    last_seq    BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
