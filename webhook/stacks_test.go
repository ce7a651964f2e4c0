package webhook_test

import (
	"bytes"
	"log/slog"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stackgate/stackgate"
	"github.com/stackgate/stackgate/internal/testdb"
	"github.com/stackgate/stackgate/secret"
	"github.com/stackgate/stackgate/service"
	"github.com/stackgate/stackgate/webhook"
)

// loopback is the service configuration that lets a stack's webhook name
// the tests' httptest receivers (http, 127.0.0.1).
var loopback = service.Config{WebhookAllowHTTP: true, WebhookAllowPrivate: true}

func newKeys(t *testing.T) *secret.Keyring {
	t.Helper()
	k, err := secret.ParseKeyFile(secret.GenerateKeyFile())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// putWebhook sets the actor's stack's webhook and returns its secret ("" on
// an update).
func (w *world) putWebhook(t *testing.T, by stackgate.Actor, url string, events ...string) string {
	t.Helper()
	_, s, _, err := w.svc.PutTokenWebhook(t.Context(), by, service.TokenWebhookInput{URL: &url, Events: events})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (w *world) deliveries(t *testing.T, stackUID string) []*stackgate.WebhookDelivery {
	t.Helper()
	ds, err := w.st.ListWebhookDeliveries(t.Context(), stackUID)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// TestStackWebhook: a stack with a webhook of its own gets its events at
// its URL, signed with its secret (not the node's), for the events it
// selected only (the others are closed as skipped, never sent); a stack
// without one still gets the node-wide --webhook-url's, signed with the
// node's secret. No body holds a token value or a signing secret.
func TestStackWebhook(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		ownRcv, nodeRcv := &receiver{}, &receiver{}
		own, node := httptest.NewServer(ownRcv), httptest.NewServer(nodeRcv)
		defer own.Close()
		defer node.Close()
		w := newWorldWith(t, open(t), newKeys(t), loopback)
		ctx := t.Context()
		otherStack, err := w.svc.CreateStack(ctx, &stackgate.User{UID: w.owner.UID}, "no webhook of its own")
		if err != nil {
			t.Fatal(err)
		}
		other := stackgate.Actor{Stack: otherStack, UID: w.owner.UID}
		stackSecret := []byte(w.putWebhook(t, w.owner, own.URL+"/own?team=a", "created", "revoked"))
		if len(stackSecret) == 0 {
			t.Fatal("no secret")
		}

		mt := w.managementToken(t, "a1")
		rot, _, err := w.svc.RotateManagementToken(ctx, w.owner, mt.UID, nil) // token.rotated: not selected
		if err != nil {
			t.Fatal(err)
		}
		w.secrets = append(w.secrets, rot.Token)
		if err := w.svc.DeleteManagementToken(ctx, w.owner, mt.UID); err != nil {
			t.Fatal(err)
		}
		name, yes := "b1", true
		bt, err := w.svc.CreateManagementToken(ctx, other, service.TokenInput{Name: &name,
			Scope: []stackgate.ScopeEntry{{Module: stackgate.ModuleEntry, ACL: stackgate.ACL{Read: &yes}},
				{Module: stackgate.ModuleBranch, Branches: []string{"main"}, ACL: stackgate.ACL{Read: &yes}}}})
		if err != nil {
			t.Fatal(err)
		}
		w.secrets = append(w.secrets, bt.Token, string(stackSecret), string(secretKey))

		wk := &webhook.Worker{Store: w.st, Sender: &webhook.Sender{URL: node.URL + "/node", Secret: secretKey},
			Stacks: w.svc, StackClient: webhook.NewStackClient(5*time.Second, true), Log: slog.New(slog.DiscardHandler)}
		if n := run(t, wk); n != 3 {
			t.Fatalf("delivered %d, want 3", n)
		}
		if n := run(t, wk); n != 0 {
			t.Fatalf("delivered %d more, want 0", n)
		}
		check := func(rcv *receiver, key, wrong []byte) []string {
			var events []string
			for _, r := range rcv.requests() {
				if !webhook.Verify(key, r.body, r.signature) || webhook.Verify(wrong, r.body, r.signature) {
					t.Errorf("%s: signature %q is not the right secret's", r.event, r.signature)
				}
				for _, s := range w.secrets {
					if s != "" && bytes.Contains(r.body, []byte(s)) {
						t.Errorf("body %s holds a secret", r.body)
					}
				}
				events = append(events, r.event)
			}
			return events
		}
		if d := cmp.Diff([]string{stackgate.WebhookTokenCreated, stackgate.WebhookTokenRevoked}, check(ownRcv, stackSecret, secretKey)); d != "" {
			t.Errorf("the stack's own receiver (-want +got):\n%s", d)
		}
		if d := cmp.Diff([]string{stackgate.WebhookTokenCreated}, check(nodeRcv, secretKey, stackSecret)); d != "" {
			t.Errorf("the node's receiver (-want +got):\n%s", d)
		}
		var skipped []string
		for _, d := range w.deliveries(t, w.owner.Stack.UID) {
			if d.SentAt.IsZero() {
				skipped = append(skipped, d.Event+": "+d.LastError)
				if d.FailedAt.IsZero() {
					t.Errorf("%s: neither sent nor closed", d.Event)
				}
			}
		}
		if d := cmp.Diff([]string{"token.rotated: skipped: the stack's token webhook does not select token.rotated"}, skipped); d != "" {
			t.Errorf("unsent deliveries (-want +got):\n%s", d)
		}
	})
}

// TestStackWebhookReadAtDelivery: the URL and the secret are read when a
// delivery is sent: a queued event goes to the URL set after it, signed
// with the secret rotated after it (the old one signs nothing more); once
// the stack's webhook is deleted, its events go to the node's again.
func TestStackWebhookReadAtDelivery(t *testing.T) {
	w := newWorldWith(t, testdb.SQLite(t), newKeys(t), loopback)
	oldRcv, newRcv, nodeRcv := &receiver{}, &receiver{}, &receiver{}
	oldSrv, newSrv, nodeSrv := httptest.NewServer(oldRcv), httptest.NewServer(newRcv), httptest.NewServer(nodeRcv)
	defer oldSrv.Close()
	defer newSrv.Close()
	defer nodeSrv.Close()
	oldSecret := []byte(w.putWebhook(t, w.owner, oldSrv.URL))
	w.managementToken(t, "queued")
	if s := w.putWebhook(t, w.owner, newSrv.URL); s != "" {
		t.Fatal("an update showed a secret")
	}
	_, rotated, err := w.svc.RotateTokenWebhookSecret(t.Context(), w.owner)
	if err != nil {
		t.Fatal(err)
	}
	newSecret := []byte(rotated)
	if bytes.Equal(newSecret, oldSecret) {
		t.Fatal("rotation kept the secret")
	}
	wk := &webhook.Worker{Store: w.st, Sender: &webhook.Sender{URL: nodeSrv.URL, Secret: secretKey}, Stacks: w.svc,
		StackClient: webhook.NewStackClient(5*time.Second, true), Log: slog.New(slog.DiscardHandler)}
	if n := run(t, wk); n != 1 {
		t.Fatalf("delivered %d, want 1", n)
	}
	got := newRcv.requests()
	if len(oldRcv.requests()) != 0 || len(got) != 1 {
		t.Fatalf("old URL got %d, new URL %d; want 0 and 1", len(oldRcv.requests()), len(got))
	}
	if !webhook.Verify(newSecret, got[0].body, got[0].signature) || webhook.Verify(oldSecret, got[0].body, got[0].signature) {
		t.Errorf("signed %q: want the rotated secret's signature only", got[0].signature)
	}
	if err := w.svc.DeleteTokenWebhook(t.Context(), w.owner); err != nil {
		t.Fatal(err)
	}
	w.managementToken(t, "after delete")
	if n := run(t, wk); n != 1 || len(nodeRcv.requests()) != 1 || len(newRcv.requests()) != 1 {
		t.Fatalf("after delete: delivered %d; node got %d, stack's %d", n, len(nodeRcv.requests()), len(newRcv.requests()))
	}
	if r := nodeRcv.requests()[0]; !webhook.Verify(secretKey, r.body, r.signature) {
		t.Error("the node's delivery is not signed with the node's secret")
	}
	// Neither the stack nor the node: closed as skipped.
	wk.Sender = nil
	w.managementToken(t, "nowhere")
	if n := run(t, wk); n != 0 {
		t.Fatalf("delivered %d with no webhook", n)
	}
	ds := w.deliveries(t, w.owner.Stack.UID)
	if d := ds[len(ds)-1]; d.FailedAt.IsZero() || !strings.HasPrefix(d.LastError, "skipped: neither the stack nor the node") {
		t.Errorf("delivery without a webhook: %+v", d)
	}
}

// TestStackWebhookRefusesInternal: without --webhook-allow-private the
// stack client connects to no loopback address, whether the URL names it
// or a host name resolves to it (checked on the dialed address): nothing
// reaches the receiver, the delivery fails and is retried later. With it,
// the same delivery goes through.
func TestStackWebhookRefusesInternal(t *testing.T) {
	rcv := &receiver{}
	srv := httptest.NewServer(rcv)
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":"):]
	for _, url := range []string{srv.URL, "http://localhost" + port} {
		t.Run(url, func(t *testing.T) {
			w := newWorldWith(t, testdb.SQLite(t), newKeys(t), loopback) // the API lets it in; the dialer must not
			w.putWebhook(t, w.owner, url+"/hook")
			w.managementToken(t, "ssrf")
			c := newClock(time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC))
			wk := &webhook.Worker{Store: w.st, Stacks: w.svc, StackClient: webhook.NewStackClient(5*time.Second, false),
				Now: c.Now, Log: slog.New(slog.DiscardHandler)}
			if n := run(t, wk); n != 0 {
				t.Fatalf("delivered %d to a loopback address", n)
			}
			if n := len(rcv.requests()); n != 0 {
				t.Fatalf("the receiver got %d requests", n)
			}
			d := w.deliveries(t, w.owner.Stack.UID)[0]
			if !strings.Contains(d.LastError, webhook.ErrInternalAddress.Error()) || !d.FailedAt.IsZero() || !d.SentAt.IsZero() {
				t.Errorf("delivery %+v: want a failed attempt naming the refusal", d)
			}
			c.Set(c.Now().Add(time.Hour))
			wk.StackClient = webhook.NewStackClient(5*time.Second, true)
			if n := run(t, wk); n != 1 || len(rcv.requests()) != 1 {
				t.Fatalf("allowed: delivered %d, the receiver got %d", n, len(rcv.requests()))
			}
			rcv.mu.Lock()
			rcv.got = nil
			rcv.mu.Unlock()
		})
	}
}

// TestInternal: the addresses a stack's webhook may not reach.
func TestInternal(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1": true, "127.1.2.3": true, "::1": true, "10.0.0.1": true, "172.16.5.4": true, "192.168.1.1": true,
		"169.254.169.254": true, "fe80::1": true, "fc00::1": true, "fd12::1": true, "0.0.0.0": true, "::": true,
		"224.0.0.1": true, "ff02::1": true, "100.64.0.1": true, "255.255.255.255": true, "::ffff:127.0.0.1": true,
		"::ffff:10.0.0.1": true, "0.1.2.3": true,
		// IPv6 forms that carry an internal IPv4 address: NAT64 (well-known
		// and local-use prefixes), IPv4-compatible, 6to4; site-local.
		"64:ff9b::7f00:1": true, "64:ff9b::a9fe:a9fe": true, "64:ff9b::10.1.2.3": true, "64:ff9b:1::808:808": true,
		"::7f00:1": true, "::10.0.0.1": true, "::169.254.169.254": true, "2002:7f00:1::": true, "2002:a00:1::1": true,
		"2002:c0a8:101::": true, "fec0::1": true,
		"93.184.216.34": false, "8.8.8.8": false, "2606:4700::1111": false, "::ffff:8.8.8.8": false,
		"64:ff9b::808:808": false, "2002:808:808::1": false, "::808:808": false,
	} {
		if got := webhook.Internal(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Internal(%s) = %v, want %v", addr, got, want)
		}
	}
}

// TestCheckURLAllows: what the operator's flags let in.
func TestCheckURLAllows(t *testing.T) {
	for _, c := range []struct {
		url                     string
		allowHTTP, allowPrivate bool
		want                    string
	}{
		{"https://hooks.example.com/x?a=b", false, false, ""},
		{"http://hooks.example.com/x", false, false, "must be an https URL."},
		{"http://hooks.example.com/x", true, false, ""},
		{"ftp://hooks.example.com/x", true, false, "must be an http or https URL."},
		{"https://127.0.0.1/x", false, false, "must not name a loopback, private, link-local, multicast or unspecified address."},
		{"https://127.0.0.1/x", false, true, ""},
		{"https://LOCALHOST./x", false, false, "must not name a loopback, private, link-local, multicast or unspecified address."},
		{"https://a.localhost/x", false, false, "must not name a loopback, private, link-local, multicast or unspecified address."},
		{"https://u@hooks.example.com/x", false, true, "must not hold a user name or password."},
		{"https://hooks.example.com/x#", false, false, "must not have a fragment."},
		{"mailto:a@example.com", true, true, "is not a valid URL."},
	} {
		if got := webhook.CheckURL(c.url, c.allowHTTP, c.allowPrivate); got != c.want {
			t.Errorf("CheckURL(%q, %v, %v) = %q, want %q", c.url, c.allowHTTP, c.allowPrivate, got, c.want)
		}
	}
}

// TestRekeyTokenWebhookSecret: `stackgate rekey` (Service.Rekey) re-seals a
// stack's webhook secret under a new first encryption key, the key binding
// counts it under its key, and once re-sealed the old key may go: a ring
// without it still signs with the same secret.
func TestRekeyTokenWebhookSecret(t *testing.T) {
	testdb.Each(t, func(t *testing.T, open testdb.Opener) {
		st := open(t)
		file := string(secret.GenerateKeyFile())
		line := func(f, prefix string) string {
			for _, l := range strings.Split(f, "\n") {
				if strings.HasPrefix(l, prefix) {
					return l
				}
			}
			t.Fatalf("no %q line", prefix)
			return ""
		}
		hmacLine, k1 := line(file, "hmac "), line(file, "enc k1 ")
		k2 := strings.Replace(line(string(secret.GenerateKeyFile()), "enc k1 "), "enc k1 ", "enc k2 ", 1)
		ring := func(lines ...string) *secret.Keyring {
			k, err := secret.ParseKeyFile([]byte(strings.Join(lines, "\n") + "\n"))
			if err != nil {
				t.Fatal(err)
			}
			return k
		}
		w := newWorldWith(t, st, ring(hmacLine, k1), loopback)
		value := w.putWebhook(t, w.owner, "https://hooks.example.com/x")
		use, err := w.svc.KeyUse(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(map[string]int{"k1": 1}, use.SealedBy); d != "" {
			t.Errorf("sealed by before (-want +got):\n%s", d)
		}
		// Without k1 the node would not start: the binding names the webhook's secret.
		b, err := st.KeyBinding(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if err := b.CheckKeys(ring(hmacLine, k2).Fingerprints()); err == nil || !strings.Contains(err.Error(), `"k1"`) {
			t.Errorf("CheckKeys without k1: %v", err)
		}

		rotated := service.New(st, ring(hmacLine, k2, k1), loopback, slog.New(slog.DiscardHandler))
		n, err := rotated.Rekey(t.Context(), 10, nil)
		if err != nil || n != 1 {
			t.Fatalf("rekey: %d, %v; want 1", n, err)
		}
		if use, _ = rotated.KeyUse(t.Context()); !cmp.Equal(map[string]int{"k2": 1}, use.SealedBy) {
			t.Errorf("sealed by after: %v", use.SealedBy)
		}
		hook, got, err := service.New(st, ring(hmacLine, k2), loopback, slog.New(slog.DiscardHandler)).
			TokenWebhookTarget(t.Context(), w.owner.Stack.UID)
		if err != nil || string(got) != value || hook.Secret.KeyID != "k2" {
			t.Fatalf("after rekey, without k1: %q (key %s), %v; want the same secret", got, hook.Secret.KeyID, err)
		}

		// A new hmac key first: rekey moves the secret's hash to it, after
		// which a node without the old hmac key opens it (its hash checked).
		h2 := strings.Replace(line(string(secret.GenerateKeyFile()), "hmac "), "hmac h1 ", "hmac h2 ", 1)
		if !strings.HasPrefix(h2, "hmac h2 ") {
			t.Fatalf("hmac line %q", h2)
		}
		if b, err = st.KeyBinding(t.Context()); err != nil {
			t.Fatal(err)
		}
		if err := b.CheckKeys(ring(h2, k2).Fingerprints()); err == nil || !strings.Contains(err.Error(), `lacks hmac key "`+hmacID(hmacLine)+`"`) {
			t.Errorf("CheckKeys without the old hmac key before rekey: %v", err)
		}
		if n, err := service.New(st, ring(h2, hmacLine, k2), loopback, slog.New(slog.DiscardHandler)).Rekey(t.Context(), 10, nil); err != nil || n != 1 {
			t.Fatalf("hmac rekey: %d, %v; want 1", n, err)
		}
		if b, err = st.KeyBinding(t.Context()); err != nil || b.HashedBy["h2"][stackgate.HashTokenWebhook] != 1 || b.HashedBy[hmacID(hmacLine)][stackgate.HashTokenWebhook] != 0 {
			t.Fatalf("hashed by after the hmac rekey: %v %v", b.HashedBy, err)
		}
		hook, got, err = service.New(st, ring(h2, k2), loopback, slog.New(slog.DiscardHandler)).TokenWebhookTarget(t.Context(), w.owner.Stack.UID)
		if err != nil || string(got) != value || hook.Secret.HashKey != "h2" {
			t.Fatalf("after the hmac rekey, without the old hmac key: %q (hmac key %s), %v; want the same secret", got, hook.Secret.HashKey, err)
		}
	})
}

// hmacID is the id of a key file's hmac line ("hmac <hex>" is h0).
func hmacID(line string) string {
	if f := strings.Fields(line); len(f) == 3 {
		return f[1]
	}
	return stackgate.LegacyHMACKeyID
}
