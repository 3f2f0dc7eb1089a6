-- Each worker gets its own secret at its first registration (SHA-256 stored, the secret itself only on the worker).
-- Reconnecting under a worker id needs it: the pool's join token alone no longer lets one machine take over another
-- worker's id and its sessions. Null for workers registered before this migration until their next connection.
ALTER TABLE workers ADD COLUMN secret_hash TEXT NULL;
