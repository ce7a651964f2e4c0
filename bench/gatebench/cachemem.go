package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/stackgate/stackgate/access"
	"github.com/stackgate/stackgate/authz"
	"github.com/stackgate/stackgate/secret"
	"github.com/stackgate/stackgate/sqlite"
)

// cachemem measures the heap the cache takes per cached delivery token: it
// opens a seeded database, lets the gate decide one request per stack (which
// caches the stack's whole snapshot), and compares the live heap before and
// after. It then checks that cache hits allocate nothing and reports the
// evictions when --cache-max-stacks is below the number of stacks.
//
//	gatebench cachemem --database sqlite:PATH --tokens tokens.txt [--cache-max-stacks N]
func cachemem(args []string) error {
	fs := flag.NewFlagSet("cachemem", flag.ExitOnError)
	database := fs.String("database", "", "sqlite:PATH (seeded by gatebench seed)")
	tokensFile := fs.String("tokens", "tokens.txt", "the seed's token list")
	maxStacks := fs.Int("cache-max-stacks", 0, "cache bound (0: the default, 10,000)")
	_ = fs.Parse(args)
	path, ok := strings.CutPrefix(*database, "sqlite:")
	if !ok {
		return fmt.Errorf("--database must be sqlite:PATH")
	}
	keys, _, err := secret.LoadKeyFile(path+".key", false)
	if err != nil {
		return err
	}
	st, err := sqlite.Open(path)
	if err != nil {
		return err
	}
	defer st.Close()
	f, err := os.Open(*tokensFile)
	if err != nil {
		return err
	}
	var order []string
	first := map[string]string{}
	total := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, tok, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		total++
		if _, seen := first[key]; !seen {
			first[key] = tok
			order = append(order, key)
		}
	}
	f.Close()

	ctx := context.Background()
	chk := access.New(st, keys, access.Config{CacheMaxStacks: *maxStacks}, nil)
	req := func(key, tok string) access.GateRequest {
		return access.GateRequest{API: authz.CDA, Method: "GET", Path: "/v3/content_types/blog/entries", Environment: "production",
			Credentials: access.Credentials{APIKey: key, AccessToken: tok}}
	}
	before := liveHeap()
	for _, key := range order {
		if d, err := chk.Decide(ctx, req(key, first[key])); err != nil || !d.Allowed {
			return fmt.Errorf("stack %s: not allowed: %v %s", key, err, d.Reason)
		}
	}
	after := liveHeap()
	stats := chk.CacheStats()
	cachedTokens := total * stats.Stacks / len(order)
	fmt.Printf("stacks touched: %d, cached: %d, evicted: %d; tokens cached: %d\n", len(order), stats.Stacks, stats.Evictions, cachedTokens)
	fmt.Printf("live heap: before %d B, after %d B: %.0f bytes per cached delivery token (goal <= 600)\n",
		before, after, float64(after-before)/float64(cachedTokens))

	// Hits: the last stack touched is cached whatever the bound.
	last := order[len(order)-1]
	r := req(last, first[last])
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	const hits = 100000
	for range hits {
		if d, _ := chk.Decide(ctx, r); !d.Allowed {
			return fmt.Errorf("hit denied")
		}
	}
	runtime.ReadMemStats(&m1)
	fmt.Printf("allocations per cache hit: %.3f\n", float64(m1.Mallocs-m0.Mallocs)/hits)
	runtime.KeepAlive(chk)
	return nil
}

func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
