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

-- +goose Down
DROP TABLE audit_logs;
