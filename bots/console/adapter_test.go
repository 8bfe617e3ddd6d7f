package console_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/bots/console"
)

// recorder is a Dispatcher that records events and answers with one reply.
type recorder struct{ events []*bots.Event }

func (r *recorder) Dispatch(_ context.Context, ev *bots.Event) []bots.Reply {
	r.events = append(r.events, ev)
	return []bots.Reply{{Text: "got " + ev.Text + "\nsecond line", Buttons: [][]bots.Button{{{Label: "OK", Data: "/ok"}}}}}
}

func TestAdapter_Run(t *testing.T) {
	in := strings.NewReader("alice> /points\nplain text\ndm bob> secret\n\n# a comment\n!join spring\n!leave\n")
	var out bytes.Buffer
	rec := &recorder{}
	a := console.New(in, &out)
	if err := a.Run(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		user, chat, text, invite string
		kind                     bots.EventKind
		private                  bool
	}{
		{"alice", console.GroupChat, "/points", "", bots.EventMessage, false},
		{"alice", console.GroupChat, "plain text", "", bots.EventMessage, false},
		{"bob", "dm:bob", "secret", "", bots.EventMessage, true},
		{"bob", console.GroupChat, "", "spring", bots.EventJoin, false},
		{"bob", console.GroupChat, "", "", bots.EventLeave, false},
	}
	if len(rec.events) != len(tests) {
		t.Fatalf("%d events, want %d", len(rec.events), len(tests))
	}
	ids := map[string]bool{}
	for i, tt := range tests {
		ev := rec.events[i]
		if ev.UserID != tt.user || ev.ChatID != tt.chat || ev.Text != tt.text || ev.Kind != tt.kind || ev.Invite != tt.invite || ev.Private() != tt.private || ev.Platform != bots.Console {
			t.Errorf("event %d = %+v, want %+v", i, ev, tt)
		}
		if ids[ev.ID] {
			t.Errorf("event id %s reused", ev.ID)
		}
		ids[ev.ID] = true
	}
	want := "alice> /points\nbot> got /points\n     second line\n     [OK: /ok]\n"
	if !strings.HasPrefix(out.String(), want) {
		t.Errorf("output starts\n%s\nwant\n%s", out.String(), want)
	}
	if !strings.Contains(out.String(), "dm bob> secret\nbot> got secret") {
		t.Errorf("private line not echoed as dm:\n%s", out.String())
	}
}

func TestAdapter_Send(t *testing.T) {
	var out bytes.Buffer
	a := console.New(strings.NewReader(""), &out)
	if err := a.Send(context.Background(), bots.Address{UserID: "carol"}, bots.Reply{Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "bot> (to carol, privately) hi\n" {
		t.Errorf("Send printed %q", got)
	}
}

// Event ids differ between runs, so idempotency keys derived from them
// never collide with an earlier session's.
func TestAdapter_IDsDifferAcrossRuns(t *testing.T) {
	var first, second recorder
	console.New(strings.NewReader("/x\n"), &bytes.Buffer{}).Run(context.Background(), &first)
	console.New(strings.NewReader("/x\n"), &bytes.Buffer{}).Run(context.Background(), &second)
	if first.events[0].ID == second.events[0].ID {
		t.Errorf("both runs used event id %s", first.events[0].ID)
	}
}

// TestAdapter_LongLine is the regression test for a line over 1 MiB ending
// the shell: it is refused and the next line is read.
func TestAdapter_LongLine(t *testing.T) {
	in := strings.NewReader("alice> " + strings.Repeat("x", console.MaxLine+10) + "\nalice> after\n")
	var out bytes.Buffer
	rec := &recorder{}
	if err := console.New(in, &out).Run(context.Background(), rec); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(rec.events) != 1 || rec.events[0].Text != "after" {
		t.Errorf("events %d (%v), want only the line after the long one", len(rec.events), rec.events)
	}
	if !strings.Contains(out.String(), "console: console.too_long") && !strings.Contains(out.String(), "KiB") {
		t.Errorf("no notice for the long line:\n%.200s", out.String())
	}
}

// TestAdapter_BadSpeaker is the regression test for "😀> /start" being
// sent as the current user's text.
func TestAdapter_BadSpeaker(t *testing.T) {
	var out bytes.Buffer
	rec := &recorder{}
	a := console.New(nil, &out)
	r := bots.NewRouter()
	a.Handle(context.Background(), rec, "alice> hi")
	a.Handle(context.Background(), r, "😀> /start")
	if len(rec.events) != 1 || a.User() != "alice" {
		t.Errorf("events %v, user %s", rec.events, a.User())
	}
	if !strings.Contains(out.String(), "console: a name before \">\" may only hold letters") {
		t.Errorf("no notice for the bad name:\n%s", out.String())
	}
	a.Handle(context.Background(), rec, "小明> 你好") // letters of any script are names
	if a.User() != "小明" {
		t.Errorf("user %q after 小明>", a.User())
	}
}
