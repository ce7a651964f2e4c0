package e2e

import (
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stackgate/stackgate/internal/testdb"
)

// TestProductionPostgresRecipe runs README "Production PostgreSQL" as
// written: deploy/postgres/setup.sql and pg_hba.conf on a cluster with TLS;
// the schema migrated as the owner role, nodes running as the app role over
// sslmode=verify-full; then the pg_dump / pg_restore backup recipe.
func TestProductionPostgresRecipe(t *testing.T) {
	certs := t.TempDir()
	caFile, certFile, keyFile := selfSigned(t, certs)
	read := func(p string) string { b, _ := os.ReadFile(p); return string(b) }
	hba, err := os.ReadFile("../deploy/postgres/pg_hba.conf")
	if err != nil {
		t.Fatal(err)
	}
	pg := testdb.NewCluster(t, "ssl = on\nssl_cert_file = 'server.pem'\nssl_key_file = 'server.key'\n", string(hba))
	pg.WriteFile("data/server.pem", read(certFile), 0o600)
	pg.WriteFile("data/server.key", read(keyFile), 0o600)
	pg.Start()
	// psql runs as the postgres user, who may not be able to read the
	// checkout (a clone in a 0700 directory): it reads a copy in the
	// cluster's directory.
	setupSQL, err := os.ReadFile("../deploy/postgres/setup.sql")
	if err != nil {
		t.Fatal(err)
	}
	setup := pg.WriteFile("setup.sql", string(setupSQL), 0o600)
	pg.Run("psql", "-X", "-v", "ON_ERROR_STOP=1", "-h", pg.Dir, "-p", strconv.Itoa(pg.Port), "-U", "postgres", "-d", "postgres",
		"-v", "owner_password=owner-pw-1", "-v", "app_password=app-pw-1", "-f", setup)

	tls := "sslmode=verify-full&sslrootcert=" + caFile
	owner := pg.URL("stackgate_owner", "owner-pw-1", "stackgate", tls)
	app := pg.URL("stackgate", "app-pw-1", "stackgate", tls)

	// What pg_hba.conf and the roles refuse.
	for _, c := range []struct{ name, url, want string }{
		{"without TLS", pg.URL("stackgate", "app-pw-1", "stackgate", "sslmode=disable"), "no encryption"},
		{"a wrong password", pg.URL("stackgate", "wrong", "stackgate", tls), "password authentication failed"},
		{"the superuser over TCP", pg.URL("postgres", "", "stackgate", tls), "pg_hba.conf rejects"},
	} {
		out, err := exec.Command(stackgateBin(t), "migrate", "--database", c.url).CombinedOutput()
		if err == nil || !strings.Contains(string(out), c.want) {
			t.Errorf("%s: %v %s, want %q", c.name, err, out, c.want)
		}
	}
	// A node cannot migrate: its role creates nothing.
	if out, err := exec.Command(stackgateBin(t), "migrate", "--database", app).CombinedOutput(); err == nil || !strings.Contains(string(out), "permission denied") {
		t.Fatalf("migrate as the app role: %v %s", err, out)
	}
	runCmd(t, nil, "migrate", "--database", owner)
	db, err := sql.Open("pgx", app)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE intruder (x int)`); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("the app role created a table: %v", err)
	}

	keys := filepath.Join(t.TempDir(), "stackgate.key")
	runCmd(t, nil, "keygen", "--out", keys)
	env := []string{"STACKGATE_SECRET_KEY_FILE=" + keys}
	boot := bootstrap(t, env, app, "owner@example.com", "Production")
	n := serve(t, env, "--database", app)
	status, body, _ := call(t, "GET", n.URL+"/readyz", nil, nil)
	if status != 200 {
		t.Fatalf("readyz: %d %v", status, body)
	}
	owned := map[string]string{"api_key": boot["api_key"], "authtoken": login(t, n.URL, "owner@example.com")}
	token := createDeliveryToken(t, n.URL, owned, "web")
	gate := func(n *node) int {
		status, _, _ := call(t, "GET", n.URL+"/gate/auth?api=cda", map[string]string{
			"api_key": boot["api_key"], "access_token": token["token"],
			"X-Original-Method": "GET", "X-Original-URI": "/v3/content_types/blog/entries?environment=production"}, nil)
		return status
	}
	if s := gate(n); s != 200 {
		t.Fatalf("gate: %d", s)
	}

	// Backups: pg_dump as the owner, a token revoked after it, pg_restore
	// brings it back.
	dump := filepath.Join(t.TempDir(), "stackgate.dump")
	if out, err := exec.Command(filepath.Join(pg.Bin, "pg_dump"), "--format=custom", "--file="+dump, owner).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v %s", err, out)
	}
	if status, _, _ := call(t, "DELETE", n.URL+"/v3/stacks/delivery_tokens/"+token["uid"], owned, nil); status != 200 {
		t.Fatalf("revoke: %d", status)
	}
	if s := gate(n); s != 401 {
		t.Fatalf("gate after revoke: %d", s)
	}
	n.stop(t)
	if out, err := exec.Command(filepath.Join(pg.Bin, "pg_restore"), "--clean", "--if-exists", "--dbname="+owner, dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v %s", err, out)
	}
	n = serve(t, env, "--database", app)
	if s := gate(n); s != 200 {
		t.Fatalf("gate after restoring the dump taken before the revoke: %d", s)
	}
}

// createDeliveryToken creates a delivery token for production on main and
// returns its uid and token.
func createDeliveryToken(t *testing.T, base string, owner map[string]string, name string) map[string]string {
	t.Helper()
	status, body, _ := call(t, "POST", base+"/v3/stacks/delivery_tokens", owner, map[string]any{
		"token": map[string]any{"name": name, "scope": []any{
			map[string]any{"module": "environment", "environments": []string{"production"}, "acl": map[string]bool{"read": true}},
			map[string]any{"module": "branch", "branches": []string{"main"}, "acl": map[string]bool{"read": true}}}}})
	if status != 201 {
		t.Fatalf("create token: %d %v", status, body)
	}
	tok := body["token"].(map[string]any)
	return map[string]string{"uid": tok["uid"].(string), "token": tok["token"].(string)}
}
