-- +goose Up
-- token_webhooks holds each stack's own token-event webhook (PUT
-- /v3/stacks/token_webhook): where its events go (url), which (events, a
-- comma-separated list of created, rotated, revoked, expiring, expired) and
-- the signing secret, sealed like a delivery token (secret_cipher under the
-- encryption key key_id; secret_hash its keyed hash, which Open checks), so
-- that `stackgate rekey` re-seals it and the key binding counts it.
CREATE TABLE token_webhooks (
	seq           INTEGER PRIMARY KEY,
	stack_uid     TEXT NOT NULL UNIQUE REFERENCES stacks (uid) ON DELETE CASCADE,
	url           TEXT NOT NULL,
	events        TEXT NOT NULL,
	secret_hash   BLOB NOT NULL,
	secret_cipher BLOB NOT NULL,
	key_id        TEXT NOT NULL,
	secret_hint   TEXT NOT NULL DEFAULT '',
	created_by    TEXT NOT NULL DEFAULT '',
	updated_by    TEXT NOT NULL DEFAULT '',
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL
);

-- +goose Down
DROP TABLE token_webhooks;
