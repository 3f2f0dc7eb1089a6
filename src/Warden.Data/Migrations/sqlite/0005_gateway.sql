-- The model gateway: providers (credentials sealed under the master key, never returned), routes (aliases with
-- weighted targets and fallbacks), virtual keys (hashed like API tokens), a price catalogue, usage rows and optional
-- prompt/response captures (sealed, with an expiry).
CREATE TABLE model_providers (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL,
    base_url      TEXT NOT NULL,
    api_version   TEXT NULL,
    region        TEXT NULL,
    credential    BLOB NULL,
    created_by    TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (org_id, name)
);

-- targets and fallbacks are JSON arrays of {"provider": name, "model": upstream model, "weight": n}.
CREATE TABLE model_routes (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    targets       TEXT NOT NULL,
    fallbacks     TEXT NOT NULL,
    timeout_ms    INTEGER NOT NULL,
    retries       INTEGER NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (org_id, name)
);

-- Prices in micro-dollars per million tokens.
CREATE TABLE model_prices (
    org_id        TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    model         TEXT NOT NULL,
    input_micros  INTEGER NOT NULL,
    output_micros INTEGER NOT NULL,
    cached_micros INTEGER NOT NULL,
    updated_by    TEXT NOT NULL,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (org_id, model)
);

CREATE TABLE virtual_keys (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    prefix          TEXT NOT NULL,
    key_hash        TEXT NOT NULL UNIQUE,
    owner_kind      TEXT NOT NULL,
    owner_id        TEXT NULL,
    owner_name      TEXT NOT NULL,
    allowed_models  TEXT NOT NULL,
    rpm             INTEGER NULL,
    tpm             INTEGER NULL,
    max_concurrency INTEGER NULL,
    budget_micros   INTEGER NULL,
    budget_period   TEXT NOT NULL,
    capture         INTEGER NOT NULL,
    capture_days    INTEGER NOT NULL,
    inspection      TEXT NOT NULL,
    expires_at      INTEGER NULL,
    revoked_at      INTEGER NULL,
    created_by      TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    last_used_at    INTEGER NULL
);
CREATE INDEX ix_virtual_keys_org ON virtual_keys(org_id, created_at);

CREATE TABLE model_usage (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL,
    key_id        TEXT NOT NULL,
    user_id       TEXT NULL,
    team_id       TEXT NULL,
    route         TEXT NOT NULL,
    provider      TEXT NULL,
    model         TEXT NULL,
    client        TEXT NULL,
    status        INTEGER NOT NULL,
    outcome       TEXT NOT NULL,
    input_tokens  INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cached_tokens INTEGER NOT NULL,
    cost_micros   INTEGER NOT NULL,
    latency_ms    INTEGER NOT NULL,
    streamed      INTEGER NOT NULL,
    at            INTEGER NOT NULL
);
CREATE INDEX ix_model_usage_org_at ON model_usage(org_id, at);
CREATE INDEX ix_model_usage_key_at ON model_usage(key_id, at);

CREATE TABLE model_captures (
    usage_id      TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL,
    key_id        TEXT NOT NULL,
    request       BLOB NOT NULL,
    response      BLOB NULL,
    at            INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
);
CREATE INDEX ix_model_captures_expiry ON model_captures(expires_at);
