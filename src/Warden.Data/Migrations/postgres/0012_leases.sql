-- Named leases for work that one server replica at a time must do (an audit exporter's sink, the retention
-- schedule): held by one replica until expires_at (Unix ms), renewed while it works, taken over once it lapses.
CREATE TABLE leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
);
