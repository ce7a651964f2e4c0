package mail

import (
	"io"
	"mime"
	"mime/multipart"
	netmail "net/mail"
	"strings"
	"testing"
	"time"
)

func TestMessageBytes(t *testing.T) {
	m := &Message{
		From: "stackgate <noreply@example.com>", To: []string{"owner@example.com", "Ädmin <admin@example.com>"},
		Subject: "Token «ci»\r\nBcc: evil@example.com", Date: time.Date(2027, 6, 1, 9, 0, 0, 0, time.UTC),
		MessageID: "<n1@example.com>",
		Text:      "Hello — the token stops at 2027-06-02T00:00:00Z.\n" + strings.Repeat("long line ", 20) + "\nbye\n",
		HTML:      "<p>Hello &mdash; <b>ci</b></p>\n",
	}
	raw, err := m.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.ReplaceAll(string(raw), "\r\n", ""), "\n") {
		t.Error("a bare LF in the message")
	}
	msg, err := netmail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type"} {
		if msg.Header.Get(h) == "" {
			t.Errorf("no %s header", h)
		}
	}
	if msg.Header.Get("Bcc") != "" {
		t.Error("the subject injected a header")
	}
	dec := new(mime.WordDecoder)
	subj, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subj != "Token «ci»  Bcc: evil@example.com" {
		t.Errorf("subject %q (%v)", subj, err)
	}
	to, err := msg.Header.AddressList("To")
	if err != nil || len(to) != 2 || to[1].Name != "Ädmin" {
		t.Errorf("To %v (%v)", to, err)
	}
	if d, err := msg.Header.Date(); err != nil || !d.Equal(m.Date) {
		t.Errorf("Date %v (%v)", d, err)
	}
	typ, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || typ != "multipart/alternative" {
		t.Fatalf("Content-Type %s (%v)", typ, err)
	}
	r := multipart.NewReader(msg.Body, params["boundary"])
	var got []string
	for {
		p, err := r.NextPart() // decodes quoted-printable
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		got = append(got, p.Header.Get("Content-Type")+"|"+strings.ReplaceAll(string(b), "\r\n", "\n"))
	}
	want := []string{"text/plain; charset=utf-8|" + m.Text, "text/html; charset=utf-8|" + m.HTML}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("parts\n%q\nwant\n%q", got, want)
	}
	from, rcpt, err := m.Envelope()
	if err != nil || from != "noreply@example.com" || strings.Join(rcpt, ",") != "owner@example.com,admin@example.com" {
		t.Errorf("envelope %s %v (%v)", from, rcpt, err)
	}
}

func TestMessageRefusesBadAddresses(t *testing.T) {
	for _, m := range []*Message{
		{From: "not an address", To: []string{"a@example.com"}},
		{From: "a@example.com", To: []string{"x@example.com\r\nBcc: y@example.com"}},
		{From: "a@example.com"},
	} {
		if _, err := m.Bytes(); err == nil {
			t.Errorf("%+v rendered", m)
		}
	}
}
