package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/stackgate/stackgate/secret"
	"github.com/stackgate/stackgate/service"
	"github.com/stackgate/stackgate/sqlite"
)

// pgDumpAdvice is what backup and restore say for PostgreSQL, whose own
// tools make a consistent copy of a live database.
const pgDumpAdvice = "for PostgreSQL use its own tools (README \"Backups\"): " +
	"pg_dump --format=custom --file=stackgate.dump \"$DATABASE_URL\" and pg_restore --clean --if-exists --dbname=\"$DATABASE_URL\" stackgate.dump; " +
	"keep the key file (--secret-key-file) with the dump, stored apart from it"

// sqlitePath returns the file of a sqlite: URL.
func sqlitePath(database, verb string) (string, error) {
	if !strings.HasPrefix(database, "sqlite:") {
		return "", fmt.Errorf("%s works on SQLite databases; %s", verb, pgDumpAdvice)
	}
	path := strings.TrimPrefix(database, "sqlite:")
	if path == "" || path == ":memory:" {
		return "", fmt.Errorf("%s needs a database file (sqlite:PATH)", verb)
	}
	return path, nil
}

// runBackup writes an online, consistent copy of a SQLite database.
func runBackup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	a := newAdminCmd("backup", getenv, stderr)
	out := a.fs.String("out", "", "write the backup to this file (must not exist; mode 0600)")
	if err := a.fs.Parse(args); err != nil {
		return err
	}
	path, err := sqlitePath(a.c.database, "backup")
	if err != nil {
		return err
	}
	if *out == "" {
		return errors.New("backup needs --out FILE")
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	db, err := sqlite.Open(path)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Backup(ctx, *out); err != nil {
		return err
	}
	b, err := db.KeyBinding(ctx)
	if err != nil {
		return err
	}
	fp := ""
	for _, r := range b.Recorded {
		if r.Kind == "hmac" {
			fp = hex.EncodeToString(r.Fingerprint)
		}
	}
	fi, err := os.Stat(*out)
	if err != nil {
		return err
	}
	res := map[string]any{"backup": *out, "bytes": fi.Size(), "at": time.Now().UTC().Format(time.RFC3339), "key_fingerprint": fp}
	return a.emit(stdout, res, func(w io.Writer) {
		fmt.Fprintf(w, "backup: wrote %s (%d bytes)\nbackup: key fingerprint %s: it restores only with this database's key file (%s.key unless --secret-key-file); keep that file safe, apart from the backup\n",
			*out, fi.Size(), fp, path)
	})
}

// runRestore puts a backup in place of (or as) a SQLite database, after
// checking it is sound and belongs to the key file.
func runRestore(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	a := newAdminCmd("restore", getenv, stderr)
	from := a.fs.String("from", "", "the backup file (stackgate backup --out)")
	force := a.fs.Bool("force", false, "replace an existing database (stop every server using it first); the old one is kept beside it as PATH.replaced-TIME")
	if err := a.fs.Parse(args); err != nil {
		return err
	}
	c := a.c
	path, err := sqlitePath(c.database, "restore")
	if err != nil {
		return err
	}
	if *from == "" {
		return errors.New("restore needs --from FILE")
	}
	_, statErr := os.Stat(path)
	exists := statErr == nil
	if exists && !*force {
		return fmt.Errorf("restore: %s exists; stop every server using it, then run again with --force (the old file is kept)", path)
	}
	keyFile := c.secretKeyFile
	if keyFile == "" {
		keyFile = path + ".key"
	}
	keys, _, err := secret.LoadKeyFile(keyFile, false)
	if err != nil {
		return fmt.Errorf("restore: the key file that goes with the backup is needed: %w", err)
	}

	// Work on a copy beside the target, so the rename at the end is atomic.
	tmp := path + ".restoring"
	_ = os.Remove(tmp)
	if err := copyFile(*from, tmp); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			for _, s := range []string{"", "-wal", "-shm"} {
				os.Remove(tmp + s)
			}
		}
	}()
	db, err := sqlite.Open(tmp) // migrates an older backup forward
	if err != nil {
		return fmt.Errorf("restore: %s is not a stackgate database: %w", *from, err)
	}
	err = db.IntegrityCheck(ctx)
	if err == nil {
		err = service.BindKeys(ctx, db, keys)
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("restore: %s: %w", *from, err)
	}
	replaced := ""
	if exists {
		replaced = path + ".replaced-" + time.Now().UTC().Format("20060102T150405Z")
		for _, s := range []string{"", "-wal", "-shm"} {
			if err := os.Rename(path+s, replaced+s); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("restore: %w", err)
			}
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	ok = true
	return a.emit(stdout, map[string]any{"restored": path, "from": *from, "replaced": replaced}, func(w io.Writer) {
		fmt.Fprintf(w, "restore: %s restored from %s\n", path, *from)
		if replaced != "" {
			fmt.Fprintf(w, "restore: the previous database is kept as %s\n", replaced)
		}
	})
}

// copyFile copies src to dst (created 0600, never replaced) and syncs it.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
