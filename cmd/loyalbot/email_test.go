package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/bots/console"
	"github.com/loyalbot/loyalbot/community/campaign"
	"github.com/loyalbot/loyalbot/community/web"
	"github.com/loyalbot/loyalbot/internal/outbox"
	"github.com/loyalbot/loyalbot/loyalty/loyaltytest"
)

// mailbox is an SMTP server in the test: it takes mail after PLAIN
// authentication as user/secret and keeps it.
type mailbox struct {
	mu   sync.Mutex
	mail [][]byte
	addr string
}

func startMailbox(t *testing.T) *mailbox {
	t.Helper()
	mb := &mailbox{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &mailSession{mb: mb}, nil }))
	srv.Domain, srv.AllowInsecureAuth = "localhost", true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mb.addr = ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return mb
}

func (mb *mailbox) all() []*mail.Message {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	var out []*mail.Message
	for _, raw := range mb.mail {
		m, err := mail.ReadMessage(bytes.NewReader(raw))
		if err == nil {
			out = append(out, m)
		}
	}
	return out
}

type mailSession struct {
	mb     *mailbox
	authed bool
}

func (s *mailSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *mailSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "bot" || pass != "s3cret" {
			return errors.New("bad credentials")
		}
		s.authed = true
		return nil
	}), nil
}
func (s *mailSession) Mail(string, *smtp.MailOptions) error {
	if !s.authed {
		return errors.New("authenticate first")
	}
	return nil
}
func (s *mailSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.mb.mu.Lock()
	s.mb.mail = append(s.mb.mail, b)
	s.mb.mu.Unlock()
	return err
}
func (s *mailSession) Reset()        {}
func (s *mailSession) Logout() error { return nil }

// parts returns a multipart/alternative mail's text and HTML parts.
func parts(t *testing.T, m *mail.Message) (text, html string) {
	t.Helper()
	_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return text, html
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(quotedprintable.NewReader(p))
		if strings.HasPrefix(p.Header.Get("Content-Type"), "text/html") {
			html = string(body)
		} else {
			text = string(body)
		}
	}
}

// E-mail end to end: /email sends a code to a real SMTP server, the code
// confirms the address, a campaign mails it multipart with a one-click
// unsubscribe link, the link's POST stops the next mail, /export shows the
// address and /erase removes it.
func TestEmail_ConfirmCampaignUnsubscribe(t *testing.T) {
	ctx := context.Background()
	mb := startMailbox(t)
	cfg := testConfig(t)
	cfg.Email = EmailConfig{From: "Lumen Tea <hello@lumen.example>", PublicURL: "https://bot.lumen.example", SMTPURL: Secret("smtp://bot:s3cret@" + mb.addr)}
	cfg.Campaigns = []campaign.Definition{{ID: "news", Name: campaign.Text{"en": "Spring news"}, Kind: campaign.Service,
		Trigger: campaign.Trigger{Event: "newsletter"}, Reentry: "1h",
		Steps: []campaign.Step{{Message: campaign.Text{"en": "Hi {{name}}, our spring teas are in."}, Email: "always"}}}}
	cfg.OrdersSecret = "s"
	clk := loyaltytest.NewClock(time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC))
	app, err := OpenApp(ctx, cfg, "admin", slog.New(slog.DiscardHandler), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	var out bytes.Buffer
	app.Hub.Add(console.New(nil, &out))
	sayAs := func(user, text string) string {
		t.Helper()
		var b strings.Builder
		for _, r := range app.Router.Dispatch(ctx, &bots.Event{ID: "console:" + user + text + clk.Now().String(), Platform: bots.Console, ChatID: "dm-" + user,
			Chat: bots.ChatPrivate, UserID: user, Name: user, Text: text}) {
			b.WriteString(r.Text + "\n")
		}
		return b.String()
	}
	say := func(text string) string { t.Helper(); return sayAs("alice", text) }
	say("/start")
	if got := say("/email not-an-address"); !strings.Contains(got, "isn't an e-mail address") {
		t.Fatalf("bad address: %q", got)
	}
	if got := say("/email alice@example.com"); !strings.Contains(got, "We sent a code to alice@example.com") {
		t.Fatalf("/email: %q", got)
	}
	msgs := mb.all()
	if len(msgs) != 1 {
		t.Fatalf("%d mails, want the code", len(msgs))
	}
	text, _ := parts(t, msgs[0])
	code := regexp.MustCompile(`\b\d{6}\b`).FindString(text)
	if msgs[0].Header.Get("To") != "alice@example.com" || code == "" || msgs[0].Header.Get("List-Unsubscribe") != "" {
		t.Fatalf("code mail: to %q, text %q, unsubscribe %q", msgs[0].Header.Get("To"), text, msgs[0].Header.Get("List-Unsubscribe"))
	}
	if got := say("/email confirm 000000x"); !strings.Contains(got, "wrong or has expired") {
		t.Fatalf("wrong code: %q", got)
	}
	if got := say("/email confirm " + code); !strings.Contains(got, "alice@example.com is confirmed") {
		t.Fatalf("confirm: %q", got)
	}

	srv := web.New(app.Log, cfg.HTTPLimits, "token", app.ready)
	app.routes(srv)
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	alice, _ := app.Members.LookupMention(ctx, bots.Console, "<@alice>")
	newsletter := func(id string) {
		t.Helper()
		if _, err := app.Lifecycle.Publish(ctx, campaignEvent(id, "newsletter", alice, clk.Now())); err != nil {
			t.Fatal(err)
		}
		if err := app.runCampaigns(ctx, clk.Now()); err != nil {
			t.Fatal(err)
		}
	}
	newsletter("n1")
	msgs = mb.all()
	if len(msgs) != 2 {
		t.Fatalf("%d mails, want the code and the campaign", len(msgs))
	}
	m := msgs[1]
	text, html := parts(t, m)
	unsub := strings.Trim(m.Header.Get("List-Unsubscribe"), "<>")
	if m.Header.Get("Subject") != "Spring news" || !strings.Contains(text, "Hi alice, our spring teas are in.") ||
		!strings.Contains(html, "<p>Hi alice, our spring teas are in.</p>") || !strings.HasPrefix(unsub, "https://bot.lumen.example/unsubscribe/") ||
		m.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" || strings.Contains(out.String(), "spring teas") {
		t.Fatalf("campaign mail: subject %q, unsubscribe %q, post %q\ntext %q\nhtml %q\nchat %q", m.Header.Get("Subject"), unsub,
			m.Header.Get("List-Unsubscribe-Post"), text, html, out.String())
	}
	path := strings.TrimPrefix(unsub, "https://bot.lumen.example")
	// A scanner's GET unsubscribes no one; a forged token is refused; the
	// one-click POST unsubscribes.
	if resp, err := http.Get(hs.URL + path); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %v %v", path, resp, err)
	}
	if resp, err := http.Post(hs.URL+path+"x", "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click")); err != nil || resp.StatusCode != 404 {
		t.Fatalf("forged token: %v %v", resp, err)
	}
	clk.Advance(2 * time.Hour)
	newsletter("n2")
	if n := len(mb.all()); n != 3 {
		t.Fatalf("%d mails after a GET of the link, want 3 (a GET must not unsubscribe)", n)
	}
	resp, err := http.Post(hs.URL+path, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("one-click unsubscribe: %v %v", resp, err)
	}
	clk.Advance(2 * time.Hour)
	newsletter("n3")
	if n := len(mb.all()); n != 3 {
		t.Fatalf("%d mails after unsubscribing, want still 3", n)
	}
	doc, err := app.Community.ExportMember(ctx, alice)
	if err != nil || doc.Member.Email != "alice@example.com" || !doc.Member.EmailOff {
		t.Fatalf("export: %+v %v", doc.Member, err)
	}
	// Guessing: the fifth wrong code voids the code sent.
	sayAs("bob", "/start")
	if got := sayAs("bob", "/email victim@example.com"); !strings.Contains(got, "We sent a code") {
		t.Fatalf("bob /email: %q", got)
	}
	all := mb.all()
	text, _ = parts(t, all[len(all)-1])
	bobCode := regexp.MustCompile(`\b\d{6}\b`).FindString(text)
	right, _ := strconv.Atoi(bobCode)
	for i := range 5 {
		if got := sayAs("bob", fmt.Sprintf("/email confirm %06d", (right+i+1)%1_000_000)); !strings.Contains(got, "wrong or has expired") {
			t.Fatalf("wrong code %d: %q", i, got)
		}
	}
	if got := sayAs("bob", "/email confirm "+bobCode); !strings.Contains(got, "wrong or has expired") {
		t.Fatalf("the right code after five wrong ones: %q, want it void", got)
	}
	// Flooding: three confirmation mails to one address a day, whoever asks.
	for _, u := range []string{"carol", "dave"} {
		sayAs(u, "/start")
		if got := sayAs(u, "/email victim@example.com"); !strings.Contains(got, "We sent a code") {
			t.Fatalf("%s /email: %q", u, got)
		}
	}
	sayAs("erin", "/start")
	if got := sayAs("erin", "/email Victim@Example.com"); !strings.Contains(got, "three codes today") {
		t.Fatalf("a fourth code to the same address: %q", got)
	}
	say("/erase")
	say("/erase confirm")
	if m, err := app.Members.Get(ctx, alice); err != nil || m.Email != "" || m.EmailPending != "" {
		t.Fatalf("after /erase: %+v %v", m, err)
	}
}

func campaignEvent(id, typ string, member uint64, at time.Time) outbox.Event {
	return outbox.Event{Key: "test:" + id, Type: typ, Member: member, At: at}
}
