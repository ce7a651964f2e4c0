// Command stackgate is the stackgate server and its administration tool.
//
//	stackgate serve      [--addr 127.0.0.1:8080] [--database URL] [--demo]
//	stackgate bootstrap  --database URL --email E --stack NAME [--password-file F]
//	stackgate user add   --database URL --email E --stack API_KEY --role NAME
//	stackgate user list|passwd|unlock|remove, token list|create|revoke, stack list (admin.go)
//	stackgate migrate    --database URL
//	stackgate keygen     --out stackgate.key
//	stackgate rekey, version
//
// URL is sqlite:PATH (default sqlite:./stackgate.db) or postgres://…
//
// Every flag but --demo and the per-command --email, --password, --stack and
// --role has an environment variable, named after it: --secret-key-file is
// STACKGATE_SECRET_KEY_FILE, --max-delivery-tokens STACKGATE_MAX_DELIVERY_TOKENS.
// Flags win over environment variables, which win over defaults.
// `stackgate serve --help` lists every flag with its variable and default;
// README's "Configuration" table says what each does.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	signal.Notify(hangups, syscall.SIGHUP)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.As(err, new(loggedError)) {
			fmt.Fprintln(os.Stderr, "stackgate:", err)
		}
		os.Exit(1)
	}
}

const usage = `usage:
  stackgate serve     [--addr 127.0.0.1:8080] [--database URL] [--secret-key-file F] [--tls-cert F --tls-key F] [--demo]
  stackgate bootstrap --database URL --email E --stack NAME [--password-file F]
  stackgate user add  --database URL --email E --stack API_KEY --role NAME [--password-file F]
  stackgate user list|passwd|unlock|remove  [--email E] [--password-file F] [--json]
  stackgate token list|create|revoke --stack API_KEY [--type delivery|management] [--json]
  stackgate stack list [--json]
  stackgate app add   --database URL --name NAME --redirect-uri URI [--redirect-uri URI…] [--scopes "a b"]
                      [--app-uid UID] [--client-id ID] [--client-secret[=SECRET]] [--machine --stack API_KEY]
  stackgate app list  --database URL
  stackgate app remove --database URL --app-uid UID
  stackgate migrate   --database URL
  stackgate keygen    [--out stackgate.key]   (a new secret key file, mode 0600)
  stackgate rekey     --database URL [--retire-hmac ID]   (re-seal and re-hash every token under the key file's first keys; report or retire older hmac keys)
  stackgate backup    --database sqlite:PATH --out FILE   (online; PostgreSQL: pg_dump)
  stackgate restore   --database sqlite:PATH --from FILE [--force]
  stackgate version   [--json]
Every command takes --help.
URL is sqlite:PATH (default sqlite:./stackgate.db) or postgres://...`

// loggedError is an error already written to the log (in --log-format):
// main exits 1 without writing it again.
type loggedError struct{ error }

func (e loggedError) Unwrap() error { return e.error }

// logFailure logs err (if any) as serve's last line and marks it logged.
func logFailure(log *slog.Logger, err error) error {
	if err == nil || errors.As(err, new(loggedError)) {
		return err
	}
	log.Error("stackgate stopped", "error", err)
	return loggedError{err}
}

// run is the whole program, so tests can start it in-process. --help (or
// -h) on any command prints its flags and succeeds.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	err := dispatch(ctx, args, getenv, stdout, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

func dispatch(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return fmt.Errorf("missing command")
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], getenv, stdout, stderr)
	case "bootstrap":
		return runBootstrap(ctx, args[1:], getenv, stdout, stderr)
	case "user":
		return runUser(ctx, args[1:], getenv, stdout, stderr)
	case "token":
		return runToken(ctx, args[1:], getenv, stdout, stderr)
	case "stack":
		return runStack(ctx, args[1:], getenv, stdout, stderr)
	case "app":
		if len(args) < 2 {
			return fmt.Errorf("usage: stackgate app add|list|remove …")
		}
		if args[1] == "--help" || args[1] == "-h" {
			fmt.Fprintln(stdout, "usage: stackgate app add|list|remove [flags] (stackgate app add --help lists its flags)")
			return nil
		}
		return runApp(ctx, args[1], args[2:], getenv, stdout, stderr)
	case "keygen":
		return runKeygen(args[1:], stdout, stderr)
	case "rekey":
		return runRekey(ctx, args[1:], getenv, stdout, stderr)
	case "backup":
		return runBackup(ctx, args[1:], getenv, stdout, stderr)
	case "restore":
		return runRestore(ctx, args[1:], getenv, stdout, stderr)
	case "version":
		return runVersion(args[1:], stdout, stderr)
	case "migrate":
		return runMigrate(ctx, args[1:], getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	fmt.Fprintln(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
