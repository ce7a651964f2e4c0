-- +goose Up
-- webhook_deliveries is the webhook outbox: one row per token event
-- (created, rotated, revoked), written by sqlstore in the transaction of the
-- change, beside its audit entry. body is the exact JSON that is signed and
-- sent (never a token value). A worker on every node claims rows (claim,
-- lease_until: a lapsed lease may be taken over, which doubles as the retry
-- backoff), then sets sent_at, or failed_at when the attempts ran out.
CREATE TABLE webhook_deliveries (
	seq         INTEGER PRIMARY KEY,
	uid         TEXT NOT NULL UNIQUE,
	stack_uid   TEXT NOT NULL,
	event       TEXT NOT NULL,
	body        TEXT NOT NULL,
	created_at  INTEGER NOT NULL,
	claim       TEXT NOT NULL DEFAULT '',
	lease_until INTEGER NOT NULL DEFAULT 0,
	attempts    INTEGER NOT NULL DEFAULT 0,
	last_error  TEXT NOT NULL DEFAULT '',
	sent_at     INTEGER NOT NULL DEFAULT 0,
	failed_at   INTEGER NOT NULL DEFAULT 0,
	-- dedup_key names an expiry event (kind, token, expiry date): every
	-- node may enqueue it, the unique index keeps one. NULL for changes.
	dedup_key   TEXT UNIQUE
);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (lease_until) WHERE sent_at = 0 AND failed_at = 0;
CREATE INDEX webhook_deliveries_stack ON webhook_deliveries (stack_uid, seq);
CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at);
-- The expiry scan reads tokens by expiry date (management tokens' index is
-- partial: only those with e-mail notification).
CREATE INDEX webhook_management_tokens_expires ON management_tokens (expires_on);
CREATE INDEX webhook_delivery_tokens_expires ON delivery_tokens (expires_on);

-- +goose Down
DROP INDEX webhook_delivery_tokens_expires;
DROP INDEX webhook_management_tokens_expires;
DROP TABLE webhook_deliveries;
