package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/secret"
	"github.com/stackgate/stackgate/service"
)

// loadKeys reads the key file and checks it against the data in st. Without
// --secret-key-file, SQLite mode uses a key file beside the database, and
// creates it (mode 0600) only for a database that holds nothing yet: beside
// a database with data, a missing key file is an error, since a new key
// would make every stored token and session unusable. PostgreSQL mode
// refuses to run without one, because every node must share the same keys.
func loadKeys(ctx context.Context, c common, st store, log *slog.Logger) (*secret.Keyring, error) {
	path, err := keyPath(c)
	if err != nil {
		return nil, err
	}
	keys, err := readKeys(ctx, path, c.secretKeyFile == "", st, log)
	if err != nil {
		return nil, err
	}
	if err := service.BindKeys(ctx, st, keys); err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return keys, nil
}

// keyPath is the key file's path; openService asks before it connects, so
// that a PostgreSQL node without one says so whether or not the database
// is up.
func keyPath(c common) (string, error) {
	if c.secretKeyFile != "" {
		return c.secretKeyFile, nil
	}
	if !strings.HasPrefix(c.database, "sqlite:") {
		return "", errors.New("PostgreSQL mode needs --secret-key-file (or STACKGATE_SECRET_KEY_FILE): " +
			"every node must share the same keys. Create one with: stackgate keygen --out stackgate.key")
	}
	return strings.TrimPrefix(c.database, "sqlite:") + ".key", nil
}

func readKeys(ctx context.Context, path string, mayCreate bool, st store, log *slog.Logger) (*secret.Keyring, error) {
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) || !mayCreate {
		k, _, err := secret.LoadKeyFile(path, false)
		return k, err
	}
	b, err := st.KeyBinding(ctx)
	if err != nil {
		return nil, err
	}
	if b.HasData || len(b.Recorded) > 0 {
		return nil, fmt.Errorf("the key file %s is missing, and the database beside it holds data sealed with it: "+
			"restore the key file from the same backup as the database (a new key would make every token and session unusable)", path)
	}
	k, created, err := secret.LoadKeyFile(path, true)
	if created {
		abs, _ := filepath.Abs(path)
		log.Info("generated a new secret key file; keep it with the database", "path", abs)
	}
	return k, err
}

// runKeygen writes a new key file: to --out (mode 0600, never replacing a
// file), or to stdout.
func runKeygen(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("keygen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "write the key file here, mode 0600 (an existing file is never replaced); default stdout")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		_, err := stdout.Write(secret.GenerateKeyFile())
		return err
	}
	if _, err := secret.CreateKeyFile(*out); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("keygen: %s exists; a key file is never overwritten (it would destroy what it seals)", *out)
		}
		return err
	}
	fmt.Fprintln(stdout, "keygen: wrote", *out)
	return nil
}

// runRekey re-seals every sealed value under the key file's first (active)
// encryption key and re-hashes it under its first hmac key, online, then
// reports what each older key still seals or hashes; with --retire-hmac it
// then revokes what an older hmac key still hashes, so that its line may
// leave the key file.
func runRekey(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	a := newAdminCmd("rekey", getenv, stderr)
	batch := a.fs.Int("batch", 100, "tokens re-sealed per transaction (each batch locks one stack briefly)")
	retire := a.fs.String("retire-hmac", "", "after re-keying, revoke what this older hmac key id still hashes "+
		"(sessions, management tokens, OAuth tokens: they must be issued again), so that its line may be removed")
	svc, st, err := a.open(ctx, args, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	if *retire != "" {
		if err := svc.CheckRetireHMACKey(*retire); err != nil {
			return fmt.Errorf("rekey: %w", err)
		}
	}
	n, err := svc.Rekey(ctx, *batch, nil)
	if err != nil {
		return fmt.Errorf("rekey: %w (after re-sealing %d; running it again continues)", err, n)
	}
	var retired []stackgate.Hashed
	if *retire != "" {
		if retired, err = svc.RetireHMACKey(ctx, *retire); err != nil {
			return fmt.Errorf("rekey: retire hmac key %s: %w (after revoking %d; running it again continues)", *retire, err, len(retired))
		}
	}
	use, err := svc.KeyUse(ctx)
	if err != nil {
		return err
	}
	type revoked struct {
		Kind  stackgate.HashKind `json:"kind"`
		Stack string             `json:"stack_uid,omitempty"`
		User  string             `json:"user_uid,omitempty"`
		App   string             `json:"app_uid,omitempty"`
		UID   string             `json:"uid,omitempty"`
		Name  string             `json:"name,omitempty"`
	}
	list := []revoked{}
	for _, h := range retired {
		list = append(list, revoked{h.Kind, h.StackUID, h.UserUID, h.AppUID, h.UID, h.Name})
	}
	out := map[string]any{"resealed": n, "sealed_by_key": use.SealedBy, "hashed_by_hmac_key": use.HashedBy}
	if *retire != "" {
		out["retired_hmac_key"], out["revoked"] = *retire, list
	}
	return a.emit(stdout, out, func(w io.Writer) {
		fmt.Fprintf(w, "rekey: re-sealed %d secret(s): tokens and token webhook secrets\n", n)
		for _, id := range sortedKeys(use.SealedBy) {
			fmt.Fprintf(w, "rekey: encryption key %s seals %d value(s)\n", id, use.SealedBy[id])
		}
		for _, id := range sortedKeys(use.HashedBy) {
			var parts []string
			for _, kind := range sortedKeys(use.HashedBy[id]) {
				parts = append(parts, fmt.Sprintf("%d %s", use.HashedBy[id][kind], kind))
			}
			fmt.Fprintf(w, "rekey: hmac key %s hashes %s\n", id, strings.Join(parts, ", "))
		}
		if *retire != "" {
			fmt.Fprintf(w, "rekey: retired hmac key %s: revoked %d credential(s); they must be issued again\n", *retire, len(list))
			for _, r := range list {
				switch r.Kind {
				case stackgate.HashManagementToken:
					fmt.Fprintf(w, "rekey: revoked management token %q (%s) of stack %s\n", r.Name, r.UID, r.Stack)
				case stackgate.HashSession:
					fmt.Fprintf(w, "rekey: revoked a session of user %s\n", r.User)
				case stackgate.HashOAuthSpent:
					fmt.Fprintf(w, "rekey: forgot the spent codes and refresh tokens of app %s (their replay is refused, no longer detected)\n", r.App)
				default:
					fmt.Fprintf(w, "rekey: revoked an %s of app %s (user %s)\n", r.Kind, r.App, r.User)
				}
			}
		}
		fmt.Fprintln(w, "rekey: keys that seal or hash nothing may now be removed from the key file (never the first line of a kind)")
	})
}

// sortedKeys are m's keys in order.
func sortedKeys[K ~string, V any](m map[K]V) []K {
	ks := make([]K, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
