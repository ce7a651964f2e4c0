package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/access"
	"github.com/stackgate/stackgate/postgres"
	"github.com/stackgate/stackgate/secret"
	"github.com/stackgate/stackgate/service"
	"github.com/stackgate/stackgate/sqlite"
)

const defaultDatabase = "sqlite:./stackgate.db"

// common are the flags every subcommand that opens the database shares.
type common struct {
	database      string
	secretKeyFile string
	svc           service.Config // serve's limits; zero (defaults) for other subcommands
	acc           access.Config  // serve's cache bound; zero (defaults) for other subcommands
}

func (c *common) register(fs *flag.FlagSet, getenv func(string) string) {
	fs.StringVar(&c.database, "database", envOr(getenv, "STACKGATE_DATABASE", defaultDatabase), "sqlite:PATH or postgres://URL (env STACKGATE_DATABASE)")
	fs.StringVar(&c.secretKeyFile, "secret-key-file", getenv("STACKGATE_SECRET_KEY_FILE"),
		"key file for token hashing and encryption (env STACKGATE_SECRET_KEY_FILE); SQLite default: beside the database")
}

func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}

// store is a backend with its migrations.
type store interface {
	stackgate.Store
	Migrate(ctx context.Context) ([]string, error)
}

// appliedAtOpen returns the migrations that opening st applied.
func appliedAtOpen(st store) []string {
	switch db := st.(type) {
	case *sqlite.DB:
		return db.Applied
	case *postgres.DB:
		return db.Applied
	}
	return nil
}

// openStore opens the database named by url, migrating it.
func openStore(ctx context.Context, url string) (store, error) {
	switch {
	case strings.HasPrefix(url, "sqlite:"):
		path := strings.TrimPrefix(url, "sqlite:")
		if path == "" {
			return nil, errors.New("sqlite: URL needs a path, e.g. sqlite:./stackgate.db")
		}
		return sqlite.Open(path)
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return postgres.Open(ctx, url)
	}
	return nil, fmt.Errorf("database URL %s: want sqlite:PATH or postgres://…", redact(url))
}

// openService opens the store and the keys and builds the service (the
// keys also build serve's access checker). The keys are checked against
// the data (keys.go) before anything is served.
func openService(ctx context.Context, c common, log *slog.Logger) (*service.Service, *secret.Keyring, store, error) {
	if _, err := keyPath(c); err != nil {
		return nil, nil, nil, err
	}
	st, err := openStore(ctx, c.database)
	if err != nil {
		return nil, nil, nil, err
	}
	if pg, ok := st.(*postgres.DB); ok {
		pg.Logger = log // the listener's lines in the configured format
	}
	keys, err := loadKeys(ctx, c, st, log)
	if err != nil {
		st.Close()
		return nil, nil, nil, err
	}
	return service.New(st, keys, c.svc, log), keys, st, nil
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}
