-- +goose Up
-- family_uid names the grant a token descends from (one code exchange, or
-- one client_credentials request), passed on by every rotation: a replay of
-- the code or of a rotated-out refresh token revokes the family. Tokens
-- issued before it are each their own family.
ALTER TABLE oauth_tokens ADD COLUMN family_uid TEXT NOT NULL DEFAULT '';
UPDATE oauth_tokens SET family_uid = lower(hex(access_hash));
CREATE INDEX oauth_tokens_family ON oauth_tokens (family_uid);

-- oauth_spent remembers the keyed hashes of redeemed codes and rotated-out
-- refresh tokens, with the family they started or passed on, until the
-- family's refresh deadline (after which there is nothing left to revoke).
CREATE TABLE oauth_spent (
	hash       BLOB PRIMARY KEY,
	family_uid TEXT NOT NULL,
	app_uid    TEXT NOT NULL REFERENCES oauth_apps (uid) ON DELETE CASCADE,
	spent_at   INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
);
CREATE INDEX oauth_spent_expiry ON oauth_spent (expires_at);

-- +goose Down
DROP TABLE oauth_spent;
DROP INDEX oauth_tokens_family;
ALTER TABLE oauth_tokens DROP COLUMN family_uid;
