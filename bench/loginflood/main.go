// Command loginflood sends concurrent logins with wrong passwords to a
// running stackgate and reports the status codes it got back; with --pid it
// also reports the server's peak resident memory (VmHWM, Linux).
//
//	loginflood --url http://127.0.0.1:18090 --email a@example.com --concurrency 128 --duration 15s --pid 1234
//
// Each worker sends from its own X-Forwarded-For address (the server is
// started with --trusted-proxies 127.0.0.1), so the per-client backoff does
// not turn the flood away before it reaches argon2id: this is the worst case
// for memory. scripts/loginflood.sh builds and runs everything.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	url := flag.String("url", "http://127.0.0.1:18090", "server base URL")
	email := flag.String("email", "", "email to guess at (empty: a new unknown email per request)")
	conc := flag.Int("concurrency", 128, "concurrent requests")
	dur := flag.Duration("duration", 15*time.Second, "how long to flood")
	pid := flag.Int("pid", 0, "server pid, to read its peak RSS from /proc")
	flag.Parse()

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *conc}, Timeout: 30 * time.Second}
	var mu sync.Mutex
	statuses := map[int]int{}
	var n atomic.Int64
	deadline := time.Now().Add(*dur)
	var wg sync.WaitGroup
	for w := range *conc {
		wg.Go(func() {
			for i := 0; time.Now().Before(deadline); i++ {
				e := *email
				if e == "" {
					e = fmt.Sprintf("nobody-%d-%d@example.com", w, i)
				}
				body := fmt.Sprintf(`{"user":{"email":%q,"password":"wrong-password-%d"}}`, e, i)
				req, _ := http.NewRequest("POST", *url+"/v3/user-session", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				// A new address every request: no per-client backoff helps.
				req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", w%250, (i/250)%250, i%250+1))
				resp, err := client.Do(req)
				code := -1
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					code = resp.StatusCode
				}
				mu.Lock()
				statuses[code]++
				mu.Unlock()
				n.Add(1)
			}
		})
	}
	wg.Wait()
	codes := make([]int, 0, len(statuses))
	for c := range statuses {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	fmt.Printf("requests: %d in %v (%d concurrent)\n", n.Load(), *dur, *conc)
	for _, c := range codes {
		fmt.Printf("  status %d: %d\n", c, statuses[c])
	}
	if *pid != 0 {
		fmt.Printf("server peak RSS (VmHWM): %s\n", vm(*pid, "VmHWM"))
		fmt.Printf("server RSS now (VmRSS):  %s\n", vm(*pid, "VmRSS"))
	}
}

func vm(pid int, key string) string {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), key+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "?"
}
