-- +goose Up
-- oauth_apps are the OAuth clients of `stackgate app add`. Only a keyed
-- hash of a confidential app's client secret is kept (NULL: a public app,
-- PKCE only). redirect_uris and scopes are JSON arrays of strings. A machine
-- app's tokens act on its installation, stack_uid.
CREATE TABLE oauth_apps (
	seq           INTEGER PRIMARY KEY,
	uid           TEXT NOT NULL UNIQUE,
	name          TEXT NOT NULL,
	client_id     TEXT NOT NULL UNIQUE,
	secret_hash   BLOB,
	redirect_uris TEXT NOT NULL,
	scopes        TEXT NOT NULL,
	machine       INTEGER NOT NULL DEFAULT 0,
	stack_uid     TEXT REFERENCES stacks (uid) ON DELETE CASCADE,
	created_at    INTEGER NOT NULL
);

-- A user's consent to an app; logout (DELETE …/authorizations/{uid}) or the
-- app's removal deletes it, and with it the user's codes and tokens.
CREATE TABLE oauth_authorizations (
	seq        INTEGER PRIMARY KEY,
	uid        TEXT NOT NULL UNIQUE,
	app_uid    TEXT NOT NULL REFERENCES oauth_apps (uid) ON DELETE CASCADE,
	user_uid   TEXT NOT NULL REFERENCES users (uid) ON DELETE CASCADE,
	created_at INTEGER NOT NULL,
	UNIQUE (app_uid, user_uid)
);

-- Authorization codes, single use, by keyed hash.
CREATE TABLE oauth_codes (
	code_hash         BLOB PRIMARY KEY,
	authorization_uid TEXT NOT NULL REFERENCES oauth_authorizations (uid) ON DELETE CASCADE,
	app_uid           TEXT NOT NULL,
	user_uid          TEXT NOT NULL,
	redirect_uri      TEXT NOT NULL,
	challenge         TEXT NOT NULL,
	scopes            TEXT NOT NULL,
	expires_at        INTEGER NOT NULL
);
CREATE INDEX oauth_codes_expiry ON oauth_codes (expires_at);

-- Access tokens and their refresh tokens, by keyed hash. A rotated token
-- keeps its access hash (it works until expires_at) and loses its refresh
-- hash. User tokens hang on their authorization, app tokens on their app.
CREATE TABLE oauth_tokens (
	seq               INTEGER PRIMARY KEY,
	access_hash       BLOB NOT NULL UNIQUE,
	refresh_hash      BLOB UNIQUE,
	app_uid           TEXT NOT NULL REFERENCES oauth_apps (uid) ON DELETE CASCADE,
	authorization_uid TEXT REFERENCES oauth_authorizations (uid) ON DELETE CASCADE,
	user_uid          TEXT NOT NULL,
	stack_uid         TEXT NOT NULL,
	scopes            TEXT NOT NULL,
	expires_at        INTEGER NOT NULL,
	created_at        INTEGER NOT NULL
);
CREATE INDEX oauth_tokens_expiry ON oauth_tokens (expires_at);
CREATE INDEX oauth_tokens_authorization ON oauth_tokens (authorization_uid);

-- +goose Down
DROP TABLE oauth_tokens;
DROP TABLE oauth_codes;
DROP TABLE oauth_authorizations;
DROP TABLE oauth_apps;
