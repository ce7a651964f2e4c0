package postgres_test

import (
	"context"
	"database/sql"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/internal/testdb"
	"github.com/stackgate/stackgate/postgres"
	"github.com/stackgate/stackgate/storetest"
)

// withParam returns rawURL with query parameter key set to value.
func withParam(tb testing.TB, rawURL, key, value string) string {
	tb.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) stackgate.Store { return testdb.OpenPostgres(t, testdb.PostgresURL(t)) })
}

func TestMigrate(t *testing.T) {
	db := testdb.OpenPostgres(t, testdb.PostgresURL(t))
	names, err := db.Migrate(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 0 {
		t.Errorf("Migrate after Open applied %v, want nothing", names)
	}
}

// TestMigrateFresh migrates a fresh schema, writes one of everything, and
// reads it back after reopening, when the migrations have nothing to apply.
func TestMigrateFresh(t *testing.T) {
	url := testdb.PostgresURL(t)
	first, err := postgres.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	storetest.Reopened(t, first, func(t *testing.T) stackgate.Store {
		if err := first.Close(); err != nil {
			t.Fatal(err)
		}
		db := testdb.OpenPostgres(t, url)
		if names, err := db.Migrate(t.Context()); err != nil || len(names) != 0 {
			t.Fatalf("Migrate after reopening applied %v, %v; want nothing", names, err)
		}
		return db
	})
}

// listener runs Listen on db and collects what it reports.
type listener struct {
	changes chan stackgate.Change
	resets  chan bool
	done    chan error
}

func listen(t *testing.T, db *postgres.DB) *listener {
	t.Helper()
	l := &listener{changes: make(chan stackgate.Change, 100), resets: make(chan bool, 10), done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		l.done <- db.Listen(ctx, func(c stackgate.Change) { l.changes <- c }, func(b bool) { l.resets <- b })
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-l.done:
			if err != nil {
				t.Errorf("Listen returned %v after cancel, want nil", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Listen did not return after cancel")
		}
	})
	return l
}

// await waits for want, skipping other changes (tests share the channel
// across the database). It fails on a reset or after 10s.
func (l *listener) await(t *testing.T, want stackgate.Change) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case c := <-l.changes:
			if c == want {
				return
			}
		case r := <-l.resets:
			t.Fatalf("unexpected onReset(%v) while waiting for %+v", r, want)
		case <-timeout:
			t.Fatalf("no change %+v within 10s", want)
		}
	}
}

func newUser(t *testing.T, s stackgate.Store) *stackgate.User {
	t.Helper()
	now := stackgate.Now()
	u := &stackgate.User{UID: stackgate.NewUID(), Email: stackgate.NewUID() + "@example.com", CreatedAt: now, UpdatedAt: now}
	if err := s.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

// login writes a session, which announces a user change.
func login(t *testing.T, s stackgate.Store, u *stackgate.User) {
	t.Helper()
	sess := &stackgate.Session{TokenHash: []byte(stackgate.NewAuthtoken()), UserUID: u.UID, CreatedAt: stackgate.Now()}
	if err := s.CreateSession(t.Context(), sess, 0); err != nil {
		t.Fatal(err)
	}
}

// awaitListening writes until the listener reports the write: the first
// LISTEN is not reported, so this is how a test knows it is in place.
func awaitListening(t *testing.T, l *listener, writer stackgate.Store, u *stackgate.User) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		login(t, writer, u)
		select {
		case c := <-l.changes:
			if c == (stackgate.Change{UserUID: u.UID}) {
				return
			}
		case r := <-l.resets:
			t.Fatalf("unexpected onReset(%v)", r)
		case <-time.After(200 * time.Millisecond):
		}
	}
	t.Fatal("listener received nothing within 10s")
}

func TestListen(t *testing.T) {
	url := testdb.PostgresURL(t)
	writer := testdb.OpenPostgres(t, url)
	// The listening node names its connections, so the test can kill them.
	app := "sg_listen_" + stackgate.NewUID()
	reader := testdb.OpenPostgres(t, withParam(t, url, "application_name", app))
	l := listen(t, reader)
	user := newUser(t, writer)
	awaitListening(t, l, writer, user)

	t.Run("StackChange", func(t *testing.T) {
		now := stackgate.Now()
		st := stackgate.StackSeed{
			Stack:       stackgate.Stack{UID: stackgate.NewUID(), APIKey: stackgate.NewUID(), Name: "s", OwnerUID: user.UID, MasterLocale: "en-us", CreatedAt: now, UpdatedAt: now},
			Branch:      stackgate.Branch{UID: "main", CreatedAt: now, UpdatedAt: now},
			Locale:      stackgate.Locale{UID: stackgate.NewUID(), Code: "en-us", CreatedAt: now, UpdatedAt: now},
			Environment: stackgate.Environment{UID: stackgate.NewUID(), Name: "production", URLs: []stackgate.EnvironmentURL{}, CreatedAt: now, UpdatedAt: now},
			Owner:       stackgate.Member{UserUID: user.UID},
		}
		st.Branch.StackUID, st.Locale.StackUID, st.Environment.StackUID, st.Owner.StackUID = st.Stack.UID, st.Stack.UID, st.Stack.UID, st.Stack.UID
		if err := writer.CreateStack(t.Context(), &st); err != nil {
			t.Fatal(err)
		}
		l.await(t, stackgate.Change{StackUID: st.Stack.UID})

		// A refused write announces nothing: notifications arrive in commit
		// order, so nothing about the stack may precede the next login.
		dup := st.Environment
		dup.UID = stackgate.NewUID()
		if err := writer.CreateEnvironment(t.Context(), &dup, 0); !stackgate.IsCode(err, stackgate.ECONFLICT) {
			t.Fatalf("duplicate environment: err = %v, want ECONFLICT", err)
		}
		login(t, writer, user)
		timeout := time.After(10 * time.Second)
		for {
			select {
			case c := <-l.changes:
				if c.StackUID == st.Stack.UID {
					t.Fatalf("refused write announced %+v", c)
				}
				if c == (stackgate.Change{UserUID: user.UID}) {
					return
				}
			case <-timeout:
				t.Fatal("no change within 10s")
			}
		}
	})

	// The reader's own commits reach it through its OnCommit hooks, before
	// each write returns, and are not delivered again by Listen (which would
	// drop the snapshot the hook has just rebuilt); the writer's are.
	t.Run("OwnCommitsSkipped", func(t *testing.T) {
		own, other := newUser(t, writer), newUser(t, writer)
		heard := make(chan stackgate.Change, 10)
		reader.OnCommit(func(c stackgate.Change) { heard <- c })
		login(t, reader, own)
		select {
		case c := <-heard:
			if c != (stackgate.Change{UserUID: own.UID}) {
				t.Fatalf("OnCommit heard %+v, want the login of %s", c, own.UID)
			}
		default:
			t.Fatal("OnCommit was not called before the write returned")
		}
		login(t, writer, other)
		timeout := time.After(10 * time.Second)
		for {
			select {
			case c := <-l.changes:
				if c == (stackgate.Change{UserUID: own.UID}) {
					t.Fatal("Listen delivered the listening handle's own commit")
				}
				if c == (stackgate.Change{UserUID: other.UID}) {
					return // in commit order: the own login came first and was skipped
				}
			case <-timeout:
				t.Fatal("the other handle's commit was not delivered within 10s")
			}
		}
	})

	t.Run("Reconnect", func(t *testing.T) {
		admin, err := sql.Open("pgx", testdb.PostgresBaseURL(t))
		if err != nil {
			t.Fatal(err)
		}
		defer admin.Close()
		// Kills the listening connection (and the reader's idle pool
		// connections, which database/sql replaces on its own).
		var n int
		if err := admin.QueryRowContext(t.Context(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE application_name = $1`, app).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Fatal("no backend to terminate")
		}
		for _, want := range []bool{false, true} {
			select {
			case got := <-l.resets:
				if got != want {
					t.Fatalf("onReset(%v), want onReset(%v)", got, want)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("no onReset(%v) within 10s", want)
			}
		}
		// Listening again: changes flow.
		login(t, writer, user)
		l.await(t, stackgate.Change{UserUID: user.UID})
	})
}

// TestMigrateSessionUIDs: sessions of a database before 00010 get uids.
func TestMigrateSessionUIDs(t *testing.T) {
	storetest.SessionsMigrated(t, testdb.OpenPostgres(t, testdb.PostgresURL(t)))
}

// TestAuditResponseIndexed: adding a write's reply to its audit entries
// (SetAuditResponse, after every write) can look them up by index rather
// than by scanning the whole log (the planner is told to avoid scans, since
// on an empty table it would choose one anyway).
func TestAuditResponseIndexed(t *testing.T) {
	u := testdb.PostgresURL(t)
	testdb.OpenPostgres(t, u)
	raw, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	conn, err := raw.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), `SET enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	plan := testdb.Plan(t, conn, `EXPLAIN UPDATE audit_logs SET response = '{}'
		WHERE request_id = 'r' AND response IS NULL`)
	if !strings.Contains(strings.Join(plan, "\n"), "audit_logs_pending_response") {
		t.Errorf("plan:\n%s\nwant a scan of audit_logs_pending_response", strings.Join(plan, "\n"))
	}
}
