package bots_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/loyalbot/loyalbot/bots"
)

func TestTokenize(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		bad  bool
	}{
		{"", nil, false},
		{"a b  c", []string{"a", "b", "c"}, false},
		{`@alice 50 "welcome gift"`, []string{"@alice", "50", "welcome gift"}, false},
		{`say "a \"quoted\" word"`, []string{"say", `a "quoted" word`}, false},
		{"'single quotes' ok", []string{"single quotes", "ok"}, false},
		{"“中文 引号” 好", []string{"中文 引号", "好"}, false},
		{`don't`, []string{"don't"}, false},
		{`"unclosed`, nil, true},
		{"tab\tand\nnewline", []string{"tab", "and", "newline"}, false},
	}
	for _, tt := range tests {
		got, err := bots.Tokenize(tt.in)
		if (err != nil) != tt.bad || !slices.Equal(got, tt.want) {
			t.Errorf("Tokenize(%q) = %q, %v; want %q (error %v)", tt.in, got, err, tt.want, tt.bad)
		}
	}
}

func TestParseCommand(t *testing.T) {
	tests := []struct {
		in, name, bot, rest string
		ok                  bool
	}{
		{"/points", "points", "", "", true},
		{"/Points@LoyalBot extra  words", "points", "LoyalBot", "extra  words", true},
		{"  /give @bob 5 x", "give", "", "@bob 5 x", true},
		{"/give\n@bob", "give", "", "@bob", true},
		{"hello /points", "", "", "", false},
		{"/", "", "", "", false},
		{"/@bot", "", "", "", false},
	}
	for _, tt := range tests {
		name, bot, rest, ok := bots.ParseCommand(tt.in)
		if name != tt.name || bot != tt.bot || rest != tt.rest || ok != tt.ok {
			t.Errorf("ParseCommand(%q) = %q %q %q %v; want %q %q %q %v", tt.in, name, bot, rest, ok, tt.name, tt.bot, tt.rest, tt.ok)
		}
	}
}

// FuzzDispatch feeds arbitrary command lines through argument parsing: the
// router must answer every one without panicking, and never with an
// internal error.
func FuzzDispatch(f *testing.F) {
	for _, s := range []string{"/give @alice 50 welcome", `/give "@bob" -5 "x y"`, "/give @nobody 1e9 z", "/give", `/give @alice 99999999999999999999 x`, "/lb week", "/lb\x00", "/give “@alice” 5 好"} {
		f.Add(s)
	}
	r := bots.NewRouter(bots.WithMentions(mentions{"@alice": 1}))
	r.Handle(bots.Command{Name: "give", Role: bots.RoleNone, Args: []bots.Arg{
		{Name: "member", Kind: bots.ArgMember}, {Name: "amount", Kind: bots.ArgInt, Min: 1, Max: 1_000_000}, {Name: "reason", Kind: bots.ArgText},
	}, Handler: echo})
	r.Handle(bots.Command{Name: "lb", Args: []bots.Arg{{Name: "period", Choices: []string{"week", "all"}, Optional: true}}, Handler: echo})
	f.Fuzz(func(t *testing.T, line string) {
		replies := r.Dispatch(context.Background(), &bots.Event{Text: line})
		for _, rep := range replies {
			if strings.Contains(rep.Text, "went wrong") {
				t.Fatalf("%q: internal error %q", line, rep.Text)
			}
		}
	})
}
