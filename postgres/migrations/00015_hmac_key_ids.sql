-- +goose Up
-- Every stored lookup hash names the hmac key it was made with, so that a
-- new hmac key can take over (README, key rotation): values hash under the
-- key file's first hmac key, lookups try the older ones, `stackgate rekey`
-- re-hashes what it can open (delivery and preview tokens) and hash-only
-- credentials move on their next use. It runs after 00010–00014 (sessions'
-- details, token webhooks, OAuth hardening) and covers their hashes too.
-- Every hash stored before this migration was made with the one hmac key of its day, id h0 (the id of a
-- key file line "hmac <hex>"). The hash of a value a rotation replaced
-- (previous_hash) lives only for its grace window and keeps no id.
ALTER TABLE sessions ADD COLUMN token_hmac TEXT NOT NULL DEFAULT 'h0';
ALTER TABLE management_tokens ADD COLUMN token_hmac TEXT NOT NULL DEFAULT 'h0';
ALTER TABLE delivery_tokens ADD COLUMN token_hmac TEXT NOT NULL DEFAULT 'h0';
ALTER TABLE delivery_tokens ADD COLUMN preview_hmac TEXT NOT NULL DEFAULT 'h0';
ALTER TABLE oauth_apps ADD COLUMN secret_hmac TEXT NOT NULL DEFAULT 'h0';
ALTER TABLE oauth_codes ADD COLUMN code_hmac TEXT NOT NULL DEFAULT 'h0';
-- An OAuth token's access and refresh hashes are made together.
ALTER TABLE oauth_tokens ADD COLUMN hash_hmac TEXT NOT NULL DEFAULT 'h0';
-- A redeemed code or rotated-out refresh token is remembered (replay
-- detection) by its hash under the key of its day, looked up under each.
ALTER TABLE oauth_spent ADD COLUMN hash_hmac TEXT NOT NULL DEFAULT 'h0';
-- A stack's token webhook secret is sealed: Open checks it against its hash,
-- which rekey moves to the active hmac key as a delivery token's.
ALTER TABLE token_webhooks ADD COLUMN secret_hmac TEXT NOT NULL DEFAULT 'h0';
-- The one hmac fingerprint was recorded without an id.
UPDATE key_fingerprints SET key_id = 'h0' WHERE kind = 'hmac' AND key_id = '';

-- +goose Down
UPDATE key_fingerprints SET key_id = '' WHERE kind = 'hmac' AND key_id = 'h0';
ALTER TABLE token_webhooks DROP COLUMN secret_hmac;
ALTER TABLE oauth_spent DROP COLUMN hash_hmac;
ALTER TABLE oauth_tokens DROP COLUMN hash_hmac;
ALTER TABLE oauth_codes DROP COLUMN code_hmac;
ALTER TABLE oauth_apps DROP COLUMN secret_hmac;
ALTER TABLE delivery_tokens DROP COLUMN preview_hmac;
ALTER TABLE delivery_tokens DROP COLUMN token_hmac;
ALTER TABLE management_tokens DROP COLUMN token_hmac;
ALTER TABLE sessions DROP COLUMN token_hmac;
