-- +goose Up
-- redirect_uri_named: the authorization request named its redirect_uri
-- (RFC 6749 §4.1.3: the token request must then name the same one). Codes
-- live a minute; those already issued keep the lenient rule.
ALTER TABLE oauth_codes ADD COLUMN redirect_uri_named BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE oauth_codes DROP COLUMN redirect_uri_named;
