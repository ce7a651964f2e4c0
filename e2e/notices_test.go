package e2e

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	netmail "net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stackgate/stackgate/internal/testdb"
)

// python returns a Python interpreter that has aiosmtpd (Debian's
// python3-aiosmtpd). Under CI its absence fails the test (.ci/run installs it).
func python(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if path, err := exec.LookPath(p); err == nil && exec.Command(path, "-c", "import aiosmtpd").Run() == nil {
			return path
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("aiosmtpd is not installed: under CI the SMTP tests must run (.ci/run installs python3-aiosmtpd)")
	}
	t.Skip("aiosmtpd not installed; apt-get install python3-aiosmtpd to run the e-mail tests")
	return ""
}

// sink is a running aiosmtpd that keeps every message it accepts.
type sink struct {
	Addr string
	dir  string
}

// mailMsg is one message as the SMTP server received it.
type mailMsg struct {
	MailFrom string   `json:"mail_from"`
	RcptTos  []string `json:"rcpt_tos"`
	Data     string   `json:"data"`
	TLS      bool     `json:"tls"`
	Auth     bool     `json:"auth"`
}

func startSink(t *testing.T, args ...string) *sink {
	t.Helper()
	py := python(t)
	s := &sink{dir: t.TempDir()}
	cmd := exec.Command(py, append([]string{"testdata/smtpsink.py", "--listen", "127.0.0.1:0", "--dir", s.dir}, args...)...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	port := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if p, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
				port <- p
			}
		}
		close(port)
	}()
	select {
	case p, ok := <-port:
		if !ok {
			t.Fatal("smtpsink exited before listening")
		}
		s.Addr = "127.0.0.1:" + p
	case <-time.After(20 * time.Second):
		t.Fatal("smtpsink did not start")
	}
	return s
}

func (s *sink) messages(t *testing.T) []mailMsg {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(s.dir, "*.json"))
	var out []mailMsg
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var m mailMsg
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// await polls until the sink holds at least n messages.
func (s *sink) await(t *testing.T, n int, within time.Duration) []mailMsg {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		if m := s.messages(t); len(m) >= n {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages after %s, want %d", len(s.messages(t)), within, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// parsed is a received message, decoded.
type parsed struct {
	header netmail.Header
	text   string
	html   string
}

func parse(t *testing.T, m mailMsg) parsed {
	t.Helper()
	msg, err := netmail.ReadMessage(strings.NewReader(m.Data))
	if err != nil {
		t.Fatalf("not a message: %v\n%s", err, m.Data)
	}
	typ, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || typ != "multipart/alternative" {
		t.Fatalf("Content-Type %q", msg.Header.Get("Content-Type"))
	}
	p := parsed{header: msg.Header}
	r := multipart.NewReader(msg.Body, params["boundary"])
	for {
		part, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(part)
		switch {
		case strings.HasPrefix(part.Header.Get("Content-Type"), "text/plain"):
			p.text = string(b)
		case strings.HasPrefix(part.Header.Get("Content-Type"), "text/html"):
			p.html = string(b)
		}
	}
	if p.text == "" || p.html == "" {
		t.Fatalf("want a text and an HTML part:\n%s", m.Data)
	}
	for _, h := range []string{"From", "To", "Subject", "Date", "Message-Id", "Mime-Version"} {
		if msg.Header.Get(h) == "" {
			t.Errorf("no %s header:\n%s", h, m.Data)
		}
	}
	return p
}

// noticeStack is a stack with an owner and an Admin, and the owner's session.
type noticeStack struct {
	env    []string
	db     string
	apiKey string
}

func newNoticeStack(t *testing.T, env []string, db string) *noticeStack {
	boot := bootstrap(t, env, db, "owner@example.com", "Mail Stack")
	runCmd(t, env, "user", "add", "--database", db, "--email", "admin@example.com", "--password", "e2e-password-1",
		"--stack", boot["api_key"], "--role", "Admin")
	return &noticeStack{env: env, db: db, apiKey: boot["api_key"]}
}

// createToken creates a management token as the owner, expiring on the
// UTC date days from today, and returns its uid and value.
func (s *noticeStack) createToken(t *testing.T, base, authtoken, name string, days int, notify bool) (uid, value string) {
	t.Helper()
	status, body, _ := call(t, "POST", base+"/v3/stacks/management_tokens", map[string]string{"api_key": s.apiKey, "authtoken": authtoken},
		map[string]any{"token": map[string]any{"name": name, "is_email_notification_enabled": notify,
			"expires_on": time.Now().UTC().AddDate(0, 0, days).Format("2006-01-02"),
			"scope": []any{map[string]any{"module": "$all", "acl": map[string]bool{"read": true, "write": true}},
				map[string]any{"module": "branch", "branches": []string{"main"}, "acl": map[string]bool{"read": true}}}}})
	if status != 201 {
		t.Fatalf("create token %q: %d %v", name, status, body)
	}
	tok := body["token"].(map[string]any)
	return tok["uid"].(string), tok["token"].(string)
}

// logs collects a process's log lines.
type logs struct {
	mu    sync.Mutex
	lines []string
}

func (l *logs) String() string { l.mu.Lock(); defer l.mu.Unlock(); return strings.Join(l.lines, "\n") }

// serveLogged is serve, keeping the log; stop ends the process (its
// cleanup is then a no-op).
func serveLogged(t *testing.T, env []string, args ...string) (n *node, l *logs, stop func()) {
	t.Helper()
	cmd := exec.Command(stackgateBin(t), append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	l = &logs{}
	addr := make(chan string, 1)
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			l.mu.Lock()
			l.lines = append(l.lines, sc.Text())
			l.mu.Unlock()
			if m := listenLine.FindStringSubmatch(sc.Text()); m != nil && !sent {
				addr <- m[1]
				sent = true
			}
			if testing.Verbose() {
				fmt.Fprintln(os.Stderr, "stackgate:", sc.Text())
			}
		}
		if !sent {
			close(addr)
		}
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			_ = cmd.Process.Signal(os.Interrupt)
			done := make(chan struct{})
			go func() { <-scanned; _ = cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				_ = cmd.Process.Kill()
				t.Error("stackgate did not stop on SIGINT")
			}
		})
	}
	t.Cleanup(stop)
	select {
	case a, ok := <-addr:
		if !ok {
			t.Fatalf("stackgate serve exited before listening:\n%s", l)
		}
		n = &node{URL: "http://" + a, cmd: cmd}
	case <-time.After(30 * time.Second):
		t.Fatal("stackgate serve did not report its address")
	}
	waitHealthy(t, n.URL)
	return n, l, stop
}

// checkNotice checks one received notice: to the owner only (the creator,
// who is still the Owner), naming the token, never holding its value.
func checkNotice(t *testing.T, m mailMsg, name, uid, value string) parsed {
	t.Helper()
	if !slices.Equal(m.RcptTos, []string{"owner@example.com"}) || m.MailFrom != "noreply@example.com" {
		t.Errorf("envelope from %s to %v, want noreply@example.com to [owner@example.com]", m.MailFrom, m.RcptTos)
	}
	p := parse(t, m)
	subject, _ := new(mime.WordDecoder).DecodeHeader(p.header.Get("Subject"))
	if !strings.Contains(subject, name) || !strings.Contains(subject, "Mail Stack") {
		t.Errorf("subject %q", subject)
	}
	for _, part := range []string{p.text, p.html} {
		if !strings.Contains(part, name) || !strings.Contains(part, uid) || !strings.Contains(part, "Mail Stack") {
			t.Errorf("a part lacks the token's name, uid or stack:\n%s", part)
		}
	}
	if strings.Contains(m.Data, value) || strings.Contains(p.text, value) || strings.Contains(p.html, value) {
		t.Error("the message holds the token's value")
	}
	if !regexp.MustCompile(`\d{4}-\d{2}-\d{2}T00:00:00Z`).MatchString(p.text) {
		t.Errorf("no RFC 3339 expiry instant in:\n%s", p.text)
	}
	return p
}

// TestExpiryNoticeSMTP: against a real SMTP server, a token expiring in 3
// days with the flag gets exactly one notice, to its creator, and still one
// after a restart; a token expiring in 30 days, or without the flag, none.
func TestExpiryNoticeSMTP(t *testing.T) {
	sk := startSink(t)
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "stackgate.db")
	s := newNoticeStack(t, nil, db)
	args := []string{"--database", db, "--smtp-addr", sk.Addr, "--smtp-tls", "none",
		"--smtp-from", "stackgate <noreply@example.com>", "--notify-interval", "200ms"}

	a, _, stop := serveLogged(t, nil, args...)
	owner := login(t, a.URL, "owner@example.com")
	uid, value := s.createToken(t, a.URL, owner, "deploy bot", 3, true)
	_, later := s.createToken(t, a.URL, owner, "later", 30, true)
	_, quiet := s.createToken(t, a.URL, owner, "quiet", 3, false)
	msgs := sk.await(t, 1, 15*time.Second)
	time.Sleep(1500 * time.Millisecond) // several more intervals
	if msgs = sk.messages(t); len(msgs) != 1 {
		t.Fatalf("%d messages, want exactly 1", len(msgs))
	}
	p := checkNotice(t, msgs[0], "deploy bot", uid, value)
	for _, v := range []string{later, quiet} {
		if strings.Contains(msgs[0].Data, v) {
			t.Error("the message holds another token's value")
		}
	}
	stop()

	b, blog, _ := serveLogged(t, nil, args...)
	waitHealthy(t, b.URL)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(blog.String(), "expiry notices are mailed") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond)
	if n := len(sk.messages(t)); n != 1 {
		t.Fatalf("after a restart: %d messages, want still 1", n)
	}
	if id := p.header.Get("Message-Id"); !strings.Contains(id, uid) {
		t.Errorf("Message-ID %q does not name the notice", id)
	}
}

// TestExpiryNoticeTwoNodes: two nodes on one PostgreSQL, both running the
// scheduler, send each notice exactly once.
func TestExpiryNoticeTwoNodes(t *testing.T) {
	dsn := testdb.PostgresURL(t)
	sk := startSink(t)
	env := sharedKey(t)
	s := newNoticeStack(t, env, dsn)
	// The nodes start first, so their schedulers race for every token.
	args := []string{"--database", dsn, "--smtp-addr", sk.Addr, "--smtp-tls", "none",
		"--smtp-from", "noreply@example.com", "--notify-interval", "200ms"}
	a, _, _ := serveLogged(t, env, args...)
	b, _, _ := serveLogged(t, env, args...)
	owner := login(t, a.URL, "owner@example.com")
	tokens := map[string]string{}
	for i := range 4 {
		base := a.URL
		if i%2 == 1 {
			base = b.URL
		}
		name := fmt.Sprintf("ci %d", i)
		uid, _ := s.createToken(t, base, owner, name, 1+i, true)
		tokens[uid] = name
	}
	sk.await(t, len(tokens), 20*time.Second)
	time.Sleep(2 * time.Second) // ten more intervals on each node
	msgs := sk.messages(t)
	if len(msgs) != len(tokens) {
		t.Fatalf("%d messages for %d tokens", len(msgs), len(tokens))
	}
	seen := map[string]int{}
	for _, m := range msgs {
		p := parse(t, m)
		for uid := range tokens {
			if strings.Contains(p.text, uid) {
				seen[uid]++
			}
		}
	}
	for uid, name := range tokens {
		if seen[uid] != 1 {
			t.Errorf("token %q: %d notices, want 1", name, seen[uid])
		}
	}
}

// TestExpiryNoticeSTARTTLS: the notice goes over STARTTLS (which the server
// requires) to a server with a self-signed certificate that stackgate trusts
// through --smtp-ca-file, authenticating with the password from its file.
// Without the CA the send fails and is logged without the password.
func TestExpiryNoticeSTARTTLS(t *testing.T) {
	dir := t.TempDir()
	caFile, certFile, keyFile := selfSigned(t, dir)
	const password = "s3cret-smtp-passw0rd"
	sk := startSink(t, "--starttls-cert", certFile, "--starttls-key", keyFile, "--auth", "mailer:"+password)
	pwFile := filepath.Join(dir, "smtp-password")
	if err := os.WriteFile(pwFile, []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	db := "sqlite:" + filepath.Join(dir, "stackgate.db")
	s := newNoticeStack(t, nil, db)
	args := []string{"--database", db, "--smtp-addr", sk.Addr, "--smtp-tls", "starttls",
		"--smtp-username", "mailer", "--smtp-password-file", pwFile,
		"--smtp-from", "stackgate <noreply@example.com>", "--notify-interval", "200ms"}

	// Not trusted: refused, logged without the password, not marked sent.
	a, alog, stop := serveLogged(t, nil, args...)
	owner := login(t, a.URL, "owner@example.com")
	uid, value := s.createToken(t, a.URL, owner, "tls bot", 2, true)
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(alog.String(), "expiry notice not sent") {
		if time.Now().After(deadline) {
			t.Fatalf("no failed send logged:\n%s", alog)
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	if strings.Contains(alog.String(), password) {
		t.Fatal("the log holds the SMTP password")
	}
	if !strings.Contains(alog.String(), "certificate") {
		t.Errorf("the failure does not say why:\n%s", alog)
	}
	if n := len(sk.messages(t)); n != 0 {
		t.Fatalf("%d messages over an untrusted connection", n)
	}

	// Trusted: a new token's notice arrives over STARTTLS with AUTH. The
	// failed one stays unsent, backing off (1 minute at first) and is not
	// delivered within this test; its retry is tested with an injected clock
	// in service (TestExpiryNotices).
	b, blog, _ := serveLogged(t, nil, append(args, "--smtp-ca-file", caFile)...)
	uid2, value2 := s.createToken(t, b.URL, login(t, b.URL, "owner@example.com"), "tls bot 2", 2, true)
	msgs := sk.await(t, 1, 15*time.Second)
	time.Sleep(time.Second)
	msgs = sk.messages(t)
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1 (the other is backing off)", len(msgs))
	}
	if !msgs[0].TLS || !msgs[0].Auth {
		t.Errorf("delivered with tls=%v auth=%v, want both", msgs[0].TLS, msgs[0].Auth)
	}
	checkNotice(t, msgs[0], "tls bot 2", uid2, value2)
	if strings.Contains(msgs[0].Data, value) || strings.Contains(msgs[0].Data, uid) || strings.Contains(blog.String(), password) {
		t.Error("a secret leaked, or the backing-off notice was sent")
	}
}

// selfSigned writes a CA and a server certificate for 127.0.0.1 signed by
// it, and returns the CA's, the certificate's and the key's files.
func selfSigned(t *testing.T, dir string) (caFile, certFile, keyFile string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "stackgate e2e CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return write("ca.pem", "CERTIFICATE", caDER), write("server.pem", "CERTIFICATE", leafDER), write("server.key", "EC PRIVATE KEY", keyDER)
}
