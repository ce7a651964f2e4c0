-- +goose Up
-- key_fingerprints binds the key file to the data it protects: one row for
-- the hmac key and one per encryption key id, each a one-way digest of the
-- key (secret.Keyring.Fingerprints), recorded by the first node that opened
-- the database with it. A node whose keys differ refuses to start.
-- (00005 is another change's number; goose applies files in order and
-- accepts gaps.)
CREATE TABLE key_fingerprints (
	kind        TEXT NOT NULL,
	key_id      TEXT NOT NULL,
	fingerprint BLOB NOT NULL,
	recorded_at INTEGER NOT NULL,
	PRIMARY KEY (kind, key_id)
);

-- +goose Down
DROP TABLE key_fingerprints;
