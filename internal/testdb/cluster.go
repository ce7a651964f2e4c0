package testdb

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
)

// Cluster is a PostgreSQL cluster of one test's own (initdb in a temporary
// directory, on a free port), for tests that stop the server under a node
// or configure it as production would (password auth, TLS). The shared
// server of STACKGATE_TEST_POSTGRES_URL is never touched. The binaries come
// from /usr/lib/postgresql/*/bin and run as the postgres user (initdb
// refuses root).
type Cluster struct {
	t         testing.TB
	Bin, Dir  string // the PostgreSQL binaries; the cluster's directory (socket, log, data/)
	Data      string
	Port      int
	uid, gid  int
	stoppedOK bool
}

// NewCluster initialises a cluster with conf appended to postgresql.conf
// and, when hba is not empty, hba as its whole pg_hba.conf; call Start.
// The postgres superuser may always connect over the Unix socket in Dir
// (Psql uses it). It is stopped and removed when the test ends.
func NewCluster(t testing.TB, conf, hba string) *Cluster {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(bins) == 0 {
		t.Fatal("no /usr/lib/postgresql/*/bin/pg_ctl: install postgresql")
	}
	pgUser, err := user.Lookup("postgres")
	if err != nil {
		t.Fatalf("no postgres user: %v", err)
	}
	c := &Cluster{t: t, Bin: filepath.Dir(bins[0])}
	c.uid, _ = strconv.Atoi(pgUser.Uid)
	c.gid, _ = strconv.Atoi(pgUser.Gid)
	if c.Dir, err = os.MkdirTemp("", "stackgate-pg-"); err != nil {
		t.Fatal(err)
	}
	os.Chmod(c.Dir, 0o755)
	os.Chown(c.Dir, c.uid, c.gid)
	c.Data = filepath.Join(c.Dir, "data")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.Port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	c.Run("initdb", "-D", c.Data, "-A", "trust", "-U", "postgres", "--no-sync")
	c.appendFile("postgresql.conf", fmt.Sprintf("port = %d\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\nfsync = off\n%s\n", c.Port, c.Dir, conf))
	if hba != "" {
		c.WriteFile("data/pg_hba.conf", "local all postgres trust\n"+hba, 0o600)
	}
	t.Cleanup(func() {
		exec.Command("runuser", "-u", "postgres", "--", filepath.Join(c.Bin, "pg_ctl"), "-D", c.Data, "-m", "immediate", "-w", "stop").Run()
		os.RemoveAll(c.Dir)
	})
	return c
}

// Run runs one of the PostgreSQL binaries as the postgres user and returns
// its output; a failure is fatal.
func (c *Cluster) Run(tool string, args ...string) string {
	c.t.Helper()
	out, err := exec.Command("runuser", append([]string{"-u", "postgres", "--", filepath.Join(c.Bin, tool)}, args...)...).CombinedOutput()
	if err != nil {
		c.t.Fatalf("%s %v: %v\n%s", tool, args, err, out)
	}
	return string(out)
}

// Psql runs sql as the superuser over the socket, in database db.
func (c *Cluster) Psql(db, sql string) string {
	c.t.Helper()
	return c.Run("psql", "-X", "-v", "ON_ERROR_STOP=1", "-h", c.Dir, "-p", strconv.Itoa(c.Port), "-U", "postgres", "-d", db, "-c", sql)
}

// WriteFile writes a file under Dir, owned by postgres.
func (c *Cluster) WriteFile(rel, data string, mode os.FileMode) string {
	c.t.Helper()
	p := filepath.Join(c.Dir, rel)
	if err := os.WriteFile(p, []byte(data), mode); err != nil {
		c.t.Fatal(err)
	}
	os.Chown(p, c.uid, c.gid)
	return p
}

func (c *Cluster) appendFile(rel, data string) {
	c.t.Helper()
	f, err := os.OpenFile(filepath.Join(c.Data, rel), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		c.t.Fatal(err)
	}
	defer f.Close()
	f.WriteString(data)
}

// Start starts the server and waits until it accepts connections.
func (c *Cluster) Start() {
	c.t.Helper()
	c.Run("pg_ctl", "-D", c.Data, "-l", filepath.Join(c.Dir, "log"), "-w", "start")
}

// Stop stops it at once (as a crash or a network partition would look).
func (c *Cluster) Stop() {
	c.t.Helper()
	c.Run("pg_ctl", "-D", c.Data, "-m", "immediate", "-w", "stop")
}

// URL is a postgres:// URL of the cluster over TCP for user (and password,
// if not empty) on database db, with the query params.
func (c *Cluster) URL(userName, password, db, params string) string {
	auth := userName
	if password != "" {
		auth += ":" + password
	}
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?%s", auth, c.Port, db, params)
}
