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

// newVariantRouter has a member command with an owner variant, another
// with a manager variant, and /help.
func newVariantRouter() *bots.Router {
	r := bots.NewRouter()
	r.Catalog().Add(bots.English, map[string]string{
		"t.help": "list commands", "t.erase": "erase your data", "t.erase_member": "erase a member's data",
		"t.shop": "link your shop account", "t.shop_unlink": "unlink a member's shop account",
	})
	r.Catalog().Add(bots.Chinese, map[string]string{
		"t.help": "列出命令", "t.erase": "删除你的数据", "t.erase_member": "删除成员的数据",
		"t.shop": "绑定商城账号", "t.shop_unlink": "解绑成员的商城账号", "arg.member": "成员", "arg.proof": "凭证",
	})
	r.Handle(bots.Command{Name: "help", Help: "t.help", Handler: bots.HandlerFunc(func(_ context.Context, ev *bots.Event) ([]bots.Reply, error) {
		return []bots.Reply{{Text: r.Help(ev)}}, nil
	})})
	r.Handle(bots.Command{
		Name: "erase", Help: "t.erase", Role: bots.RoleMember,
		Args: []bots.Arg{{Name: "member", Kind: bots.ArgMember, Optional: true, Hidden: true}},
		Variants: []bots.Variant{{
			Args: []bots.Arg{{Name: "member", Kind: bots.ArgMember}, {Name: "confirm", Choices: []string{"confirm"}, Optional: true}},
			Help: "t.erase_member", Role: bots.RoleOwner,
		}},
		Handler: echo,
	})
	r.Handle(bots.Command{
		Name: "shop", Help: "t.shop", Role: bots.RoleMember, Args: []bots.Arg{{Name: "proof", Kind: bots.ArgText}},
		Variants: []bots.Variant{{Args: []bots.Arg{bots.Literal("unlink"), {Name: "member", Kind: bots.ArgMember}}, Help: "t.shop_unlink", Role: bots.RoleManager}},
		Handler:  echo,
	})
	return r
}

func TestRouter_Help_Variants(t *testing.T) {
	r := newVariantRouter()
	tests := []struct {
		name   string
		role   bots.Role
		locale string
		want   []string
	}{
		{"member", bots.RoleMember, "en", []string{
			"Here is what I can do:", "/help — list commands", "/erase — erase your data", "/shop <proof> — link your shop account",
		}},
		{"manager", bots.RoleManager, "en", []string{
			"Here is what I can do:", "/help — list commands", "/erase — erase your data", "/shop <proof> — link your shop account",
			"/shop unlink @member — unlink a member's shop account (for managers)",
		}},
		{"owner", bots.RoleOwner, "en", []string{
			"Here is what I can do:", "/help — list commands", "/erase — erase your data",
			"/erase @member [confirm] — erase a member's data (for the owner)",
			"/shop <proof> — link your shop account",
			"/shop unlink @member — unlink a member's shop account (for managers)",
		}},
		{"member_zh", bots.RoleMember, "zh", []string{
			"我可以帮你做这些：", "/help — 列出命令", "/erase — 删除你的数据", "/shop <凭证> — 绑定商城账号",
		}},
		{"owner_zh", bots.RoleOwner, "zh", []string{
			"我可以帮你做这些：", "/help — 列出命令", "/erase — 删除你的数据",
			"/erase @成员 [confirm] — 删除成员的数据（限创建者）",
			"/shop <凭证> — 绑定商城账号",
			"/shop unlink @成员 — 解绑成员的商城账号（限管理员）",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			replies := r.Dispatch(context.Background(), withRole(&bots.Event{Text: "/help", Locale: tt.locale}, tt.role))
			if len(replies) != 1 {
				t.Fatalf("replies %+v", replies)
			}
			if got, want := replies[0].Text, strings.Join(tt.want, "\n"); got != want {
				t.Errorf("/help as %s:\n%s\nwant:\n%s", tt.role, got, want)
			}
		})
	}
}

func TestRouter_Commands_Variants(t *testing.T) {
	r := newVariantRouter()
	count := func(role bots.Role) map[string]int {
		n := map[string]int{}
		for _, c := range r.Commands(role) {
			n[c.Name] = len(c.Variants)
		}
		return n
	}
	if got := count(bots.RoleManager); got["erase"] != 0 || got["shop"] != 1 {
		t.Errorf("a manager's variants %v, want erase 0, shop 1", got)
	}
	if got := count(bots.RoleOwner); got["erase"] != 1 || got["shop"] != 1 { // filtering a copy left the command whole
		t.Errorf("the owner's variants %v, want erase 1, shop 1", got)
	}
}

func TestRouter_Handle_BadVariant(t *testing.T) {
	for name, v := range map[string]bots.Variant{
		"no_help":    {Args: []bots.Arg{bots.Literal("all")}, Role: bots.RoleManager},
		"role_below": {Args: []bots.Arg{bots.Literal("all")}, Help: "help.header", Role: bots.RoleNone},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if p := recover(); p == nil || !strings.Contains(fmt.Sprint(p), "a variant of /list") {
					t.Errorf("panic %v, want one naming /list", p)
				}
			}()
			bots.NewRouter().Handle(bots.Command{Name: "list", Role: bots.RoleMember, Variants: []bots.Variant{v}, Handler: echo})
		})
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
