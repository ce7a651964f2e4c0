-- +goose Up
-- notify_generation is bumped each time a token's e-mail notification is
-- turned on, so that re-enabling it earns a new notice.
ALTER TABLE management_tokens ADD COLUMN notify_generation INTEGER NOT NULL DEFAULT 1;

-- expiry_notices records each expiry notice of a management token: one row
-- per (token, expiry date, notification generation, kind), whose insertion is
-- the claim to send it. sent_at = 0 while it is not sent; lease_until is when
-- the claim lapses (a crashed node's claim, or a failed send's backoff) and
-- another run, on any node, may take it over.
CREATE TABLE expiry_notices (
	token_uid   TEXT NOT NULL,
	expires_on  INTEGER NOT NULL,
	generation  INTEGER NOT NULL,
	kind        TEXT NOT NULL,
	stack_uid   TEXT NOT NULL,
	claim       TEXT NOT NULL DEFAULT '',
	lease_until INTEGER NOT NULL DEFAULT 0,
	attempts    INTEGER NOT NULL DEFAULT 0,
	last_error  TEXT NOT NULL DEFAULT '',
	sent_at     INTEGER NOT NULL DEFAULT 0,
	created_at  INTEGER NOT NULL,
	PRIMARY KEY (token_uid, expires_on, generation, kind)
);
CREATE INDEX management_tokens_expiry ON management_tokens (expires_on) WHERE email_notification = 1;

-- +goose Down
DROP INDEX management_tokens_expiry;
DROP TABLE expiry_notices;
ALTER TABLE management_tokens DROP COLUMN notify_generation;
