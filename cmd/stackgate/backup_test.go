package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stackgate/stackgate/secret"
)

// TestBackupRestoreLiveWriter: a backup taken while a server writes is a
// consistent database that restores beside its key file only, holds every
// token created before the backup began, with its value, and serves.
func TestBackupRestoreLiveWriter(t *testing.T) {
	dir := t.TempDir()
	db, apiKey := bootstrapDB(t, dir)
	lines, stop := serveLines(t, "--addr", "127.0.0.1:0", "--database", db)
	base := "http://" + waitLine(t, lines, regexp.MustCompile(`addr=http://([0-9.:]+)`))[1]
	resp, err := http.Post(base+"/v3/user-session", "application/json",
		strings.NewReader(`{"user":{"email":"o@example.com","password":"whole-program-1"}}`))
	if err != nil {
		t.Fatal(err)
	}
	var login struct {
		User struct {
			Authtoken string `json:"authtoken"`
		} `json:"user"`
	}
	json.NewDecoder(resp.Body).Decode(&login)
	resp.Body.Close()

	var mu sync.Mutex
	created := map[string]string{} // name → value
	create := func(name string) {
		body := fmt.Sprintf(`{"token":{"name":%q,"scope":%s}}`, name, deliveryScope)
		req, _ := http.NewRequest("POST", base+"/v3/stacks/delivery_tokens", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header["api_key"] = []string{apiKey}
		req.Header["authtoken"] = []string{login.User.Authtoken}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return
		}
		defer resp.Body.Close()
		var out struct {
			Token struct {
				Token string `json:"token"`
			} `json:"token"`
		}
		json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode != 201 {
			t.Errorf("create %s: %d", name, resp.StatusCode)
			return
		}
		mu.Lock()
		created[name] = out.Token.Token
		mu.Unlock()
	}
	for i := range 5 {
		create(fmt.Sprintf("before-%d", i))
	}
	mu.Lock()
	before := map[string]string{}
	for k, v := range created {
		before[k] = v
	}
	mu.Unlock()

	done := make(chan struct{})
	var wg sync.WaitGroup
	var once sync.Once
	stopWriter := func() { once.Do(func() { close(done) }); wg.Wait() }
	defer stopWriter()
	wg.Add(1)
	go func() { // the live writer
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			create(fmt.Sprintf("during-%d", i))
		}
	}()
	backup := filepath.Join(t.TempDir(), "sg.backup")
	out := cliJSON[map[string]any](t, "backup", "--database", db, "--out", backup)
	stopWriter()
	if fi, err := os.Stat(backup); err != nil || fi.Mode().Perm() != 0o600 || out["key_fingerprint"] == "" {
		t.Fatalf("backup: %v %v %v", fi, err, out)
	}
	wantErr(t, cliErr(t, "backup", "--database", db, "--out", backup), "exists")
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	// Restore elsewhere: without the key file, with another one, then right.
	rdir := t.TempDir()
	rdb := "sqlite:" + filepath.Join(rdir, "sg.db")
	wantErr(t, cliErr(t, "restore", "--database", rdb, "--from", backup), "the key file that goes with the backup is needed")
	wrong := filepath.Join(rdir, "wrong.key")
	os.WriteFile(wrong, secret.GenerateKeyFile(), 0o600)
	wantErr(t, cliErr(t, "restore", "--database", rdb, "--from", backup, "--secret-key-file", wrong), "does not belong to this database")
	if _, err := os.Stat(filepath.Join(rdir, "sg.db")); err == nil {
		t.Fatal("a refused restore left a database")
	}
	key, _ := os.ReadFile(filepath.Join(dir, "sg.db.key"))
	os.WriteFile(filepath.Join(rdir, "sg.db.key"), key, 0o600)
	cli(t, "restore", "--database", rdb, "--from", backup)

	got := openedTokens(t, common{database: rdb}, apiKey)
	for name, v := range before {
		if got[name] != v+"/" {
			t.Errorf("restored %s = %q, want %q", name, got[name], v)
		}
	}
	mu.Lock()
	for name, v := range got {
		if w, ok := created[name]; !ok || w+"/" != v {
			t.Errorf("restored %s = %q, which the writer never made (%q)", name, v, w)
		}
	}
	total := len(created)
	mu.Unlock()
	t.Logf("backup holds %d of %d tokens (%d made before it began)", len(got), total, len(before))

	// Over an existing database: only with --force, the old one kept.
	wantErr(t, cliErr(t, "restore", "--database", rdb, "--from", backup), "--force")
	var buf bytes.Buffer
	if err := run(t.Context(), []string{"restore", "--database", rdb, "--from", backup, "--force", "--json"}, noEnv, &buf, &buf); err != nil {
		t.Fatal(err)
	}
	var res map[string]string
	json.Unmarshal(buf.Bytes(), &res)
	if _, err := os.Stat(res["replaced"]); err != nil {
		t.Fatalf("the replaced database is not kept: %v %s", err, buf.String())
	}

	// The restored database serves a token of the backup.
	lines, _ = serveLines(t, "--addr", "127.0.0.1:0", "--database", rdb)
	rbase := "http://" + waitLine(t, lines, regexp.MustCompile(`addr=http://([0-9.:]+)`))[1]
	if s := gateStatus(t, rbase, apiKey, before["before-0"]); s != 200 {
		t.Fatalf("gate on the restored database: %d", s)
	}
}

// TestBackupPostgresSaysPgDump: PostgreSQL's backups are pg_dump's.
func TestBackupPostgresSaysPgDump(t *testing.T) {
	wantErr(t, cliErr(t, "backup", "--database", "postgres://u@127.0.0.1:1/db", "--out", "x"), "pg_dump")
	wantErr(t, cliErr(t, "restore", "--database", "postgres://u@127.0.0.1:1/db", "--from", "x"), "pg_dump")
}
