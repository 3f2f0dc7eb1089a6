-- Audit appends (issue 3): every secondary index on audit_events is paid for on every append (about 1.5 µs of CPU
-- per row on SQLite each). ix_audit_events_org_seq duplicates ix_audit_events_org_ts for the queries there are: an
-- org's trail is searched with the site-level events of its members (an OR of two org_ids), which no single index
-- returns in sequence order, so the planner reads the org's rows through either index and sorts them; retention
-- selects an org's rows older than a cutoff, which is what (org_id, ts) is for (ts never decreases along the chain,
-- so the oldest rows by time are the first by sequence). Filters by actor, session and time keep their indexes.
DROP INDEX IF EXISTS ix_audit_events_org_seq;
