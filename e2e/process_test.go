// Package e2e runs stackgate as its users do: real processes, a real nginx in
// front, two nodes on one PostgreSQL.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// binary is the stackgate binary under test: STACKGATE_BIN, or built once.
var (
	binOnce sync.Once
	binPath string
	binErr  error
)

func stackgateBin(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		if p := os.Getenv("STACKGATE_BIN"); p != "" {
			binPath = p
			return
		}
		dir, err := os.MkdirTemp("", "stackgate-e2e")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "stackgate")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/stackgate/stackgate/cmd/stackgate").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// runCmd runs a stackgate subcommand and returns its stdout.
func runCmd(t testing.TB, env []string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(stackgateBin(t), args...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("stackgate %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// bootstrap creates an owner and a stack and returns the JSON it printed.
func bootstrap(t testing.TB, env []string, database, email, stack string) map[string]string {
	t.Helper()
	out := runCmd(t, env, "bootstrap", "--database", database, "--email", email, "--password", "e2e-password-1", "--stack", stack)
	var m map[string]string
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("bootstrap printed %q: %v", out, err)
	}
	return m
}

var listenLine = regexp.MustCompile(`addr"?[=:]"?http://([0-9.:]+)`) // text or JSON logs

// node is a running stackgate serve.
type node struct {
	URL string
	cmd *exec.Cmd
}

// serve starts `stackgate serve` on a free port and waits for /healthz.
func serve(t testing.TB, env []string, args ...string) *node {
	t.Helper()
	cmd := exec.Command(stackgateBin(t), append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n := &node{cmd: cmd}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			if m := listenLine.FindStringSubmatch(sc.Text()); m != nil && !sent {
				addr <- m[1]
				sent = true
			}
			if testing.Verbose() {
				fmt.Fprintln(os.Stderr, "stackgate:", sc.Text())
			}
		}
		if !sent {
			close(addr)
		}
	}()
	select {
	case a, ok := <-addr:
		if !ok {
			t.Fatal("stackgate serve exited before listening")
		}
		n.URL = "http://" + a
	case <-time.After(30 * time.Second):
		t.Fatal("stackgate serve did not report its address")
	}
	waitHealthy(t, n.URL)
	return n
}

func waitHealthy(t testing.TB, base string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s/healthz never answered 200", base)
}

// sharedKey writes a fresh key file and returns the environment that makes
// every process started with it (nodes on one database, CLI commands) use it.
func sharedKey(t testing.TB) []string {
	t.Helper()
	keyFile := filepath.Join(t.TempDir(), "stackgate.key")
	if err := os.WriteFile(keyFile, runCmd(t, nil, "keygen"), 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{"STACKGATE_SECRET_KEY_FILE=" + keyFile}
}

// call makes one HTTP request and decodes a JSON reply (if any).
func call(t testing.TB, method, url string, headers map[string]string, body any) (int, map[string]any, http.Header) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header[k] = []string{v} // raw, as SDKs send them (api_key, authtoken)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s %s: body is not JSON: %q", method, url, raw)
		}
	}
	return resp.StatusCode, m, resp.Header
}

// login returns an authtoken.
func login(t testing.TB, base, email string) string {
	t.Helper()
	status, body, _ := call(t, "POST", base+"/v3/user-session", nil,
		map[string]any{"user": map[string]string{"email": email, "password": "e2e-password-1"}})
	if status != 200 {
		t.Fatalf("login %s: %d %v", email, status, body)
	}
	return body["user"].(map[string]any)["authtoken"].(string)
}
