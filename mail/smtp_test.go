package mail

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"time"
)

// fakeServer speaks just enough SMTP to refuse: it offers extensions (one
// per line of ehlo) and answers AUTH with 535.
func fakeServer(t *testing.T, ehlo ...string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				w := bufio.NewWriter(c)
				r := bufio.NewReader(c)
				say := func(s string) { w.WriteString(s + "\r\n"); w.Flush() }
				say("220 fake ESMTP")
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					switch cmd := strings.ToUpper(strings.Fields(line + " x")[0]); cmd {
					case "EHLO":
						lines := append([]string{"fake"}, ehlo...)
						for i, l := range lines {
							sep := "-"
							if i == len(lines)-1 {
								sep = " "
							}
							say("250" + sep + l)
						}
					case "AUTH":
						say("535 5.7.8 Authentication credentials invalid")
					case "QUIT":
						say("221 bye")
						return
					default:
						say("502 not here")
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func testMessage() *Message {
	return &Message{From: "a@example.com", To: []string{"b@example.com"}, Subject: "s", Date: time.Now(), Text: "t", HTML: "h"}
}

func TestSMTPRefusals(t *testing.T) {
	const password = "do-not-print-me"
	for _, c := range []struct {
		name string
		ehlo []string
		smtp SMTP
		want string
	}{
		{"starttls required but not offered", []string{"AUTH PLAIN"}, SMTP{TLS: TLSStartTLS}, "does not offer STARTTLS"},
		{"auth refused", []string{"AUTH PLAIN"}, SMTP{TLS: TLSNone, Username: "u", Password: password}, "535"},
		{"auth not offered", nil, SMTP{TLS: TLSNone, Username: "u", Password: password}, "does not offer AUTH"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := c.smtp
			s.Addr = fakeServer(t, c.ehlo...)
			err := s.Send(context.Background(), testMessage())
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			if strings.Contains(err.Error(), password) {
				t.Fatal("the error holds the password")
			}
		})
	}
	if _, err := ParseTLSMode("ssl"); err == nil {
		t.Error("ssl accepted as a TLS mode")
	}
}
