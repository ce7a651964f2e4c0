// Command gatebench supports scripts/gatebench.sh and scripts/proxybench.sh:
// it seeds a database with many stacks of delivery tokens, serves the
// minimal net/http handler the gate is compared with (and the proxies'
// upstream), and a bare httputil.ReverseProxy the CDA proxy listener is
// compared with.
//
//	gatebench seed    --database sqlite:PATH --stacks 100 --tokens 100 --out tokens.txt
//	gatebench minimal --addr 127.0.0.1:9090
//	gatebench rproxy  --addr 127.0.0.1:9091 --upstream http://127.0.0.1:9090
//	gatebench cachemem --database sqlite:PATH --tokens tokens.txt [--cache-max-stacks N]
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/secret"
	"github.com/stackgate/stackgate/service"
	"github.com/stackgate/stackgate/sqlite"
)

func main() {
	if len(os.Args) < 2 {
		log.Fatal("usage: gatebench seed|minimal|rproxy|cachemem [flags]")
	}
	var err error
	switch os.Args[1] {
	case "seed":
		err = seed(os.Args[2:])
	case "minimal":
		err = minimal(os.Args[2:])
	case "rproxy":
		err = rproxy(os.Args[2:])
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

// rproxy serves a bare httputil.ReverseProxy to one upstream, tuned as
// stackgate's proxy listeners are (a transport keeping many idle
// connections — Go's default keeps 2 per host — and pooled copy buffers):
// the ceiling of the CDA proxy listener. It rewrites as they do (SetURL,
// SetXForwarded) and decides nothing.
func rproxy(args []string) error {
	fs := flag.NewFlagSet("rproxy", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:9091", "listen address")
	upstream := fs.String("upstream", "", "upstream URL, e.g. http://127.0.0.1:9090")
	_ = fs.Parse(args)
	u, err := url.Parse(*upstream)
	if err != nil || u.Host == "" {
		return fmt.Errorf("--upstream must be an http URL")
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.SetXForwarded()
		},
		Transport: &http.Transport{
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:          1024,
			MaxIdleConnsPerHost:   512,
			IdleConnTimeout:       90 * time.Second,
			ResponseHeaderTimeout: 30 * time.Second,
			ExpectContinueTimeout: time.Second,
			ForceAttemptHTTP2:     true,
		},
		BufferPool: &bufferPool{},
	}
	srv := &http.Server{Addr: *addr, Handler: rp, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	return srv.ListenAndServe()
}

// bufferPool recycles ReverseProxy's 32 KiB copy buffers.
type bufferPool struct{ p sync.Pool }

func (b *bufferPool) Get() []byte {
	if v, ok := b.p.Get().(*[]byte); ok {
		return *v
	}
	return make([]byte, 32<<10)
}

func (b *bufferPool) Put(buf []byte) { b.p.Put(&buf) }

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
	read := true
	scope := []stackgate.ScopeEntry{
		{Module: stackgate.ModuleEnvironment, Environments: []string{"production"}, ACL: stackgate.ACL{Read: &read}},
		{Module: stackgate.ModuleBranch, Branches: []string{"main"}, ACL: stackgate.ACL{Read: &read}},
	}
	for i := 0; i < *stacks; i++ {
		stack, err := svc.CreateStack(ctx, owner, fmt.Sprintf("bench-%d", i))
		if err != nil {
			return err
		}
		by := stackgate.Actor{Stack: stack, UID: owner.UID}
		for j := 0; j < *tokens; j++ {
			name := fmt.Sprintf("token-%d", j)
			t, err := svc.CreateDeliveryToken(ctx, by, service.TokenInput{Name: &name, Scope: scope}, false)
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
