package bots_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/bots"
)

type mentions map[string]uint64

func (m mentions) LookupMention(_ context.Context, _, s string) (uint64, error) {
	if id, ok := m[s]; ok {
		return id, nil
	}
	return 0, bots.ErrUnknownMember
}

var echo = bots.HandlerFunc(func(_ context.Context, ev *bots.Event) ([]bots.Reply, error) {
	return []bots.Reply{{Text: fmt.Sprintf("%s member=%d amount=%d text=%q", ev.Command, ev.ArgMember("member"), ev.ArgInt("amount"), ev.Arg("reason"))}}, nil
})

func newTestRouter() *bots.Router {
	r := bots.NewRouter(bots.WithMentions(mentions{"@alice": 7}))
	r.Handle(bots.Command{Name: "give", Aliases: []string{"grant"}, Help: "help.header", Role: bots.RoleManager, Args: []bots.Arg{
		{Name: "member", Kind: bots.ArgMember}, {Name: "amount", Kind: bots.ArgInt, Min: 1, Max: 100_000}, {Name: "reason", Kind: bots.ArgText},
	}, Handler: echo})
	r.Handle(bots.Command{Name: "boom", Handler: bots.HandlerFunc(func(context.Context, *bots.Event) ([]bots.Reply, error) { panic("kaboom") })})
	r.Handle(bots.Command{Name: "slow", Handler: bots.HandlerFunc(func(ctx context.Context, _ *bots.Event) ([]bots.Reply, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})})
	r.Handle(bots.Command{Name: "lang", Args: []bots.Arg{{Name: "locale", Choices: []string{"en", "zh"}}}, Handler: echo})
	return r
}

func TestRouter_Dispatch(t *testing.T) {
	r := newTestRouter()
	r.Use(bots.Recover(slog.New(slog.DiscardHandler)))
	tests := []struct {
		name, text string
		role       bots.Role
		locale     string
		want       string
	}{
		{"ok", "/give @alice 50 welcome gift", bots.RoleManager, "en", `give member=7 amount=50 text="welcome gift"`},
		{"alias_and_botname", "/GRANT@loyalbot @alice 5 x", bots.RoleOwner, "en", `give member=7 amount=5 text="x"`},
		{"other_bot", "/give@otherbot @alice 5 x", bots.RoleOwner, "en", ""},
		{"forbidden", "/give @alice 5 x", bots.RoleMember, "en", "Sorry, /give is for managers and above."},
		{"forbidden_zh", "/give @alice 5 x", bots.RoleMember, "zh", "抱歉，/give 仅限管理员及以上使用。"},
		{"unknown_command", "/nope", bots.RoleMember, "en", "I don't know /nope. Send /help to see what I can do."},
		{"missing_arg", "/give @alice", bots.RoleManager, "en", "/give needs <amount>. Usage: /give @member <amount> <reason>"},
		{"bad_number", "/give @alice lots x", bots.RoleManager, "en", `<amount> must be a whole number, not "lots".`},
		{"negative", "/give @alice -5 x", bots.RoleManager, "en", "<amount> must be between 1 and 100000."},
		{"overflow", "/give @alice 99999999999999999999 x", bots.RoleManager, "en", "must be a whole number"},
		{"not_a_mention", "/give alice 5 x", bots.RoleManager, "en", "<member> must mention a member, like @alice."},
		{"unknown_member", "/give @bob 5 x", bots.RoleManager, "en", "I don't know @bob yet."},
		{"bad_choice", "/lang fr", bots.RoleMember, "en", "<locale> must be one of: en | zh."},
		{"choice_case", "/lang ZH", bots.RoleMember, "en", "lang"},
		{"too_many", "/lang en zh", bots.RoleMember, "en", "Too many arguments."},
		{"unclosed_quote", `/give @alice 5 "x`, bots.RoleManager, "en", "A quote is not closed."},
		{"panic", "/boom", bots.RoleMember, "zh", "抱歉，系统出了点问题"},
		{"plain_text_no_handler", "hello", bots.RoleMember, "en", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := &bots.Event{Text: tt.text, PlatformRole: tt.role, Locale: tt.locale, BotUsername: "loyalbot"}
			r := r
			replies := r.Dispatch(context.Background(), withRole(ev, tt.role))
			got := ""
			if len(replies) > 0 {
				got = replies[0].Text
			}
			if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
				t.Errorf("%q → %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

// withRole gives the event a role the way Identify would.
func withRole(ev *bots.Event, role bots.Role) *bots.Event {
	ev.PlatformRole = role
	ev.Role = role
	return ev
}

func TestRouter_Timeout(t *testing.T) {
	r := bots.NewRouter(bots.WithTimeout(10 * time.Millisecond))
	r.Handle(bots.Command{Name: "slow", Handler: bots.HandlerFunc(func(ctx context.Context, _ *bots.Event) ([]bots.Reply, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})})
	got := r.Dispatch(context.Background(), &bots.Event{Text: "/slow"})
	if len(got) != 1 || !strings.Contains(got[0].Text, "took too long") {
		t.Errorf("timeout reply %+v", got)
	}
}

func TestRouter_Handle_Duplicate(t *testing.T) {
	r := newTestRouter()
	defer func() {
		if p := recover(); p == nil || !strings.Contains(fmt.Sprint(p), "/grant registered twice") {
			t.Errorf("duplicate alias: panic %v", p)
		}
	}()
	r.Handle(bots.Command{Name: "grant", Handler: echo})
}

func TestRateLimit(t *testing.T) {
	now := time.Unix(0, 0)
	r := newTestRouter()
	r.Use(bots.RateLimit(3, time.Second, func() time.Time { return now }))
	send := func() string {
		got := r.Dispatch(context.Background(), withRole(&bots.Event{Text: "/lang en", Platform: "console", UserID: "a"}, bots.RoleMember))
		if len(got) == 0 {
			return ""
		}
		return got[0].Text
	}
	for i := range 3 {
		if got := send(); !strings.HasPrefix(got, "lang") {
			t.Fatalf("command %d: %q", i, got)
		}
	}
	if got := send(); !strings.Contains(got, "too fast") {
		t.Errorf("4th command: %q, want a warning", got)
	}
	if got := send(); got != "" {
		t.Errorf("5th command: %q, want silence", got)
	}
	now = now.Add(time.Second)
	if got := send(); !strings.HasPrefix(got, "lang") {
		t.Errorf("after refill: %q", got)
	}
}

func TestCatalog_Complete(t *testing.T) {
	if m := bots.NewCatalog().Missing(); len(m) > 0 {
		t.Errorf("untranslated messages: %v", m)
	}
}

func BenchmarkRouterDispatch(b *testing.B) {
	r := newTestRouter()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		r.Dispatch(ctx, withRole(&bots.Event{Text: "/give @alice 50 welcome gift"}, bots.RoleManager))
	}
}

func TestArgs_TextIsBoundedAndClean(t *testing.T) {
	r := bots.NewRouter()
	var got string
	r.Handle(bots.Command{Name: "note", Role: bots.RoleNone, Args: []bots.Arg{{Name: "reason", Kind: bots.ArgText}},
		Handler: bots.HandlerFunc(func(_ context.Context, ev *bots.Event) ([]bots.Reply, error) { got = ev.Arg("reason"); return nil, nil })})
	for _, tc := range []struct {
		in, want, reply string
	}{
		{"/note fine", "fine", ""},
		{"/note evil\u202Etxt.exe \x07bell \xff", "eviltxt.exe bell", ""},
		{"/note " + strings.Repeat("字", bots.MaxText), strings.Repeat("字", bots.MaxText), ""},
		{"/note " + strings.Repeat("a", bots.MaxText+1), "", "at most 500 characters"},
	} {
		got = ""
		rs := r.Dispatch(context.Background(), &bots.Event{ID: "x", Platform: "console", Text: tc.in})
		if got != tc.want {
			t.Errorf("%.20q: reason %.30q, want %.30q", tc.in, got, tc.want)
		}
		if tc.reply != "" && (len(rs) != 1 || !strings.Contains(rs[0].Text, tc.reply)) {
			t.Errorf("%.20q: replies %v, want %q", tc.in, rs, tc.reply)
		}
	}
}

func TestRouter_Order(t *testing.T) {
	r := bots.NewRouter()
	for _, n := range []string{"c", "a", "d", "b"} {
		r.Handle(bots.Command{Name: n, Aliases: []string{n + n}, Handler: echo})
	}
	r.Order("b", "aa", "zzz", "b")
	var got []string
	for _, c := range r.Commands(bots.RoleOwner) {
		got = append(got, c.Name)
	}
	if strings.Join(got, ",") != "b,a,c,d" {
		t.Errorf("order %v, want b,a (named, aliases count), then c,d as registered", got)
	}
}

func TestThousands(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{{0, "0"}, {999, "999"}, {1000, "1,000"}, {-12345, "-12,345"}, {1234567, "1,234,567"}} {
		if got := bots.Thousands(tc.n); got != tc.want {
			t.Errorf("Thousands(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
