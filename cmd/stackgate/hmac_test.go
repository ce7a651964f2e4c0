package main

import (
	"database/sql"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stackgate/stackgate/secret"
)

// TestHMACRotation, as an operator does it: put a new hmac key first in the
// key file and restart; rekey moves delivery and preview tokens; an old
// authtoken and management token keep working and move to the new key on
// their use; a key file without the old key is refused while it hashes
// anything; rekey --retire-hmac revokes what did not move, naming it; then
// the old line goes and the server starts, the moved credentials work and
// the others are gone. Bad input to --retire-hmac changes nothing.
func TestHMACRotation(t *testing.T) {
	dir := t.TempDir()
	db, apiKey := bootstrapDB(t, dir)
	keyFile := filepath.Join(dir, "sg.db.key")
	scope := `[{"module":"$all","acl":{"read":true}},{"module":"branch","branches":["main"],"acl":{"read":true}}]`
	mgmt := func(name string) string {
		return cliJSON[tokenOut](t, "token", "create", "--database", db, "--stack", apiKey, "--type", "management", "--name", name, "--scope", scope).Token.Token
	}
	dt := cliJSON[tokenOut](t, "token", "create", "--database", db, "--stack", apiKey, "--name", "web", "--environments", "production", "--preview").Token
	mtUsed, mtIdle := mgmt("used"), mgmt("idle")

	// Sessions under the old key.
	lines, stop := serveLines(t, "--addr", "127.0.0.1:0", "--database", db)
	base := "http://" + waitLine(t, lines, regexp.MustCompile(`addr=http://([0-9.:]+)`))[1]
	atUsed, atIdle := login(t, base), login(t, base)
	stop()

	old, _ := os.ReadFile(keyFile)
	newHMAC := strings.Replace(lineOf(secret.GenerateKeyFile(), "hmac"), "hmac h1 ", "hmac h2 ", 1)
	os.WriteFile(keyFile, []byte(newHMAC+"\n"+lineOf(old, "hmac")+"\n"+lineOf(old, "enc")+"\n"), 0o600)
	lines, stop = serveLines(t, "--addr", "127.0.0.1:0", "--database", db)
	base = "http://" + waitLine(t, lines, regexp.MustCompile(`addr=http://([0-9.:]+)`))[1]

	type report struct {
		Resealed int                       `json:"resealed"`
		Hashed   map[string]map[string]int `json:"hashed_by_hmac_key"`
		Revoked  []struct {
			Kind, Name string
		} `json:"revoked"`
	}
	// Online: the server runs beside the rekey.
	r := cliJSON[report](t, "rekey", "--database", db)
	if r.Resealed != 1 || r.Hashed["h1"]["delivery_token"] != 0 || r.Hashed["h2"]["delivery_token"] != 1 || r.Hashed["h2"]["preview_token"] != 1 ||
		r.Hashed["h1"]["session"] != 2 || r.Hashed["h1"]["management_token"] != 2 {
		t.Fatalf("rekey: %+v", r)
	}
	if s := gateStatus(t, base, apiKey, dt.Token); s != 200 {
		t.Fatalf("gate with the re-hashed delivery token: %d", s)
	}
	for _, c := range []struct{ header, value string }{{"authtoken", atUsed}, {"authorization", mtUsed}} {
		for range 2 { // the first use moves it, the second finds it under h2
			if s := cmaStatus(t, base, apiKey, c.header, c.value); s != 200 {
				t.Fatalf("%s under the old key: %d", c.header, s)
			}
		}
	}
	r = cliJSON[report](t, "rekey", "--database", db)
	if r.Hashed["h1"]["session"] != 1 || r.Hashed["h1"]["management_token"] != 1 || r.Hashed["h2"]["session"] != 1 || r.Hashed["h2"]["management_token"] != 1 {
		t.Fatalf("after their use: %+v", r.Hashed)
	}

	// The old key cannot go yet.
	withoutH1 := filepath.Join(dir, "without-h1.key")
	os.WriteFile(withoutH1, []byte(newHMAC+"\n"+lineOf(old, "enc")+"\n"), 0o600)
	wantErr(t, cliErr(t, "rekey", "--database", db, "--secret-key-file", withoutH1),
		`lacks hmac key "h1", which still hashes 2 credential(s)`, "stackgate rekey --retire-hmac h1")

	// Bad input: nothing changes.
	wantErr(t, cliErr(t, "rekey", "--database", db, "--retire-hmac", "h2"), `"h2" is the active hmac key`)
	wantErr(t, cliErr(t, "rekey", "--database", db, "--retire-hmac", "h9"), `no hmac key "h9"`, "h2, h1")
	if again := cliJSON[report](t, "rekey", "--database", db); again.Hashed["h1"]["session"] != 1 || again.Hashed["h1"]["management_token"] != 1 {
		t.Fatalf("after refused retirements: %+v", again.Hashed)
	}

	text, _ := cli(t, "rekey", "--database", db, "--retire-hmac", "h1")
	for _, want := range []string{"retired hmac key h1: revoked 2 credential(s)", `revoked management token "idle"`, "revoked a session of user"} {
		if !strings.Contains(text, want) {
			t.Fatalf("retire printed %q, want %q", text, want)
		}
	}
	if strings.Contains(text, mtIdle) || strings.Contains(text, atIdle) {
		t.Fatal("retire printed a credential's value")
	}
	stop()

	// The old line goes; the server starts.
	os.Rename(withoutH1, keyFile)
	lines, stop = serveLines(t, "--addr", "127.0.0.1:0", "--database", db)
	defer stop()
	base = "http://" + waitLine(t, lines, regexp.MustCompile(`addr=http://([0-9.:]+)`))[1]
	for _, c := range []struct {
		header, value string
		want          int
	}{{"authtoken", atUsed, 200}, {"authorization", mtUsed, 200}, {"authtoken", atIdle, 401}, {"authorization", mtIdle, 401}} {
		if s := cmaStatus(t, base, apiKey, c.header, c.value); s != c.want {
			t.Errorf("%s after the old key went: %d, want %d", c.header, s, c.want)
		}
	}
	if s := gateStatus(t, base, apiKey, dt.Token); s != 200 {
		t.Errorf("gate with the re-hashed delivery token: %d", s)
	}
}

// login signs the bootstrap owner in and returns the authtoken.
func login(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Post(base+"/v3/user-session", "application/json",
		strings.NewReader(`{"user":{"email":"o@example.com","password":"whole-program-1"}}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		User struct {
			Authtoken string `json:"authtoken"`
		} `json:"user"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.User.Authtoken == "" {
		t.Fatalf("login: %d %v", resp.StatusCode, err)
	}
	return body.User.Authtoken
}

// cmaStatus is the status of GET /v3/environments with one credential.
func cmaStatus(t *testing.T, base, apiKey, header, value string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/v3/environments", nil)
	req.Header.Set("api_key", apiKey)
	req.Header.Set(header, value)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestOldDatabaseAndKeyFile: a database and key file from before hmac keys
// had ids (the key file's line "hmac <hex>", no id columns, the hmac
// fingerprint recorded without an id) open as they are: migration 00015
// names every stored hash h0 (a token webhook secret's too), the legacy
// line is key h0 with its old fingerprint, and the old authtoken and
// management token keep working.
func TestOldDatabaseAndKeyFile(t *testing.T) {
	dir := t.TempDir()
	fresh := string(secret.GenerateKeyFile())
	legacy := "hmac " + strings.Fields(lineOf([]byte(fresh), "hmac"))[2] + "\n" + lineOf([]byte(fresh), "enc") + "\n"
	os.WriteFile(filepath.Join(dir, "sg.db.key"), []byte(legacy), 0o600)
	db, apiKey := bootstrapDB(t, dir)
	scope := `[{"module":"$all","acl":{"read":true}},{"module":"branch","branches":["main"],"acl":{"read":true}}]`
	mt := cliJSON[tokenOut](t, "token", "create", "--database", db, "--stack", apiKey, "--type", "management", "--name", "ci", "--scope", scope).Token.Token
	lines, stop := serveLines(t, "--addr", "127.0.0.1:0", "--database", db)
	oldBase := "http://" + waitLine(t, lines, regexp.MustCompile(`addr=http://([0-9.:]+)`))[1]
	authtoken := login(t, oldBase)
	// A stack's token webhook: its sealed secret's hash is one of h0's too.
	if status, body := httpJSON(t, "PUT", oldBase+"/v3/stacks/token_webhook", map[string]string{"api_key": apiKey, "authtoken": authtoken},
		`{"token_webhook":{"url":"https://hooks.example.com/x"}}`); status != 201 {
		t.Fatalf("PUT token webhook: %d %v", status, body)
	}
	stop()

	// Back to the schema before migration 00015, as an older release left it.
	mig, err := os.ReadFile("../../sqlite/migrations/00015_hmac_key_ids.sql")
	if err != nil {
		t.Fatal(err)
	}
	down := strings.SplitN(string(mig), "-- +goose Down", 2)[1]
	raw, err := sql.Open("sqlite", "file:"+strings.TrimPrefix(db, "sqlite:"))
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range append(strings.Split(down, ";"), "DELETE FROM goose_db_version WHERE version_id = 15") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := raw.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	if _, err := raw.Exec(`SELECT secret_hmac FROM token_webhooks`); err == nil {
		t.Fatal("token_webhooks.secret_hmac survived the downgrade")
	}
	var ids string
	raw.QueryRow(`SELECT group_concat(key_id, ',') FROM key_fingerprints WHERE kind = 'hmac'`).Scan(&ids)
	raw.Close()
	if ids != "" {
		t.Fatalf("downgraded hmac fingerprint ids %q, want the one without an id", ids)
	}

	lines, stop = serveLines(t, "--addr", "127.0.0.1:0", "--database", db)
	defer stop()
	base := "http://" + waitLine(t, lines, regexp.MustCompile(`addr=http://([0-9.:]+)`))[1]
	for header, v := range map[string]string{"authtoken": authtoken, "authorization": mt} {
		if s := cmaStatus(t, base, apiKey, header, v); s != 200 {
			t.Errorf("%s after the upgrade: %d", header, s)
		}
	}
	r := cliJSON[struct {
		Hashed map[string]map[string]int `json:"hashed_by_hmac_key"`
	}](t, "rekey", "--database", db)
	if len(r.Hashed) != 1 || r.Hashed["h0"]["management_token"] != 1 || r.Hashed["h0"]["session"] != 1 || r.Hashed["h0"]["token_webhook"] != 1 {
		t.Fatalf("hashed by %v", r.Hashed)
	}
}
