-- A virtual key minted by the session runner names its agent session, so the gateway's model.invoke audit events
-- carry the session id like every other event of the session. Null for keys people create.
ALTER TABLE virtual_keys ADD COLUMN session_id TEXT NULL;
