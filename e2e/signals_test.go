package e2e

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestSignals: SIGHUP leaves a real serve process running; SIGTERM lets a
// request in flight through a proxy listener finish, then exits 0.
func TestSignals(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "sg.db")
	boot := bootstrap(t, nil, db, "owner@example.com", "Signals")
	arrived, release := make(chan struct{}), make(chan struct{})
	var hits atomic.Int32
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			close(arrived)
			<-release
		}
		w.Write([]byte(`{"entries":[]}`))
	}))
	defer upstream.Close()
	cdaListen := freeAddr(t)
	n := serve(t, nil, "--database", db, "--cda-addr", cdaListen, "--cda-upstream", upstream.URL)
	owner := map[string]string{"api_key": boot["api_key"], "authtoken": login(t, n.URL, "owner@example.com")}
	token := createDeliveryToken(t, n.URL, owner, "web")["token"]

	if err := n.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond) // a killed process would be gone by now
	waitHealthy(t, n.URL)

	cda := "http://" + cdaListen
	got := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("GET", cda+"/v3/content_types/blog/entries?environment=production", nil)
		req.Header.Set("api_key", boot["api_key"])
		req.Header.Set("access_token", token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			got <- -1
			return
		}
		resp.Body.Close()
		got <- resp.StatusCode
	}()
	<-arrived
	if err := n.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// New connections are refused once shutdown begins.
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get(n.URL + "/healthz")
		if err != nil {
			break
		}
		resp.Body.Close()
		if time.Now().After(deadline) {
			t.Fatal("still accepting 5 s after SIGTERM")
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(release)
	if s := <-got; s != 200 {
		t.Fatalf("request in flight at SIGTERM: %d, want 200", s)
	}
	if err := n.cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
}
