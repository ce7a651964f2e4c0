package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stackgate/stackgate/internal/testdb"
)

// readyz returns /readyz's status and the ok of each check.
func readyz(t *testing.T, base string) (int, map[string]bool) {
	t.Helper()
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatalf("readyz: %v", err)
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Checks map[string]struct {
			OK    bool   `json:"ok"`
			Error string `json:"error"`
		} `json:"checks"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("readyz body: %v", err)
	}
	out := map[string]bool{}
	for name, c := range body.Checks {
		out[name] = c.OK
		if !c.OK && c.Error == "" {
			t.Errorf("readyz: failed check %s says nothing", name)
		}
	}
	return resp.StatusCode, out
}

// waitReady polls /readyz until it answers status with exactly checks.
func waitReady(t *testing.T, base string, status int, checks map[string]bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var gotStatus int
	var got map[string]bool
	for time.Now().Before(deadline) {
		if gotStatus, got = readyz(t, base); gotStatus == status && fmt.Sprint(got) == fmt.Sprint(checks) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("readyz: %d %v, want %d %v", gotStatus, got, status, checks)
}

func healthzOK(t *testing.T, base string) {
	t.Helper()
	resp, err := http.Get(base + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
}

// TestReadyzPostgresStopped: with PostgreSQL stopped under a serving node,
// /healthz stays 200 and /readyz answers 503 naming the store and the
// change listener; every log line, the listener's included, stays JSON;
// once PostgreSQL is back the listener logs that it reconnected and the
// node is ready again.
func TestReadyzPostgresStopped(t *testing.T) {
	pg := testdb.NewCluster(t, "", "")
	pg.Start()
	url := pg.URL("postgres", "", "postgres", "sslmode=disable")
	keyFile := filepath.Join(t.TempDir(), "k")
	cli(t, "keygen", "--out", keyFile)
	lines, stop := serveLines(t, "--addr", "127.0.0.1:0", "--database", url, "--secret-key-file", keyFile, "--log-format", "json")
	var all []string
	addrRe := regexp.MustCompile(`"addr":"http://([0-9.:]+)"`)
	var base string
	for base == "" {
		l := <-lines
		all = append(all, l)
		if m := addrRe.FindStringSubmatch(l); m != nil {
			base = "http://" + m[1]
		}
	}
	allOK := map[string]bool{"store": true, "migrations": true, "writable": true, "listener": true}
	waitReady(t, base, 200, allOK)

	pg.Stop()
	waitReady(t, base, 503, map[string]bool{"store": false, "migrations": false, "writable": false, "listener": false})
	healthzOK(t, base)

	pg.Start()
	waitReady(t, base, 200, allOK)
	if err := stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
	for l := range lines {
		all = append(all, l)
	}
	var reconnected, lost bool
	for _, l := range all {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Errorf("a log line is not JSON: %s", l)
		}
		switch m["msg"] {
		case "postgres: change listener lost its connection":
			lost = true
		case "postgres: change listener reconnected":
			reconnected = true
		}
	}
	if !lost || !reconnected {
		t.Errorf("listener lines: lost %v, reconnected %v in\n%v", lost, reconnected, all)
	}
}

// TestReadyzDisk: a SQLite database on a small tmpfs: /readyz answers 503
// naming the disk while the file system is full, 200 again once it takes
// writes; /healthz stays 200.
func TestReadyzDisk(t *testing.T) {
	dir, err := os.MkdirTemp("", "stackgate-tmpfs-")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", dir).CombinedOutput(); err != nil {
		os.Remove(dir)
		if os.Getenv("CI") != "" {
			t.Fatalf("cannot mount a tmpfs (needs root and CAP_SYS_ADMIN), and under CI this test must run: %v %s", err, out)
		}
		t.Skipf("cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN): %v %s", err, out)
	}
	t.Cleanup(func() {
		exec.Command("umount", "-l", dir).Run()
		os.Remove(dir)
	})
	db, _ := bootstrapDB(t, dir)
	lines, _ := serveLines(t, "--addr", "127.0.0.1:0", "--database", db)
	base := "http://" + waitLine(t, lines, regexp.MustCompile(`addr=http://([0-9.:]+)`))[1]
	allOK := map[string]bool{"store": true, "migrations": true, "disk": true, "listener": true}
	waitReady(t, base, 200, allOK)

	filler, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for {
		if _, err := filler.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling the disk: %v", err)
			}
			break
		}
	}
	filler.Close()
	waitReady(t, base, 503, map[string]bool{"store": true, "migrations": true, "disk": false, "listener": true})
	healthzOK(t, base)
	os.Remove(filler.Name())
	waitReady(t, base, 200, allOK)

	// Read-only: the kernel refuses to remount a file system read-only
	// while the database is open for writing on it (EBUSY), so a read-only
	// bind mount goes over the directory instead. What opens by path (the
	// probe, a new WAL or journal) meets the read-only mount; the server's
	// open files stay on the one beneath.
	if out, err := exec.Command("mount", "--bind", dir, dir).CombinedOutput(); err != nil {
		t.Fatalf("bind mount: %v %s", err, out)
	}
	if out, err := exec.Command("mount", "-o", "remount,bind,ro", dir).CombinedOutput(); err != nil {
		exec.Command("umount", dir).Run()
		t.Fatalf("read-only remount of the bind mount: %v %s", err, out)
	}
	waitReady(t, base, 503, map[string]bool{"store": true, "migrations": true, "disk": false, "listener": true})
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if body := string(raw); !strings.Contains(body, "read-only") {
		t.Errorf("readyz on a read-only disk does not say so: %s", body)
	}
	healthzOK(t, base)
	if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
		t.Fatalf("umount the read-only bind: %v %s", err, out)
	}
	waitReady(t, base, 200, allOK)
}
