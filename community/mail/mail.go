// Package mail sends loyalbot's e-mail: confirmation codes and campaign
// messages, as multipart text and HTML with a one-click unsubscribe link
// (List-Unsubscribe and List-Unsubscribe-Post, RFC 8058), over SMTP with
// STARTTLS when the server offers it (smtp://) or implicit TLS (smtps://).
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"strings"
	"time"
)

// Message is one e-mail.
type Message struct {
	To      string
	Subject string
	Text    string // the body; the HTML part is made from it
	// Unsubscribe is the one-click unsubscribe URL; empty for mail that is
	// not a campaign's (a confirmation code).
	Unsubscribe string
	// Footer is the unsubscribe line under the body, in the reader's language.
	Footer string
}

// Sender sends e-mail.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// SMTP sends through an SMTP server.
type SMTP struct {
	addr     string // host:port
	host     string
	implicit bool // smtps: TLS from the first byte
	auth     smtp.Auth
	from     string
	tls      *tls.Config
}

// NewSMTP returns a sender for smtp://[user:password@]host[:port] (port
// 587 by default; STARTTLS when offered) or smtps://... (port 465). from is
// the From address.
func NewSMTP(rawURL, from string) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("email.smtp_url: %w", err)
	}
	if _, err := mail.ParseAddress(from); err != nil {
		return nil, fmt.Errorf("email.from %q: %w", from, err)
	}
	s := &SMTP{host: u.Hostname(), from: from}
	port := u.Port()
	switch u.Scheme {
	case "smtp":
		port = cmpOr(port, "587")
	case "smtps":
		port, s.implicit = cmpOr(port, "465"), true
	default:
		return nil, fmt.Errorf("email.smtp_url: scheme %q: smtp or smtps", u.Scheme)
	}
	if s.host == "" {
		return nil, errors.New("email.smtp_url: no host")
	}
	s.addr = net.JoinHostPort(s.host, port)
	s.tls = &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12}
	if pw, ok := u.User.Password(); ok {
		s.auth = smtp.PlainAuth("", u.User.Username(), pw, s.host)
	}
	return s, nil
}

// WithTLSConfig returns s using c for TLS (tests trust their own CA).
func (s *SMTP) WithTLSConfig(c *tls.Config) *SMTP {
	cp := *s
	cp.tls = c
	return &cp
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Send delivers m, within ctx's deadline (or 30 seconds).
func (s *SMTP) Send(ctx context.Context, m Message) error {
	raw, err := Compose(s.from, m, time.Now())
	if err != nil {
		return err
	}
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return fmt.Errorf("mail to %q: %w", m.To, err)
	}
	from, _ := mail.ParseAddress(s.from)
	d := net.Dialer{Timeout: 10 * time.Second}
	var conn net.Conn
	if s.implicit {
		conn, err = (&tls.Dialer{NetDialer: &d, Config: s.tls}).DialContext(ctx, "tcp", s.addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", s.addr)
	}
	if err != nil {
		return fmt.Errorf("smtp %s: %w", s.addr, err)
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(30 * time.Second)
	}
	conn.SetDeadline(deadline)
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp %s: %w", s.addr, err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok && !s.implicit {
		if err := c.StartTLS(s.tls); err != nil {
			return fmt.Errorf("smtp starttls: %w", err)
		}
	}
	if s.auth != nil {
		if err := c.Auth(s.auth); err != nil {
			return fmt.Errorf("smtp auth: %w", err)
		}
	}
	if err := c.Mail(from.Address); err != nil {
		return fmt.Errorf("smtp mail from: %w", err)
	}
	if err := c.Rcpt(to.Address); err != nil {
		return fmt.Errorf("smtp rcpt to: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp data: %w", err)
	}
	if _, err := w.Write(raw); err != nil {
		return fmt.Errorf("smtp data: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp data: %w", err)
	}
	return c.Quit()
}

var page = template.Must(template.New("mail").Parse(`<!doctype html>
<html><body style="font-family:sans-serif;line-height:1.5;max-width:36em">
{{range .Paragraphs}}<p>{{.}}</p>
{{end}}{{if .Unsubscribe}}<p style="color:#777;font-size:small"><a href="{{.Unsubscribe}}">{{.Footer}}</a></p>{{end}}
</body></html>
`))

// Compose returns m as an RFC 5322 message: multipart/alternative with a
// text and an HTML part, both quoted-printable UTF-8, and the unsubscribe
// headers when m has an unsubscribe URL.
func Compose(from string, m Message, now time.Time) ([]byte, error) {
	if strings.ContainsAny(m.To+m.Subject, "\r\n") {
		return nil, errors.New("mail: a header holds a line break")
	}
	var buf bytes.Buffer
	mp := multipart.NewWriter(&buf)
	id := make([]byte, 12)
	rand.Read(id)
	domain := "loyalbot.local"
	if a, err := mail.ParseAddress(from); err == nil {
		if _, d, ok := strings.Cut(a.Address, "@"); ok {
			domain = d
		}
	}
	head := []string{
		"From: " + from,
		"To: " + m.To,
		"Subject: " + mime.QEncoding.Encode("utf-8", m.Subject),
		"Date: " + now.Format(time.RFC1123Z),
		"Message-ID: <" + hex.EncodeToString(id) + "@" + domain + ">",
		"MIME-Version: 1.0",
		"Content-Type: multipart/alternative; boundary=" + mp.Boundary(),
	}
	if m.Unsubscribe != "" {
		head = append(head, "List-Unsubscribe: <"+m.Unsubscribe+">", "List-Unsubscribe-Post: List-Unsubscribe=One-Click")
	}
	var out bytes.Buffer
	out.WriteString(strings.Join(head, "\r\n") + "\r\n\r\n")
	text := m.Text
	if m.Unsubscribe != "" {
		text += "\n\n" + m.Footer + ": " + m.Unsubscribe
	}
	var html bytes.Buffer
	if err := page.Execute(&html, map[string]any{"Paragraphs": strings.Split(m.Text, "\n"), "Unsubscribe": m.Unsubscribe, "Footer": m.Footer}); err != nil {
		return nil, err
	}
	for _, part := range []struct{ typ, body string }{{"text/plain", text}, {"text/html", html.String()}} {
		w, err := mp.CreatePart(textproto.MIMEHeader{"Content-Type": {part.typ + "; charset=utf-8"}, "Content-Transfer-Encoding": {"quoted-printable"}})
		if err != nil {
			return nil, err
		}
		qp := quotedprintable.NewWriter(w)
		if _, err := qp.Write([]byte(strings.ReplaceAll(part.body, "\n", "\r\n"))); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
	}
	if err := mp.Close(); err != nil {
		return nil, err
	}
	out.Write(buf.Bytes())
	return out.Bytes(), nil
}
