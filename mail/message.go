// Package mail writes e-mail messages (multipart/alternative, plain text and
// HTML, quoted-printable) and sends them over SMTP with net/smtp: plain,
// STARTTLS or implicit TLS, with optional PLAIN authentication. It knows
// nothing of stackgate's domain; the service composes the messages.
package mail

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"net/textproto"
	"strings"
	"time"
)

// Message is one e-mail.
type Message struct {
	From      string   // an address, optionally with a display name: "stackgate <noreply@example.com>"
	To        []string // addresses
	Subject   string
	Date      time.Time
	MessageID string // "<id@domain>"; the same notice keeps the same id, so a duplicate can be recognised
	Text      string // the text/plain part
	HTML      string // the text/html part
}

// Envelope returns the bare sender and recipient addresses (for MAIL FROM
// and RCPT TO), or an error when one does not parse.
func (m *Message) Envelope() (from string, to []string, err error) {
	f, err := netmail.ParseAddress(m.From)
	if err != nil {
		return "", nil, fmt.Errorf("mail: From %q: %w", m.From, err)
	}
	if len(m.To) == 0 {
		return "", nil, errors.New("mail: no recipients")
	}
	for _, a := range m.To {
		t, err := netmail.ParseAddress(a)
		if err != nil {
			return "", nil, fmt.Errorf("mail: To %q: %w", a, err)
		}
		to = append(to, t.Address)
	}
	return f.Address, to, nil
}

// headerText makes s safe as a header value: control characters (CR and LF
// above all, which would start a header of their own) become spaces, and
// non-ASCII text is RFC 2047 encoded.
func headerText(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	return mime.QEncoding.Encode("utf-8", s)
}

// Bytes renders the message: headers From, To, Subject, Date, Message-ID,
// MIME-Version, Content-Type (multipart/alternative), then a text/plain and
// a text/html part, each quoted-printable, with CRLF line endings.
func (m *Message) Bytes() ([]byte, error) {
	from, err := netmail.ParseAddress(m.From)
	if err != nil {
		return nil, fmt.Errorf("mail: From %q: %w", m.From, err)
	}
	var to []string
	for _, a := range m.To {
		t, err := netmail.ParseAddress(a)
		if err != nil {
			return nil, fmt.Errorf("mail: To %q: %w", a, err)
		}
		to = append(to, t.String())
	}
	if len(to) == 0 {
		return nil, errors.New("mail: no recipients")
	}
	if strings.ContainsAny(m.MessageID, "\r\n") {
		return nil, errors.New("mail: Message-ID has a line break")
	}
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for _, p := range []struct{ typ, text string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
		part, err := w.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {p.typ + "; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		qp := quotedprintable.NewWriter(part)
		if _, err := qp.Write([]byte(p.text)); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}

	var out bytes.Buffer
	header := func(k, v string) { out.WriteString(k + ": " + v + "\r\n") }
	header("From", from.String())
	header("To", strings.Join(to, ", "))
	header("Subject", headerText(m.Subject))
	header("Date", m.Date.Format(time.RFC1123Z))
	if m.MessageID != "" {
		header("Message-ID", m.MessageID)
	}
	header("MIME-Version", "1.0")
	header("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": w.Boundary()}))
	out.WriteString("\r\n")
	out.Write(body.Bytes())
	return out.Bytes(), nil
}
