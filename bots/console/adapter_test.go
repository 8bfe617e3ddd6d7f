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
