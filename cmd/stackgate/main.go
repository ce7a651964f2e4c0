// Command stackgate is the stackgate server and its administration tool.
//
//	stackgate serve      [--addr 127.0.0.1:8080] [--database URL] [--demo]
//	stackgate bootstrap  --database URL --email E --password P --stack NAME
//	stackgate user add   --database URL --email E --password P --stack API_KEY --role NAME
//	stackgate migrate    --database URL
//	stackgate keygen     > stackgate.key
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
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/stackgate/stackgate/secret"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "stackgate:", err)
		os.Exit(1)
	}
}

const usage = `usage:
  stackgate serve     [--addr 127.0.0.1:8080] [--database URL] [--secret-key-file F] [--demo]
  stackgate bootstrap --database URL --email E --password P --stack NAME
  stackgate user add  --database URL --email E --password P --stack API_KEY --role NAME
  stackgate app add   --database URL --name NAME --redirect-uri URI [--redirect-uri URI…] [--scopes "a b"]
                      [--app-uid UID] [--client-id ID] [--client-secret[=SECRET]] [--machine --stack API_KEY]
  stackgate app list  --database URL
  stackgate app remove --database URL --app-uid UID
  stackgate migrate   --database URL
  stackgate keygen    > stackgate.key   (a new secret key file)
URL is sqlite:PATH (default sqlite:./stackgate.db) or postgres://...`

// run is the whole program, so tests can start it in-process.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
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
		if len(args) < 2 || args[1] != "add" {
			return fmt.Errorf("usage: stackgate user add --database URL --email E --password P --stack API_KEY --role NAME")
		}
		return runUserAdd(ctx, args[2:], getenv, stdout, stderr)
	case "app":
		if len(args) < 2 {
			return fmt.Errorf("usage: stackgate app add|list|remove …")
		}
		return runApp(ctx, args[1], args[2:], getenv, stdout, stderr)
	case "keygen":
		_, err := stdout.Write(secret.GenerateKeyFile())
		return err
	case "migrate":
		return runMigrate(ctx, args[1:], getenv, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	fmt.Fprintln(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}
