// Command gatebench supports scripts/gatebench.sh: it seeds a database with
// many stacks of delivery tokens, and serves the minimal net/http handler the
// gate is compared with.
//
//	gatebench seed    --database sqlite:PATH --stacks 100 --tokens 100 --out tokens.txt
//	gatebench minimal --addr 127.0.0.1:9090
//	gatebench cachemem --database sqlite:PATH --tokens tokens.txt [--cache-max-stacks N]
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"

	"github.com/stackgate/stackgate/secret"
	"github.com/stackgate/stackgate/service"
	"github.com/stackgate/stackgate/sqlite"
)

func main() {
	if len(os.Args) < 2 {
		log.Fatal("usage: gatebench seed|minimal|cachemem [flags]")
	}
	var err error
	switch os.Args[1] {
	case "seed":
		err = seed(os.Args[2:])
	case "minimal":
		err = minimal(os.Args[2:])
	case "cachemem":
		err = cachemem(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		log.Fatal(err)
	}
}

// minimal serves a fixed body: the ceiling every gate figure is compared with.
func minimal(args []string) error {
	fs := flag.NewFlagSet("minimal", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:9090", "listen address")
	_ = fs.Parse(args)
	body := []byte(`{"ok":true}`)
	return http.ListenAndServe(*addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
}

// seed creates stacks × tokens delivery tokens and writes one line per token:
// "<api_key> <access_token>".
func seed(args []string) error {
	fs := flag.NewFlagSet("seed", flag.ExitOnError)
	database := fs.String("database", "", "sqlite:PATH")
	stacks := fs.Int("stacks", 100, "stacks to create")
	tokens := fs.Int("tokens", 100, "delivery tokens per stack")
	out := fs.String("out", "tokens.txt", "where to write the tokens")
	_ = fs.Parse(args)
	path, ok := strings.CutPrefix(*database, "sqlite:")
	if !ok {
		return fmt.Errorf("--database must be sqlite:PATH")
	}
	ctx := context.Background()
	keys, _, err := secret.LoadKeyFile(path+".key", true)
	if err != nil {
		return err
	}
	st, err := sqlite.Open(path)
	if err != nil {
		return err
	}
	defer st.Close()
	svc := service.New(st, keys, service.Config{DeliveryTokenLimit: *tokens}, nil)
	owner, _, err := svc.EnsureUser(ctx, "bench@example.com", "bench-password-1")
	if err != nil {
		return err
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	scope := json.RawMessage(`[{"module":"environment","environments":["production"],"acl":{"read":true}},
		{"module":"branch","branches":["main"],"acl":{"read":true}}]`)
	for i := 0; i < *stacks; i++ {
		stack, err := svc.CreateStack(ctx, owner, fmt.Sprintf("bench-%d", i))
		if err != nil {
			return err
		}
		p := &service.Principal{Kind: service.KindUser, Stack: stack, UID: owner.UID, Owner: true}
		for j := 0; j < *tokens; j++ {
			name := fmt.Sprintf("token-%d", j)
			t, err := svc.CreateDeliveryToken(ctx, p, service.TokenInput{Name: &name, Scope: scope}, false)
			if err != nil {
				return fmt.Errorf("stack %d token %d: %w", i, j, err)
			}
			fmt.Fprintf(w, "%s %s\n", stack.APIKey, t.Token)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}
