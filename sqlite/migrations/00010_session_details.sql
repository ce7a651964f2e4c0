-- +goose Up
-- Sessions a user can list and end one by one (GET /v3/user/sessions): a
-- uid to name one by (existing sessions get one here), the last use of its
-- authtoken (flushed in batches, as the tokens' last_used_at), and what the
-- client that logged in said of itself (User-Agent, cut to 256 bytes) and
-- its address. Never the authtoken or its hash on the wire.
ALTER TABLE sessions ADD COLUMN uid TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN last_used_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN user_agent TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN remote_addr TEXT NOT NULL DEFAULT '';
UPDATE sessions SET uid = 'blt' || lower(hex(randomblob(8)));
CREATE UNIQUE INDEX sessions_uid ON sessions (uid);

-- +goose Down
DROP INDEX sessions_uid;
ALTER TABLE sessions DROP COLUMN remote_addr;
ALTER TABLE sessions DROP COLUMN user_agent;
ALTER TABLE sessions DROP COLUMN last_used_at;
ALTER TABLE sessions DROP COLUMN uid;
