-- +goose Up
-- audit_logs is the audit log (GET /v3/audit-logs). Each row is written by
-- sqlstore in the transaction of the change it describes (no change without
-- its entry, no entry without its change). stack_uid is '' for a user's own
-- events (login, logout), which a stack's log shows for its members.
-- request and response hold JSON with every secret removed.
CREATE TABLE audit_logs (
	seq         INTEGER PRIMARY KEY,
	uid         TEXT NOT NULL UNIQUE,
	stack_uid   TEXT NOT NULL,
	created_at  INTEGER NOT NULL,
	created_by  TEXT NOT NULL,
	module      TEXT NOT NULL,
	event_type  TEXT NOT NULL,
	request_id  TEXT NOT NULL,
	remote_addr TEXT NOT NULL,
	object_uid  TEXT NOT NULL,
	title       TEXT NOT NULL,
	request     TEXT,
	response    TEXT
);
CREATE INDEX audit_logs_stack ON audit_logs (stack_uid, created_at);
CREATE INDEX audit_logs_user ON audit_logs (created_by, created_at);
CREATE INDEX audit_logs_created ON audit_logs (created_at);

-- Rotation with a grace window: the value a rotation replaced keeps working
-- until previous_expires_at (unix ms; 0 with no previous value). Deleting
-- the token (or the preview token) removes both.
ALTER TABLE delivery_tokens ADD COLUMN previous_hash BLOB;
ALTER TABLE delivery_tokens ADD COLUMN previous_expires_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE delivery_tokens ADD COLUMN preview_previous_hash BLOB;
ALTER TABLE delivery_tokens ADD COLUMN preview_previous_expires_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE management_tokens ADD COLUMN previous_hash BLOB;
ALTER TABLE management_tokens ADD COLUMN previous_expires_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX delivery_tokens_previous ON delivery_tokens (previous_hash);
CREATE INDEX delivery_tokens_preview_previous ON delivery_tokens (preview_previous_hash);
CREATE INDEX management_tokens_previous ON management_tokens (previous_hash);
-- Expiring delivery (and so preview) tokens: the last UTC date it works, as
-- management tokens' expires_on (unix ms of 00:00 UTC of that date; NULL = never).
ALTER TABLE delivery_tokens ADD COLUMN expires_on INTEGER;

-- Last use (unix ms; 0 = never), flushed from memory in batches; a flush
-- never moves it back (the latest wins across nodes).
ALTER TABLE delivery_tokens ADD COLUMN last_used_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE delivery_tokens ADD COLUMN preview_last_used_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE management_tokens ADD COLUMN last_used_at INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE management_tokens DROP COLUMN last_used_at;
ALTER TABLE delivery_tokens DROP COLUMN preview_last_used_at;
ALTER TABLE delivery_tokens DROP COLUMN last_used_at;
DROP INDEX management_tokens_previous;
DROP INDEX delivery_tokens_preview_previous;
DROP INDEX delivery_tokens_previous;
ALTER TABLE delivery_tokens DROP COLUMN expires_on;
ALTER TABLE management_tokens DROP COLUMN previous_expires_at;
ALTER TABLE management_tokens DROP COLUMN previous_hash;
ALTER TABLE delivery_tokens DROP COLUMN preview_previous_expires_at;
ALTER TABLE delivery_tokens DROP COLUMN preview_previous_hash;
ALTER TABLE delivery_tokens DROP COLUMN previous_expires_at;
ALTER TABLE delivery_tokens DROP COLUMN previous_hash;
DROP TABLE audit_logs;
