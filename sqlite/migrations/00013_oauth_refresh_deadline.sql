-- +goose Up
-- refresh_expires_at: the deadline of the grant the token descends from (the
-- code exchange or client_credentials, plus --oauth-refresh-ttl), carried
-- unchanged through every rotation. Tokens issued before it get 90 days
-- (the default) from their own creation.
ALTER TABLE oauth_tokens ADD COLUMN refresh_expires_at INTEGER NOT NULL DEFAULT 0;
UPDATE oauth_tokens SET refresh_expires_at = created_at + 7776000000;

-- +goose Down
ALTER TABLE oauth_tokens DROP COLUMN refresh_expires_at;
