package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// Backup writes a consistent copy of the database to path with VACUUM INTO:
// one read transaction, so the copy is the database as of one commit, while
// other connections and processes keep writing (WAL readers block no
// writer). The copy is compact, has no -wal file to go with it, and carries
// the key fingerprints (key_fingerprints) like every table. path must not
// exist; it is created 0600, like the database.
func (db *DB) Backup(ctx context.Context, path string) error {
	if db.memory {
		return errors.New("sqlite: an in-memory database has nothing to back up")
	}
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%s exists; a backup never replaces a file", path)
	}
	// VACUUM INTO creates the file with the process's umask: make it
	// private first, then let SQLite fill it (it accepts an empty file).
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	f.Close()
	// On the writer connection: the readers are query_only, which VACUUM
	// INTO counts as writing. It reads the source in one read transaction
	// and takes no write lock on it: other processes keep writing.
	if _, err := db.write.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		os.Remove(path)
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

// IntegrityCheck runs PRAGMA integrity_check: nil when the file is sound.
func (db *DB) IntegrityCheck(ctx context.Context) error {
	var res string
	if err := db.read.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res); err != nil {
		return err
	}
	if res != "ok" {
		return fmt.Errorf("integrity check: %s", res)
	}
	return nil
}
