package main

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stackgate/stackgate/http/wire/wiretest"
	"github.com/stackgate/stackgate/secret"
	"github.com/stackgate/stackgate/service"
)

var noEnv = func(string) string { return "" }

// bootstrapDB makes a SQLite database with one owner and stack, and returns
// its URL and the stack's api_key.
func bootstrapDB(t *testing.T, dir string) (db, apiKey string) {
	t.Helper()
	db = "sqlite:" + filepath.Join(dir, "sg.db")
	var out bytes.Buffer
	if err := run(t.Context(), []string{"bootstrap", "--database", db, "--email", "o@example.com", "--password", "whole-program-1", "--stack", "S"}, noEnv, &out, io.Discard); err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	var boot map[string]string
	if err := json.Unmarshal(out.Bytes(), &boot); err != nil {
		t.Fatal(err)
	}
	return db, boot["api_key"]
}

// withService opens the service as the CLI does and hands it to fn.
func withService(t *testing.T, c common, fn func(svc *service.Service)) {
	t.Helper()
	svc, _, st, err := openService(t.Context(), c, discardLog())
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer st.Close()
	fn(svc)
}

const deliveryScope = `[{"module":"environment","environments":["production"],"acl":{"read":true}},{"module":"branch","branches":["main"],"acl":{"read":true}}]`

// deliveryTokens creates n delivery tokens (with preview tokens) and
// returns their clear values by name.
func deliveryTokens(t *testing.T, c common, apiKey string, n int) map[string]string {
	t.Helper()
	out := map[string]string{}
	withService(t, c, func(svc *service.Service) {
		p, err := svc.OwnerOf(t.Context(), apiKey)
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			name := "dt" + string(rune('a'+i))
			dt, err := svc.CreateDeliveryToken(t.Context(), p, wiretest.Delivery(service.TokenInput{Name: &name}, json.RawMessage(deliveryScope)), true)
			if err != nil {
				t.Fatal(err)
			}
			out[name] = dt.Token + "/" + dt.PreviewToken
		}
	})
	return out
}

// openedTokens lists the delivery tokens' clear values by name.
func openedTokens(t *testing.T, c common, apiKey string) map[string]string {
	t.Helper()
	out := map[string]string{}
	withService(t, c, func(svc *service.Service) {
		p, err := svc.OwnerOf(t.Context(), apiKey)
		if err != nil {
			t.Fatal(err)
		}
		ts, err := svc.DeliveryTokens(t.Context(), p)
		if err != nil {
			t.Fatal(err)
		}
		for _, dt := range ts.Tokens {
			out[dt.Name] = dt.Token + "/" + dt.PreviewToken
		}
	})
	return out
}

func wantErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("succeeded, want an error mentioning %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Fatalf("err = %v\nwant it to mention %q", err, p)
		}
	}
}

// TestKeygenOut: keygen --out writes a key file only its owner can read,
// and never replaces one.
func TestKeygenOut(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k")
	if err := run(t.Context(), []string{"keygen", "--out", path}, noEnv, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", fi.Mode().Perm())
	}
	before, _ := os.ReadFile(path)
	if _, err := secret.ParseKeyFile(before); err != nil {
		t.Fatalf("written key file does not parse: %v", err)
	}
	wantErr(t, run(t.Context(), []string{"keygen", "--out", path}, noEnv, io.Discard, io.Discard), "exists", "never overwritten")
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Fatal("the existing key file was changed")
	}
}

// TestKeyFileMissingBesideData: a SQLite database restored without its key
// file is refused, never given a new key; a fresh database still gets one.
func TestKeyFileMissingBesideData(t *testing.T) {
	dir := t.TempDir()
	db, _ := bootstrapDB(t, dir)
	keyFile := filepath.Join(dir, "sg.db.key")
	if _, err := os.Stat(keyFile); err != nil {
		t.Fatalf("bootstrap of a fresh database made no key file: %v", err)
	}
	os.Remove(keyFile)
	for _, args := range [][]string{
		{"serve", "--addr", "127.0.0.1:0", "--database", db},
		{"bootstrap", "--database", db, "--email", "p@example.com", "--password", "whole-program-2", "--stack", "T"},
	} {
		wantErr(t, run(t.Context(), args, noEnv, io.Discard, io.Discard), "sg.db.key is missing", "restore the key file")
		if _, err := os.Stat(keyFile); err == nil {
			t.Fatalf("%s made a new key file beside a database with data", args[0])
		}
	}
}

// TestKeyMismatchRefusesToStart: another key file, or another key under
// the same id, stops serve before it listens, with the fix in the message.
func TestKeyMismatchRefusesToStart(t *testing.T) {
	dir := t.TempDir()
	db, apiKey := bootstrapDB(t, dir)
	keyFile := filepath.Join(dir, "sg.db.key")
	deliveryTokens(t, common{database: db}, apiKey, 1)
	good, _ := os.ReadFile(keyFile)
	other := secret.GenerateKeyFile()
	sameHMACOtherEnc := []byte(lineOf(good, "hmac") + "\n" + lineOf(other, "enc") + "\n")
	for _, c := range []struct {
		name string
		file []byte
		want string
	}{
		{"another key file", other, `hmac key "h1" is not the key "h1" this database was written with`},
		{"another key under the same id", sameHMACOtherEnc, `encryption key "k1" is not the key "k1"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			wrong := filepath.Join(t.TempDir(), "wrong.key")
			os.WriteFile(wrong, c.file, 0o600)
			err := run(t.Context(), []string{"serve", "--addr", "127.0.0.1:0", "--database", db, "--secret-key-file", wrong}, noEnv, io.Discard, io.Discard)
			wantErr(t, err, c.want, "does not belong to this database", "Use the key file that was made with this database")
		})
	}
}

// lineOf returns the first line of a key file starting with kind.
func lineOf(file []byte, kind string) string {
	for _, l := range strings.Split(string(file), "\n") {
		if strings.HasPrefix(l, kind+" ") {
			return l
		}
	}
	return ""
}

// TestRekey: add a key first, rekey, and the old key can be removed; removed
// before the rekey it is refused, naming it.
func TestRekey(t *testing.T) {
	dir := t.TempDir()
	db, apiKey := bootstrapDB(t, dir)
	keyFile := filepath.Join(dir, "sg.db.key")
	c := common{database: db}
	want := deliveryTokens(t, c, apiKey, 3)
	// The stack's token webhook secret is sealed too.
	var hookSecret string
	withService(t, c, func(svc *service.Service) {
		p, err := svc.OwnerOf(t.Context(), apiKey)
		if err != nil {
			t.Fatal(err)
		}
		url := "https://hooks.example.com/stackgate"
		if _, hookSecret, _, err = svc.PutTokenWebhook(t.Context(), p, service.TokenWebhookInput{URL: &url}); err != nil {
			t.Fatal(err)
		}
	})
	old, _ := os.ReadFile(keyFile)
	k2 := strings.Replace(lineOf(secret.GenerateKeyFile(), "enc"), "enc k1 ", "enc k2 ", 1)
	os.WriteFile(keyFile, []byte(lineOf(old, "hmac")+"\n"+k2+"\n"+lineOf(old, "enc")+"\n"), 0o600)

	withoutK1 := filepath.Join(dir, "without-k1.key")
	os.WriteFile(withoutK1, []byte(lineOf(old, "hmac")+"\n"+k2+"\n"), 0o600)
	err := run(t.Context(), []string{"rekey", "--database", db, "--secret-key-file", withoutK1}, noEnv, io.Discard, io.Discard)
	wantErr(t, err, `lacks encryption key "k1", which still seals 7 secret(s)`, "stackgate rekey")

	var out bytes.Buffer
	if err := run(t.Context(), []string{"rekey", "--database", db, "--batch", "2", "--json"}, noEnv, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Resealed int            `json:"resealed"`
		SealedBy map[string]int `json:"sealed_by_key"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil || got.Resealed != 4 || got.SealedBy["k2"] != 7 || got.SealedBy["k1"] != 0 {
		t.Fatalf("rekey printed %s (%v)", out.String(), err)
	}
	// The old key is gone from the key file: every token still opens.
	if err := os.Rename(withoutK1, keyFile); err != nil {
		t.Fatal(err)
	}
	if got := openedTokens(t, c, apiKey); !equalMaps(got, want) {
		t.Fatalf("after rekey: %v, want %v", got, want)
	}
	withService(t, c, func(svc *service.Service) {
		p, err := svc.OwnerOf(t.Context(), apiKey)
		if err != nil {
			t.Fatal(err)
		}
		if _, got, err := svc.TokenWebhookTarget(t.Context(), p.Stack.UID); err != nil || string(got) != hookSecret {
			t.Fatalf("the webhook secret after rekey: %v", err)
		}
	})
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }
