package service_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/internal/testdb"
	"github.com/stackgate/stackgate/mail"
	"github.com/stackgate/stackgate/secret"
	"github.com/stackgate/stackgate/service"
)

// fakeMailer records what it is given; while fail is set it refuses.
type fakeMailer struct {
	mu   sync.Mutex
	sent []*mail.Message
	fail error
}

func (m *fakeMailer) Send(_ context.Context, msg *mail.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	m.sent = append(m.sent, msg)
	return nil
}

func (m *fakeMailer) take() []*mail.Message {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := m.sent
	m.sent = nil
	return out
}

type noticeWorld struct {
	t       *testing.T
	svc     *service.Service
	store   stackgate.Store
	clock   time.Time
	stack   *stackgate.Stack
	owner   stackgate.Actor
	admin   stackgate.Actor
	users   map[string]*stackgate.User
	secrets []string
	keys    *secret.Keyring
}

func newNoticeWorld(t *testing.T, st stackgate.Store, logTo *bytes.Buffer) *noticeWorld {
	ctx := t.Context()
	keys, _ := secret.ParseKeyFile(secret.GenerateKeyFile())
	var log *slog.Logger
	if logTo != nil {
		log = slog.New(slog.NewTextHandler(logTo, nil))
	}
	w := &noticeWorld{t: t, svc: service.New(st, keys, service.Config{}, log), store: st, keys: keys, users: map[string]*stackgate.User{},
		clock: time.Date(2031, 3, 1, 10, 0, 0, 0, time.UTC)}
	w.svc.Now = func() time.Time { return w.clock }
	for _, name := range []string{"owner", "admin", "admin2", "dev"} {
		u, _, err := w.svc.EnsureUser(ctx, name+"@example.com", "password-1")
		if err != nil {
			t.Fatal(err)
		}
		w.users[name] = u
	}
	var err error
	if w.stack, err = w.svc.CreateStack(ctx, w.users["owner"], "Notice Stack"); err != nil {
		t.Fatal(err)
	}
	admin, _ := w.svc.RoleByName(ctx, w.stack.UID, stackgate.RoleAdmin)
	dev, _ := w.svc.RoleByName(ctx, w.stack.UID, stackgate.RoleDeveloper)
	for name, role := range map[string]string{"admin": admin.UID, "admin2": admin.UID, "dev": dev.UID} {
		if err := w.svc.AddMember(ctx, w.stack.UID, w.users[name].UID, []string{role}); err != nil {
			t.Fatal(err)
		}
	}
	w.owner = stackgate.Actor{Stack: w.stack, UID: w.users["owner"].UID}
	w.admin = stackgate.Actor{Stack: w.stack, UID: w.users["admin"].UID}
	return w
}

// token creates a management token expiring on the date days after the clock's.
func (w *noticeWorld) token(by stackgate.Actor, name string, days int, notify bool) *stackgate.ManagementToken {
	w.t.Helper()
	exp, _ := json.Marshal(w.clock.AddDate(0, 0, days).Format("2006-01-02"))
	yes := true
	scope := []stackgate.ScopeEntry{{Module: stackgate.ModuleEntry, ACL: stackgate.ACL{Read: &yes, Write: &yes}},
		{Module: stackgate.ModuleBranch, Branches: []string{"main"}, ACL: stackgate.ACL{Read: &yes}}}
	tok, err := w.svc.CreateManagementToken(w.t.Context(), by, service.TokenInput{Name: &name, ExpiresOn: exp, EmailNotification: &notify,
		Scope: scope})
	if err != nil {
		w.t.Fatal(err)
	}
	w.secrets = append(w.secrets, tok.Token, hex.EncodeToString(tok.TokenHash), string(tok.TokenHash))
	return tok
}

func (w *noticeWorld) update(uid string, in service.TokenInput) {
	w.t.Helper()
	if _, err := w.svc.UpdateManagementToken(w.t.Context(), w.owner, uid, in); err != nil {
		w.t.Fatal(err)
	}
}

func (w *noticeWorld) run(n *service.Notifier) {
	w.t.Helper()
	if err := n.RunOnce(w.t.Context()); err != nil {
		w.t.Fatal(err)
	}
}

// wantOne checks that msgs is exactly one notice about tok, to the users named.
func (w *noticeWorld) wantOne(msgs []*mail.Message, tok *stackgate.ManagementToken, to ...string) *mail.Message {
	w.t.Helper()
	if len(msgs) != 1 {
		w.t.Fatalf("%d messages, want 1 about %q", len(msgs), tok.Name)
	}
	m := msgs[0]
	var got []string
	for _, a := range m.To {
		got = append(got, strings.TrimSuffix(a[strings.Index(a, "<")+1:], ">"))
	}
	var want []string
	for _, n := range to {
		want = append(want, n+"@example.com")
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		w.t.Errorf("%q: to %v, want %v", tok.Name, got, want)
	}
	raw, err := m.Bytes()
	if err != nil {
		w.t.Fatal(err)
	}
	at, _ := tok.ExpiresAt()
	for _, part := range []string{m.Text, m.HTML} {
		for _, s := range []string{tok.Name, tok.UID, w.stack.Name, at.Format(time.RFC3339), "Delete", "Create a new management token"} {
			if !strings.Contains(part, s) {
				w.t.Errorf("%q: a part lacks %q:\n%s", tok.Name, s, part)
			}
		}
	}
	if !strings.Contains(m.Subject, tok.Name) || !strings.Contains(m.Subject, w.stack.Name) {
		w.t.Errorf("subject %q", m.Subject)
	}
	for _, s := range w.secrets {
		if strings.Contains(string(raw), s) || strings.Contains(m.Text, s) || strings.Contains(m.HTML, s) {
			w.t.Errorf("%q: the message holds a secret from the store", tok.Name)
		}
	}
	return m
}

// TestExpiryNotices drives the notifier with an injected clock, on both stores.
func TestExpiryNotices(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		w := newNoticeWorld(t, open(t), nil)
		m := &fakeMailer{}
		n := w.svc.NewNotifier(m, service.NoticeConfig{From: "stackgate <noreply@example.com>"})

		soon := w.token(w.owner, "soon", 3, true)
		w.token(w.owner, "later", 30, true)
		w.token(w.owner, "quiet", 3, false)
		byAdmin := w.token(w.admin, "by admin", 5, true)
		w.run(n)
		msgs := m.take()
		slices.SortFunc(msgs, func(a, b *mail.Message) int { return strings.Compare(a.Subject, b.Subject) })
		if len(msgs) != 2 {
			t.Fatalf("%d messages, want 2", len(msgs))
		}
		w.wantOne(msgs[:1], byAdmin, "admin")
		first := w.wantOne(msgs[1:], soon, "owner")
		if !strings.Contains(first.Text, "2031-03-05T00:00:00Z") || !strings.Contains(first.Subject, "in 3 days") ||
			!strings.Contains(first.Text, "read and write: entries") || !strings.Contains(first.Text, "on branches: main") {
			t.Errorf("text:\n%s\nsubject %q", first.Text, first.Subject)
		}

		t.Run("sent once: later runs, and another node, send nothing more", func(t *testing.T) {
			other := service.New(w.store, w.keys, service.Config{}, nil)
			other.Now = w.svc.Now
			om := &fakeMailer{}
			for i := 0; i < 3; i++ {
				w.clock = w.clock.Add(time.Hour)
				w.run(n)
				w.run(other.NewNotifier(om, service.NoticeConfig{}))
			}
			if got := len(m.take()) + len(om.take()); got != 0 {
				t.Fatalf("%d more messages", got)
			}
		})
		t.Run("a creator who is no longer an Admin: the Owner and the Admins are told", func(t *testing.T) {
			tok := w.token(w.admin, "demoted", 4, true)
			dev, _ := w.svc.RoleByName(t.Context(), w.stack.UID, stackgate.RoleDeveloper)
			if err := w.svc.SetMemberRoles(t.Context(), w.stack.UID, map[string][]string{w.users["admin"].UID: {dev.UID}}); err != nil {
				t.Fatal(err)
			}
			w.run(n)
			w.wantOne(m.take(), tok, "owner", "admin2")
		})
		t.Run("a failed send is retried with backoff and never marked sent", func(t *testing.T) {
			tok := w.token(w.owner, "flaky", 4, true)
			m.fail = errors.New("451 try again later")
			w.run(n)
			key := stackgate.NoticeKey{TokenUID: tok.UID, ExpiresOn: *tok.ExpiresOn, Generation: 1, Kind: stackgate.NoticeWeek}
			nt, err := w.store.FindExpiryNotice(t.Context(), key)
			if err != nil || nt.Sent() || nt.LastError == "" || !nt.LeaseUntil.After(w.clock) {
				t.Fatalf("after a failure: %+v, %v", nt, err)
			}
			m.fail = nil
			w.run(n) // within the backoff: not tried
			if got := len(m.take()); got != 0 {
				t.Fatalf("retried within the backoff: %d", got)
			}
			w.clock = nt.LeaseUntil
			w.run(n)
			w.wantOne(m.take(), tok, "owner")
			if c := w.svc.NoticeCounts(); c.Failed != 1 {
				t.Errorf("counts %+v", c)
			}
		})
		t.Run("a changed expiry and a re-enabled flag earn a new notice; deleted or off, none", func(t *testing.T) {
			no, yes := false, true
			moved := w.token(w.owner, "moved", 2, true)
			w.run(n)
			w.wantOne(m.take(), moved, "owner")
			exp, _ := json.Marshal(w.clock.AddDate(0, 0, 5).Format("2006-01-02"))
			w.update(moved.UID, service.TokenInput{ExpiresOn: exp})
			w.run(n)
			moved, _ = w.store.FindManagementToken(t.Context(), w.stack.UID, moved.UID)
			w.wantOne(m.take(), moved, "owner")

			w.update(moved.UID, service.TokenInput{EmailNotification: &no})
			w.run(n)
			w.update(moved.UID, service.TokenInput{EmailNotification: &yes})
			w.run(n)
			w.wantOne(m.take(), moved, "owner")

			off := w.token(w.owner, "turned off", 3, true)
			w.update(off.UID, service.TokenInput{EmailNotification: &no})
			gone := w.token(w.owner, "gone", 3, true)
			if err := w.svc.DeleteManagementToken(t.Context(), w.owner, gone.UID); err != nil {
				t.Fatal(err)
			}
			w.run(n)
			if got := m.take(); len(got) != 0 {
				t.Fatalf("%d messages for tokens deleted or turned off: %q", len(got), got[0].Subject)
			}
		})
		t.Run("a second notice one day before; none once expired", func(t *testing.T) {
			at, _ := soon.ExpiresAt()
			w.clock = at.Add(-24 * time.Hour)
			w.run(n)
			var about []*mail.Message
			for _, msg := range m.take() {
				if strings.Contains(msg.Subject, `"soon"`) {
					about = append(about, msg)
				}
			}
			last := w.wantOne(about, soon, "owner")
			if !strings.Contains(last.Subject, "in 24 hours") || !strings.Contains(last.MessageID, "expiry-1d.") {
				t.Errorf("subject %q, id %s", last.Subject, last.MessageID)
			}
			w.clock = at
			w.run(n)
			for _, msg := range m.take() {
				if strings.Contains(msg.Subject, `"soon"`) {
					t.Errorf("a notice after expiry: %q", msg.Subject)
				}
			}
		})
	})
}

// TestExpiryNoticesConcurrentNodes: notifiers of several services on one
// store, run at the same moment, send each notice once.
func TestExpiryNoticesConcurrentNodes(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		w := newNoticeWorld(t, open(t), nil)
		var toks []*stackgate.ManagementToken
		for _, name := range []string{"a", "b", "c", "d", "e"} {
			toks = append(toks, w.token(w.owner, name, 2, true))
		}
		m := &fakeMailer{}
		var wg sync.WaitGroup
		for range 4 {
			node := service.New(w.store, w.keys, service.Config{}, nil)
			node.Now = w.svc.Now
			n := node.NewNotifier(m, service.NoticeConfig{})
			wg.Go(func() {
				if err := n.RunOnce(context.Background()); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		got := m.take()
		if len(got) != len(toks) {
			t.Fatalf("%d messages for %d tokens", len(got), len(toks))
		}
		seen := map[string]bool{}
		for _, msg := range got {
			if seen[msg.MessageID] {
				t.Errorf("sent twice: %s", msg.MessageID)
			}
			seen[msg.MessageID] = true
		}
	})
}

// TestExpiryNoticesLogged: without a mailer, each notice is one log line,
// counted, with no secret in it.
func TestExpiryNoticesLogged(t *testing.T) {
	var buf bytes.Buffer
	w := newNoticeWorld(t, testdb.SQLite(t), &buf)
	tok := w.token(w.owner, "logged", 3, true)
	n := w.svc.NewNotifier(nil, service.NoticeConfig{})
	w.run(n)
	w.run(n)
	var lines []string
	for _, l := range strings.Split(buf.String(), "\n") {
		if strings.Contains(l, "expiry notice") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 || !strings.Contains(lines[0], tok.UID) || !strings.Contains(lines[0], "owner@example.com") {
		t.Fatalf("log lines %q", lines)
	}
	for _, s := range w.secrets {
		if strings.Contains(buf.String(), s) {
			t.Error("the log holds a secret")
		}
	}
	if c := w.svc.NoticeCounts(); c.Logged != 1 || c.Sent != 0 {
		t.Errorf("counts %+v", c)
	}
}
