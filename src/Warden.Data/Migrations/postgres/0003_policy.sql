-- Versioned policy sets per org. Every push that changes the content is a new version and becomes active;
-- a rollback is a push of older content. files is a JSON object: relative path -> file text.
CREATE TABLE policy_versions (
    org_id        TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    version       BIGINT NOT NULL,
    content_hash  TEXT NOT NULL,
    files         TEXT NOT NULL,
    message       TEXT NOT NULL DEFAULT '',
    created_by    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (org_id, version)
);
