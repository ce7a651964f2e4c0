package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// writeCert writes a self-signed certificate for 127.0.0.1 with serial to
// certFile and keyFile and returns it.
func writeCert(t *testing.T, certFile, keyFile string, serial int64) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "stackgate test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	c, _ := x509.ParseCertificate(der)
	return c
}

// serveLines starts serve in-process and returns a channel of its log
// lines and a func that stops it and returns its error.
func serveLines(t *testing.T, args ...string) (<-chan string, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve"}, args...), noEnv, io.Discard, pw)
		pw.Close()
	}()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default: // nobody reads: drop
			}
		}
		close(lines)
	}()
	var stopped bool
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(15 * time.Second):
			t.Fatal("serve did not stop")
			return nil
		}
	}
	t.Cleanup(func() { stop() })
	return lines, stop
}

// waitLine returns the first submatch of re in a line, failing after 20 s.
func waitLine(t *testing.T, lines <-chan string, re *regexp.Regexp) []string {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("serve ended before a line matching %s", re)
			}
			if m := re.FindStringSubmatch(l); m != nil {
				return m
			}
		case <-timeout:
			t.Fatalf("no line matching %s", re)
		}
	}
}

// TestTLSEveryListenerAndReload: with --tls-cert/--tls-key the main
// listener and the proxy listeners speak TLS; after the files are replaced,
// SIGHUP makes new connections get the new certificate, and the server
// keeps serving.
func TestTLSEveryListenerAndReload(t *testing.T) {
	dir := t.TempDir()
	db, _ := bootstrapDB(t, dir)
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	first := writeCert(t, certFile, keyFile, 1)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer upstream.Close()

	lines, stop := serveLines(t, "--addr", "127.0.0.1:0", "--database", db, "--tls-cert", certFile, "--tls-key", keyFile,
		"--cda-addr", "127.0.0.1:0", "--cda-upstream", upstream.URL, "--preview-addr", "127.0.0.1:0", "--preview-upstream", upstream.URL)
	main := waitLine(t, lines, regexp.MustCompile(`msg="stackgate listening" addr=(https://[0-9.:]+)`))[1]
	cda := waitLine(t, lines, regexp.MustCompile(`api=cda addr=(https://[0-9.:]+)`))[1]
	preview := waitLine(t, lines, regexp.MustCompile(`api=preview addr=(https://[0-9.:]+)`))[1]

	// get asks url over a new TLS connection and returns the serial of the
	// certificate the server presented and the status.
	get := func(url string, trust *x509.Certificate) (int64, int) {
		t.Helper()
		pool := x509.NewCertPool()
		pool.AddCert(trust)
		client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, DisableKeepAlives: true}}
		resp, err := client.Get(url)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		resp.Body.Close()
		return resp.TLS.PeerCertificates[0].SerialNumber.Int64(), resp.StatusCode
	}
	for _, u := range []string{main + "/healthz", cda + "/v3/content_types", preview + "/v3/content_types"} {
		if serial, status := get(u, first); serial != 1 || status == 0 {
			t.Fatalf("%s: serial %d status %d", u, serial, status)
		}
	}
	// Plain HTTP on a TLS listener is not served.
	if resp, err := http.Get(strings.Replace(main, "https", "http", 1) + "/healthz"); err == nil && resp.StatusCode == 200 {
		t.Fatal("plain HTTP served on the TLS listener")
	}

	second := writeCert(t, certFile, keyFile, 2)
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLine(t, lines, regexp.MustCompile(`SIGHUP: TLS certificate reloaded`))
	for _, u := range []string{main + "/healthz", cda + "/v3/content_types", preview + "/v3/content_types"} {
		if serial, _ := get(u, second); serial != 2 {
			t.Fatalf("%s after SIGHUP: serial %d, want 2", u, serial)
		}
	}
	// A broken renewal keeps the previous certificate.
	os.WriteFile(certFile, []byte("not a certificate"), 0o600)
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	waitLine(t, lines, regexp.MustCompile(`TLS certificate not reloaded`))
	if serial, status := get(main+"/healthz", second); serial != 2 || status != 200 {
		t.Fatalf("after a broken renewal: serial %d status %d", serial, status)
	}
	if err := stop(); err != nil {
		t.Fatalf("serve returned %v", err)
	}
}

// TestTLSFlagsGoTogether: one of the pair alone stops serve before it listens.
func TestTLSFlagsGoTogether(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "sg.db")
	wantErr(t, run(t.Context(), []string{"serve", "--database", db, "--tls-cert", "x.pem"}, noEnv, io.Discard, io.Discard), "--tls-cert and --tls-key go together")
	wantErr(t, run(t.Context(), []string{"serve", "--database", db, "--tls-cert", "/nonexistent.pem", "--tls-key", "/nonexistent.key"}, noEnv, io.Discard, io.Discard), "--tls-cert/--tls-key")
}
