package community_test

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/community"
	"github.com/loyalbot/loyalbot/community/communitytest"
	"github.com/loyalbot/loyalbot/loyalty"
)

func TestCommunity_FirstRun(t *testing.T) {
	h := newHarness(t, community.DefaultConfig())
	h.expect("alice> /start", "Welcome, alice!", "100 points", "/checkin")
	h.expect("alice> /checkin", "+10 points", "streak: 1", "Balance: 110")
	h.expect("admin> /give @alice 50 welcome", "Gave 50 points to alice (welcome)", "Their balance: 160")
	h.expect("alice> /points", "Balance: 160 points", "Tier: Leaf", "840 more points to reach Bud", "160 points expire on 2027-03-10")
	h.expect("alice> /give @bob 5 x", "Sorry, /give is for managers and above.")
	h.expect("alice> /checkin", "already checked in today", "14h 30m", "00:00 UTC")
	h.expect("alice> /redeem mug", "Mug costs 300 points — you are 140 points short.")
	h.wantBalance("alice", 160)
	h.expect("alice> /start", "Welcome back, alice!") // the bonus is paid once
	h.wantBalance("alice", 160)
}

func TestCommunity_Chinese(t *testing.T) {
	h := newHarness(t, community.DefaultConfig())
	h.expect("alice> /lang zh", "之后我会用中文")
	h.expect("alice> /checkin", "签到成功！+10 积分")
	h.expect("alice> /points", "余额：110 积分", "等级：青叶", "再获得 890 积分即可升级到新芽")
	h.expect("alice> /redeem mug", "马克杯 需要 300 积分，你还差 190 积分")
	h.expect("alice> /give @bob 1 x", "抱歉，/give 仅限管理员及以上使用。")
	h.expect("alice> /lang en", "speak English")
}

func TestCommunity_Checkin_Streak(t *testing.T) {
	h := newHarness(t, communitytest.Config(func(c *community.Config) { c.StreakDays = 3; c.StreakBonus = 25 }))
	h.expect("alice> /checkin", "streak: 1", "2 more days in a row for a streak bonus of 25 points")
	h.clock.Advance(24 * time.Hour)
	h.expect("alice> /checkin", "streak: 2")
	h.clock.Advance(24 * time.Hour)
	h.expect("alice> /checkin", "streak: 3", "3 days in a row! Streak bonus: +25 points")
	h.wantBalance("alice", 100+30+25)
	h.clock.Advance(48 * time.Hour) // a day missed
	h.expect("alice> /checkin", "streak: 1")
}

func TestCommunity_Checkin_Concurrent(t *testing.T) {
	h := newHarness(t, community.DefaultConfig())
	h.send("alice> /start")
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.console.Handle(context.Background(), h.router, "alice> /checkin")
		}()
	}
	wg.Wait()
	h.wantBalance("alice", 110)
}

func TestCommunity_Redeem(t *testing.T) {
	h := newHarness(t, community.DefaultConfig())
	h.send("alice> /start")
	h.send("admin> /give @alice 400 prize")
	got := h.expect("alice> /redeem mug", "Redeem Mug for 300 points? You have 500 points available.", "[Confirm: /redeem mug confirm ")
	confirm := regexp.MustCompile(`/redeem mug confirm [0-9a-f]+`).FindString(got)
	h.expect("alice> "+confirm, "Redeemed Mug!", "Balance: 200 points")
	h.expect("alice> "+confirm, "You already redeemed Mug with this button") // a double press pays once
	h.wantBalance("alice", 200)
	h.expect("bob> /redeem mug confirm", "Mug is out of stock")
	h.expect("alice> /redeem car", `There is no reward called "car"`)
	h.expect("alice> /redeem sticker cancel", "nothing redeemed")
	list := h.expect("admin> /redemptions", "Pending redemptions (1)", "alice", "mug")
	code := regexp.MustCompile(`/cancel ([A-Z2-9]{8})`).FindStringSubmatch(list)[1]
	h.expect("admin> /cancel "+code+" wrong colour", "cancelled and 300 points refunded",
		"(to alice, privately) Your redemption "+code[:4]+"-"+code[4:]+" was cancelled and 300 points went back to your balance. wrong colour")
	h.wantBalance("alice", 500)
	h.expect("admin> /cancel "+code, "was already cancelled")
	h.expect("admin> /fulfil "+code, "is already closed")
	h.expect("admin> /fulfil NOPE1234", "There is no redemption with code NOPE1234")
	h.expect("alice> /redemptions", "managers and above")
	// Fulfilling tells the member, once.
	h.send("admin> /restock") // unknown command: nothing changes
	h.expect("alice> /redeem sticker confirm", "Redeemed Sticker!")
	code = regexp.MustCompile(`/fulfil ([A-Z2-9]{8})`).FindStringSubmatch(h.send("admin> /redemptions"))[1]
	h.expect("admin> /fulfil "+strings.ToLower(code)+" posted today", "marked as handed out", "(to alice, privately) 📦 Your reward", "posted today")
	h.expect("admin> /fulfil "+code, "was already handed out")
	h.expect("admin> /cancel "+code, "is already closed")
}

func TestCommunity_Admin_BadInput(t *testing.T) {
	h := newHarness(t, community.DefaultConfig())
	h.send("alice> /start")
	tests := []struct{ line, want string }{
		{"admin> /give", "/give needs <member>"},
		{"admin> /give @alice", "/give needs <amount>"},
		{"admin> /give @alice 10", "/give needs <reason>"},
		{"admin> /give @alice ten x", "must be a whole number"},
		{"admin> /give @alice -5 x", "must be between 1 and 1000000"},
		{"admin> /give @alice 0 x", "must be between 1 and 1000000"},
		{"admin> /give @alice 99999999999999999999 x", "must be a whole number"},
		{"admin> /give alice 5 x", "must mention a member"},
		{"admin> /give @nobody 5 x", "I don't know @nobody yet"},
		{"admin> /take @alice 101 x", "alice has only 100 points available"},
		{"admin> /role @alice owner", "<role> must be one of: member | ambassador | manager"},
		{"admin> /role @admin member", "can't change your own role"},
		{"admin> /history 0", "must be between 1 and 1000"},
		{"admin> /leaderboard year", "must be one of: week | month | all"},
		{`admin> /give @alice 5 "unclosed`, "A quote is not closed"},
		{"admin> /frobnicate", "I don't know /frobnicate"},
	}
	for _, tt := range tests {
		h.expect(tt.line, tt.want)
	}
	h.wantBalance("alice", 100)
	if err := h.ledger.Verify(context.Background()); err != nil {
		t.Error(err)
	}
}

func TestCommunity_Roles(t *testing.T) {
	h := newHarness(t, community.DefaultConfig())
	for _, u := range []string{"alice", "bob", "carol"} {
		h.send(u + "> /start")
	}
	h.expect("admin> /role @alice manager", "alice is now a manager.")
	h.expect("alice> /give @bob 5 thanks", "Gave 5 points to bob")
	h.expect("alice> /role @bob ambassador", "bob is now an ambassador.")
	h.expect("alice> /role @carol manager", "Only the owner can appoint")
	h.expect("bob> /role @carol ambassador", "/role is for managers and above")
	h.expect("alice> /role @admin member", "Only the owner can appoint")
	h.expect("admin> /role @alice member", "alice is now a member.")
	h.expect("alice> /give @bob 5 thanks", "/give is for managers and above")
	// A platform administrator counts as a manager only in a brand chat.
	adminGive := func(id string) []bots.Reply {
		return h.router.Dispatch(context.Background(), &bots.Event{ID: id, Platform: bots.Console, ChatID: "group", UserID: "carol", Name: "carol",
			Text: "/give @bob 7 from a group admin", PlatformRole: bots.RoleManager})
	}
	if replies := adminGive("t:1"); len(replies) == 0 || !strings.Contains(replies[0].Text, "/give is for managers") {
		t.Errorf("platform admin of a chat that is not the brand's: %+v", replies)
	}
	h.expect("alice> /setup", "/setup is for the owner")
	h.expect("admin> /setup", "This chat now belongs to the community")
	if replies := adminGive("t:2"); len(replies) == 0 || !strings.Contains(replies[0].Text, "Gave 7 points to bob") {
		t.Errorf("platform admin /give in a brand chat: %+v", replies)
	}
	h.wantBalance("bob", 112)
	h.expect("admin> /setup off", "no longer belongs to the community")
	if replies := adminGive("t:3"); len(replies) == 0 || !strings.Contains(replies[0].Text, "/give is for managers") {
		t.Errorf("platform admin after /setup off: %+v", replies)
	}
	h.expect("dm admin> /setup", "No chat belongs to the community yet")
	h.expect("admin> /audit", "/setup", "/role", "/give")
}

// TestCommunity_Help_Variants checks that /help lists the managers' and
// the owner's variants of member commands (/shop unlink, /erase @member,
// ...) to those roles only, in English and Chinese.
func TestCommunity_Help_Variants(t *testing.T) {
	manager := map[string][]string{
		bots.English: {
			"/broadcast --segment <segment> <text> — message the members of one customer segment privately; /segments lists them (for managers)",
			"/submissions [pending|approved|rejected] [@member] [platform] — everyone's submissions, by status, member or platform (for managers)",
			"/referrals rejected — referrals rejected across the community, and why (for managers)",
			"/ambassador approve|reject [@member] — open ambassador applications, or approve or reject one (for managers)",
			"/shop unlink @member — unlink a member's shop account and take back the points its orders earned (for managers)",
		},
		bots.Chinese: {
			"/broadcast --segment <分群> <内容> — 私信发送给某个客户分群的成员，分群见 /segments（限管理员）",
			"/submissions [pending|approved|rejected] [@成员] [平台] — 所有成员提交的内容，可按状态、成员或平台筛选（限管理员）",
			"/referrals rejected — 全社区被拒绝的邀请及原因（限管理员）",
			"/ambassador approve|reject [@成员] — 查看待处理的大使申请，或通过、拒绝某人的申请（限管理员）",
			"/shop unlink @成员 — 解绑成员的商城账号，并收回其订单所得的积分（限管理员）",
		},
	}
	owner := map[string]string{
		bots.English: "/erase @member [confirm] — erase a member's data, on their request (for the owner)",
		bots.Chinese: "/erase @成员 [confirm] — 应成员请求删除其数据（限创建者）",
	}
	marked := map[string]*regexp.Regexp{ // how a variant line ends
		bots.English: regexp.MustCompile(`\(for (managers|the owner)\)$`),
		bots.Chinese: regexp.MustCompile(`（限(管理员|创建者)）$`),
	}
	h := newHarness(t, community.DefaultConfig())
	for _, u := range []string{"alice", "bob"} {
		h.send(u + "> /start")
	}
	h.expect("admin> /role @bob manager", "bob is now a manager.")
	for _, locale := range bots.Locales() {
		for _, u := range []string{"alice", "bob", "admin"} {
			h.send(u + "> /lang " + locale)
		}
		help := func(who string) []string { // the /help lines that are variants
			var out []string
			for _, l := range strings.Split(h.send(who+"> /help"), "\n") {
				if l = strings.TrimSpace(l); marked[locale].MatchString(l) {
					out = append(out, l)
				}
			}
			return out
		}
		t.Run(locale, func(t *testing.T) {
			if got := help("alice"); len(got) != 0 {
				t.Errorf("a member's /help lists the variants %q", got)
			}
			if got := h.send("alice> /help"); strings.Contains(got, "/shop unlink") || strings.Contains(got, "/erase @") || strings.Contains(got, "--segment") {
				t.Errorf("a member's /help shows a manager's use:\n%s", got)
			}
			if got, want := help("bob"), manager[locale]; !slices.Equal(got, want) {
				t.Errorf("a manager's /help variants:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			want := append([]string{owner[locale]}, manager[locale]...) // /erase comes first in helpOrder
			got := help("admin")
			if !slices.Equal(got, want) {
				t.Errorf("the owner's /help variants:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if locale != bots.Chinese {
				return
			}
			for _, l := range got { // only what must be typed as is (commands, keywords) stays Latin
				_, desc, _ := strings.Cut(l, " — ")
				if latin := regexp.MustCompile(`[A-Za-z]`); latin.MatchString(regexp.MustCompile(`/[a-z-]+`).ReplaceAllString(desc, "")) {
					t.Errorf("English in a Chinese help line: %s", l)
				}
			}
		})
	}
}

func TestCommunity_MessagePoints(t *testing.T) {
	h := newHarness(t, community.DefaultConfig())
	h.send("alice> /start")
	h.send("alice> hello everyone!") // +1
	h.send("alice> another message") // cooldown
	h.clock.Advance(61 * time.Second)
	h.send("alice> hi")              // too short
	h.send("alice> hello everyone!") // repeats the last paid text
	h.send("alice> HELLO   everyone!")
	h.send("alice> something new") // +1
	h.clock.Advance(61 * time.Second)
	h.send("dm alice> private chat does not earn")
	h.wantBalance("alice", 102)
	// A redelivered update (same event id) pays once.
	ev := func() *bots.Event {
		return &bots.Event{ID: "telegram:42", Platform: bots.Console, ChatID: "group", UserID: "alice", Text: "redelivered message"}
	}
	h.clock.Advance(61 * time.Second)
	h.router.Dispatch(context.Background(), ev())
	h.clock.Advance(61 * time.Second)
	h.router.Dispatch(context.Background(), ev())
	h.wantBalance("alice", 103)
}

func TestCommunity_Link(t *testing.T) {
	h := newHarness(t, community.DefaultConfig())
	h.send("alice> /start")
	h.send("admin> /give @alice 40 x")
	got := h.expect("alice> /link", "Your link code is")
	code := regexp.MustCompile(`code is ([A-Z2-9]{6})`).FindStringSubmatch(got)[1]
	// alice's Telegram account: a separate member until linked.
	tg := func(text string) string {
		rs := h.router.Dispatch(context.Background(), &bots.Event{ID: "telegram:" + text, Platform: bots.Telegram, ChatID: "9", Chat: bots.ChatPrivate,
			UserID: "555", Name: "Alice TG", Text: text})
		var s []string
		for _, r := range rs {
			s = append(s, r.Text)
		}
		return strings.Join(s, "\n")
	}
	if got := tg("/start"); !strings.Contains(got, "100 points") {
		t.Fatalf("telegram /start: %s", got)
	}
	if got := tg("/link WRONG1"); !strings.Contains(got, "unknown, used or expired") {
		t.Errorf("bad code: %s", got)
	}
	// One person, one signup bonus: the Telegram account's goes back.
	if got := tg("/link " + strings.ToLower(code)); !strings.Contains(got, "Linked! alice now uses one wallet on: console, telegram. Balance: 140 points.") {
		t.Fatalf("link: %s", got)
	}
	if got := tg("/points"); !strings.Contains(got, "Balance: 140 points") {
		t.Errorf("points from telegram after link: %s", got)
	}
	h.wantBalance("alice", 140)
	if got := tg("/link " + code); !strings.Contains(got, "unknown, used or expired") {
		t.Errorf("code reused: %s", got)
	}
	// Codes expire.
	got = h.send("alice> /link")
	code = regexp.MustCompile(`code is ([A-Z2-9]{6})`).FindStringSubmatch(got)[1]
	h.clock.Advance(11 * time.Minute)
	h.expect("bob> /link "+code, "unknown, used or expired")
}

func TestCommunity_HistoryAndLeaderboard(t *testing.T) {
	h := newHarness(t, community.DefaultConfig())
	h.send("alice> /start")
	h.send("bob> /start")
	for i := range 12 {
		h.clock.Advance(24 * time.Hour)
		h.send("alice> /checkin")
		if i%2 == 0 {
			h.send("bob> /checkin")
		}
	}
	h.expect("alice> /history", "page 1", "+10  check-in", "More: /history 2")
	h.expect("alice> /history 2", "page 2", "+100  signup bonus")
	h.expect("alice> /history 3", "Your history has 2 pages: /history 1 to /history 2.")
	h.expect("alice> /history 99", "Your history has 2 pages")
	h.expect("alice> /leaderboard all", "🥇 alice — 270 points", "🥈 bob — 160 points")
	h.expect("alice> /leaderboard week", "🥇 alice")
}

func TestCommunity_JoinWelcome(t *testing.T) {
	h := newHarness(t, community.DefaultConfig())
	h.expect("dave> !join spring-invite", "Welcome to the community, dave!", "100 points")
	h.expect("dave> !leave")
	h.expect("dave> !join", "Welcome back, dave!")
	h.wantBalance("dave", 100)
	id, _ := h.members.LookupMention(context.Background(), bots.Console, "@dave")
	m, _ := h.members.Get(context.Background(), id)
	if m.Invite != "spring-invite" {
		t.Errorf("invite %q", m.Invite)
	}
}

func TestCommunity_TierUp(t *testing.T) {
	h := newHarness(t, community.DefaultConfig())
	h.send("alice> /start")
	h.send("admin> /give @alice 890 contest")
	h.expect("alice> /checkin", "You reached the Bud tier!", "10% bonus")
	h.clock.Advance(24 * time.Hour)
	h.expect("alice> /checkin", "+11 points") // Bud earns 1.1×
}

// TestMessages_Complete wires every feature — the ambassador programme,
// the shop and customer service included — and checks that each message
// has both languages.
func TestMessages_Complete(t *testing.T) {
	h := limitedHarness(t, 1000, community.DefaultConfig()) // with customer service
	cat := h.router.Catalog()
	for _, key := range []string{"support.dont_know", "shop.unknown", "submit.bad_url", "notify.give", "checkin.ok"} {
		if !cat.Has(bots.Chinese, key) {
			t.Errorf("%s is not wired into the catalogue", key)
		}
	}
	if m := cat.Missing(); len(m) > 0 {
		t.Errorf("untranslated messages: %v", m)
	}
	// Every help line /help can show, and every argument name in it, has
	// both languages: a key the catalogue lacks would be shown as the key.
	has := func(key string) {
		for _, locale := range bots.Locales() {
			if !cat.Has(locale, key) {
				t.Errorf("%s lacks %s", locale, key)
			}
		}
	}
	args := func(as []bots.Arg) {
		for _, a := range as {
			if !a.Hidden && len(a.Choices) == 0 {
				has("arg." + a.Name)
			}
		}
	}
	for _, c := range h.router.Commands(bots.RoleOwner) {
		has(c.Help)
		args(c.Args)
		for _, v := range c.Variants {
			has(v.Help)
			args(v.Args)
		}
	}
}

func BenchmarkRouterPoints(b *testing.B) {
	h := newHarness(b, community.DefaultConfig())
	h.send("alice> /start")
	ctx := context.Background()
	b.ReportAllocs()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			ev := &bots.Event{ID: "bench", Platform: bots.Console, ChatID: "group", UserID: "alice", Name: "alice", Text: "/points"}
			if rs := h.router.Dispatch(ctx, ev); len(rs) != 1 || !strings.Contains(rs[0].Text, "Balance: 100") {
				b.Fatalf("replies %+v", rs)
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "commands/s")
}

var _ = loyalty.Member

func TestCommunity_ExportErase(t *testing.T) {
	h := newHarness(t, community.DefaultConfig())
	h.send("alice> /start")
	h.send("alice> /checkin")
	got := h.expect("alice> /export", "(to alice, privately) Here is everything", `"name": "alice"`, `"key": "signup:1"`, `"balance": 110`)
	if !strings.Contains(got, `"platform": "console"`) {
		t.Errorf("export lacks the identity: %s", got)
	}
	h.expect("alice> /erase", "cannot be undone", "[Erase my data: /erase confirm]")
	h.wantBalance("alice", 110)
	h.expect("alice> /erase confirm", "Your data has been erased")
	if _, err := h.members.LookupMention(context.Background(), bots.Console, "@alice"); err == nil {
		t.Error("@alice still resolves after erasure")
	}
	m, err := h.members.Get(context.Background(), 1)
	if err != nil || m.Name != "" || len(m.Identities) != 0 || m.Erased.IsZero() {
		t.Errorf("member after erasure: %+v %v", m, err)
	}
	b, _ := h.ledger.Balance(context.Background(), loyalty.Member(1))
	if b.Balance != 0 {
		t.Errorf("erased member keeps %d points", b.Balance)
	}
	// Coming back is a fresh start, without a second signup bonus.
	h.expect("alice> /points", "Balance: 0 points")
}
