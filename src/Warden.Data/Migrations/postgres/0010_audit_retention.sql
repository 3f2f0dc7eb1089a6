-- Audit retention (issue 3). Retention erases an event's content (body and the columns copied from it) but keeps
-- its place in the chain: seq, ts, org_id, prev_hash, hash, and erased_by, the sequence of the audit.retention.erase
-- event that accounts for it. A fully erased prefix up to a checkpoint may later be removed; the setting
-- audit.pruned_through then says where the stored chain starts.
ALTER TABLE audit_events ADD COLUMN erased_by BIGINT NULL;

-- Retention period per org (org_id '_site' for site-level events such as sign-ins); no row: kept forever.
CREATE TABLE audit_retention (
    org_id      TEXT PRIMARY KEY,
    days        INTEGER NOT NULL,
    updated_at  BIGINT NOT NULL,
    updated_by  TEXT NOT NULL
);

-- Legal holds: while one is active (released_at null) nothing of the org's trail is erased, nor its members'
-- site-level events.
CREATE TABLE audit_legal_holds (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL,
    reason       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    created_by   TEXT NOT NULL,
    released_at  BIGINT NULL,
    released_by  TEXT NULL
);
CREATE INDEX ix_audit_legal_holds_org ON audit_legal_holds(org_id, released_at);

-- Vendor events already imported, by the vendor's own event id: importing the same export twice adds nothing, and
-- an event retention erased is not brought back by importing its old export again.
CREATE TABLE audit_import_ids (
    org_id       TEXT NOT NULL,
    vendor       TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    seq          BIGINT NOT NULL,
    PRIMARY KEY (org_id, vendor, external_id)
);
