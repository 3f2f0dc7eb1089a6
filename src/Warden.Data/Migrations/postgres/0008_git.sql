-- Git hosting: connections to GitHub, GitLab, Gitea/Forgejo or a plain Git server (credential sealed under the master
-- key, never returned), and the repositories agent sessions work on. A repository without a connection is public or
-- local (a path or file:// URL of a bare repository) and needs no credential. Times are Unix milliseconds (UTC).
CREATE TABLE git_connections (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    api_url       TEXT NULL,
    username      TEXT NULL,
    credential    BYTEA NULL,
    created_by    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    UNIQUE (org_id, name)
);

-- name is what users type (e.g. acme/api, may hold several '/'); project_path is the provider's own path of the
-- repository (owner/repo on GitHub and Gitea, namespace/project on GitLab), used for pull/merge request calls.
-- A connection in use cannot be deleted (the store says which repositories use it; the foreign key backs it up).
CREATE TABLE repositories (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    connection_id   TEXT NULL REFERENCES git_connections(id),
    clone_url       TEXT NOT NULL,
    default_branch  TEXT NOT NULL,
    project_path    TEXT NULL,
    created_by      TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    UNIQUE (org_id, name)
);
CREATE INDEX ix_repositories_connection ON repositories(connection_id);
