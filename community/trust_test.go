package community_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/bots/console"
	"github.com/loyalbot/loyalbot/community"
	"github.com/loyalbot/loyalbot/community/communitytest"
	"github.com/loyalbot/loyalbot/community/support"
	"github.com/loyalbot/loyalbot/loyalty"
	"github.com/loyalbot/loyalbot/loyalty/orders"
)

// harnessOn drives stack st through a console adapter.
func harnessOn(t testing.TB, st *communitytest.Stack) *harness {
	t.Helper()
	var out bytes.Buffer
	a := console.New(nil, &out, console.WithClock(st.Clock.Now))
	st.Hub.Add(a)
	return &harness{t: t, clock: st.Clock, ledger: st.Ledger, members: st.Members, router: st.Router, console: a, out: &out, ugc: st.UGC, stack: st}
}

// limitedHarness is a community with a daily limit per manager and
// customer service (tickets), where alice is a manager.
func limitedHarness(t testing.TB, limit int64, cfg community.Config) *harness {
	t.Helper()
	st := communitytest.NewWith(t, cfg, []string{"console:admin"}, func(st *communitytest.Stack) []community.Option {
		tickets := st.OpenTickets(t)
		data, err := os.ReadFile("support/testdata/lumen-tea.yaml")
		if err != nil {
			t.Fatal(err)
		}
		kb, err := support.LoadKB(data)
		if err != nil {
			t.Fatal(err)
		}
		return []community.Option{community.WithLimits(community.Limits{ManagerDailyPoints: limit}),
			community.WithSupport(support.NewAssistant(kb, nil, support.Config{}, nil), tickets)}
	})
	h := harnessOn(t, st)
	for _, u := range []string{"alice", "bob", "carol"} {
		h.send(u + "> /start")
	}
	h.expect("admin> /role @alice manager", "alice is now a manager")
	return h
}

// TestAdjust_ManagersCannotPayThemselves is the regression test for a
// manager's /give @me.
func TestAdjust_ManagersCannotPayThemselves(t *testing.T) {
	h := limitedHarness(t, 10_000, communitytest.Config(func(c *community.Config) { c.MembersMaySubmit = true }))
	h.expect("alice> /give @alice 500 bonus", "You can't give or take your own points")
	h.expect("alice> /take @alice 5 x", "You can't give or take your own points")
	h.wantBalance("alice", 100)
	h.expect("alice> /submit "+xhs, "Submission #1")
	h.expect("alice> /approve 1", "can't approve or feature your own post #1")
	h.wantBalance("alice", 100)
	h.expect("admin> /approve 1", "Approved #1")
	h.expect("alice> /feature 1", "can't approve or feature your own post #1")
	// The owner may pay themselves; it is audited like anything else.
	h.expect("admin> /give @admin 5 owner's own", "Gave 5 points to admin")
	h.expect("admin> /audit @admin", "/give", "owner's own", "[done]")
}

// TestAdjust_DailyLimit is the regression test for unbounded grants: past
// the manager's daily limit a grant waits for the owner.
func TestAdjust_DailyLimit(t *testing.T) {
	h := limitedHarness(t, 1000, communitytest.Config(func(c *community.Config) { c.MembersMaySubmit = true }))
	h.expect("alice> /give @bob 600 prize", "Gave 600 points to bob")
	got := h.expect("alice> /give @bob 600 another prize", "would pass your daily limit of 1,000 points (600 points given today)",
		"(to admin, privately) ⚖️ alice wants to give 600 points to bob", "[Approve: /approve-grant ")
	id := regexp.MustCompile(`/approve-grant (\d+)`).FindStringSubmatch(got)[1]
	h.wantBalance("bob", 700)
	h.expect("alice> /approve-grant "+id, "/approve-grant is for the owner")
	h.expect("admin> /grants", "#"+id+": alice wants to give 600 points to bob")
	h.expect("admin> /approve-grant "+id, "Grant #"+id+" approved: 600 points paid to bob", "(to bob, privately) 🎁 You received 600 points",
		"(to alice, privately) ✅ The owner approved grant #"+id)
	h.expect("admin> /approve-grant "+id, "is not waiting for approval")
	h.wantBalance("bob", 1300)
	// Approvals count against the limit too, and are refused past it.
	h.expect("alice> /give @carol 300 small", "Gave 300 points to carol")
	h.expect("carol> /submit "+xhs, "Submission #1")
	h.expect("alice> /approve 1", "Approving #1 would pay 200 points, past your daily limit of 1,000 points (900 points given today)")
	h.wantBalance("carol", 400)
	got = h.expect("alice> /give @carol 300 more", "asked the owner")
	id = regexp.MustCompile(`grant #(\d+)`).FindStringSubmatch(got)[1]
	h.expect("admin> /reject-grant "+id, "Grant #"+id+" turned down", "(to alice, privately) The owner turned down grant #"+id)
	h.wantBalance("carol", 400)
	// The next community day the allowance is whole again.
	h.clock.Advance(24 * time.Hour)
	h.expect("alice> /approve 1", "Approved #1: 200 points paid")
	h.wantBalance("carol", 600)
}

// TestAudit_ManagerActions is the regression test for audit records that
// were a display name in a reason string: every manager action is stored
// with the actor's member id, platform account, time and arguments, shown
// to the owner and in the member's /export.
func TestAudit_ManagerActions(t *testing.T) {
	h := limitedHarness(t, 10_000, community.DefaultConfig())
	h.expect("alice> /give @bob 50 welcome gift", "Gave 50")
	h.expect("alice> /take @bob 5 typo", "Took 5")
	h.expect("alice> /role @bob ambassador", "bob is now an ambassador")
	h.expect("bob> /redeem sticker confirm", "Redeemed Sticker")
	code := regexp.MustCompile(`/fulfil ([A-Z2-9]{8})`).FindStringSubmatch(h.send("alice> /redemptions"))[1]
	h.expect("alice> /fulfil "+code+" posted", "marked as handed out")
	h.expect("alice> /broadcast hello all", "Broadcast")
	h.expect("dm bob> /human my parcel is late", "ticket #1")
	h.expect("alice> /reply 1 on its way", "delivered")
	h.expect("alice> /close 1", "closed")
	h.expect("alice> /audit", "/audit is for the owner")
	got := h.expect("admin> /audit @bob", "alice (console alice) /give → bob 50 points", "welcome gift", "/take", "/role", "/fulfil", "/reply", "/close")
	if strings.Contains(got, "/broadcast") {
		t.Errorf("/audit @bob lists an action that was not about bob:\n%s", got)
	}
	h.expect("admin> /audit", "/broadcast", "hello all")
	var doc community.Export
	out := h.send("dm bob> /export")
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &doc); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	alice, _ := h.members.LookupMention(context.Background(), bots.Console, "@alice")
	var gave *community.AuditEntry
	for i, e := range doc.Audit {
		if e.Action == "give" {
			gave = &doc.Audit[i]
		}
	}
	if gave == nil || gave.Actor != alice || gave.Platform != "console" || gave.UserID != "alice" || gave.Amount != 50 ||
		gave.Args["reason"] != "welcome gift" || gave.Time.IsZero() || gave.Outcome != "done" {
		t.Errorf("bob's export lacks the /give with its actor: %+v", doc.Audit)
	}
}

// TestLink_MovesEverything is the regression test for /link stranding
// points, holds, orders, referrals and submissions on the folded member.
func TestLink_MovesEverything(t *testing.T) {
	h := limitedHarness(t, 10_000, communitytest.Config(func(c *community.Config) { c.MembersMaySubmit = true }))
	ctx := context.Background()
	st := h.stack
	// alice's Telegram account has a life of its own before she links it.
	tg := func(text string) string {
		rs := h.router.Dispatch(ctx, &bots.Event{ID: "telegram:" + strconv.FormatInt(time.Now().UnixNano(), 10), Platform: bots.Telegram,
			ChatID: "555", Chat: bots.ChatPrivate, UserID: "555", Name: "Alice TG", Username: "alice_tg", Text: text})
		var s []string
		for _, r := range rs {
			s = append(s, r.Text)
		}
		return strings.Join(s, "\n")
	}
	tg("/start")
	if _, err := st.Orders.Ingest(ctx, orders.Order{ID: "T1", Customer: "c-tg", Created: communitytest.Start, Amount: 10000, Status: orders.Paid},
		orders.Contact{LinkCode: "SHOP-1"}); err != nil {
		t.Fatal(err)
	}
	if got := tg("/shop SHOP-1"); !strings.Contains(got, "Shop account linked: 1 order") {
		t.Fatalf("tg /shop: %s", got)
	}
	tgID, err := h.members.LookupMention(ctx, bots.Telegram, "<@555>")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Ledger.Credit(ctx, loyalty.Member(tgID), "checkin", 300, "seed-tg", "for the mug"); err != nil {
		t.Fatal(err)
	}
	code := regexp.MustCompile(`([A-Z2-9]{4}-[A-Z2-9]{4})`).FindString(tg("/redeem mug confirm"))
	if code == "" {
		t.Fatal("tg redemption failed")
	}
	tg("/submit " + xhs)
	refCode := regexp.MustCompile(`ref_([A-Z2-9]{6})`).FindStringSubmatch(tg("/ref"))[1]
	tg("/human where is my mug")
	h.expect("dave> /start ref_"+refCode, "invited by Alice TG")
	// TG: 100 signup + 300 - 300 (mug) + 100 held (order) = 200, 100 of it held.
	// alice: 100 signup.
	aliceCode := regexp.MustCompile(`code is ([A-Z2-9]{6})`).FindStringSubmatch(h.send("alice> /link"))[1]
	if got := tg("/link " + aliceCode); !strings.Contains(got, "Linked!") {
		t.Fatalf("link: %s", got)
	}
	aliceID, _ := h.members.LookupMention(ctx, bots.Console, "@alice")
	b, _ := st.Ledger.Balance(ctx, loyalty.Member(aliceID))
	if b.Balance != 200 || b.Held != 100 { // the second signup bonus went back
		t.Errorf("after linking: %+v, want 200 with the order's 100 held", b)
	}
	// Everything the Telegram account had is alice's now.
	var doc community.Export
	out := h.send("dm alice> /export")
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.ShopOrders) != 1 || len(doc.Redemptions) != 1 || len(doc.Submissions) != 1 || len(doc.Tickets) != 1 || len(doc.Referrals) != 1 {
		t.Errorf("export after link: %d orders, %d redemptions, %d submissions, %d tickets, %d referrals; want 1 each",
			len(doc.ShopOrders), len(doc.Redemptions), len(doc.Submissions), len(doc.Tickets), len(doc.Referrals))
	}
	// Later effects of the old account's things land on alice.
	h.expect("admin> /cancel "+code, "cancelled and 300 points refunded", "(to alice, privately)")
	if _, err := st.Orders.Ingest(ctx, orders.Order{ID: "T1", Customer: "c-tg", Created: communitytest.Start, Amount: 10000, Status: orders.Refunded, Refunded: 5000},
		orders.Contact{}); err != nil {
		t.Fatal(err)
	}
	h.expect("dave> /checkin", "Referral bonus")
	h.expect("admin> /approve 1", "Approved #1")
	b, _ = st.Ledger.Balance(ctx, loyalty.Member(aliceID))
	if want := int64(200 + 300 - 50 + 300 + 200); b.Balance != want || b.Held != 50 {
		t.Errorf("after the old account's refund, referral and approval: %+v, want %d with 50 held", b, want)
	}
	h.expect("alice> /history", "-50  purchase refunded")
	h.expect("bob> /shop unlink @alice", "/shop unlink is for managers and above")
	if got := tg("/points"); !strings.Contains(got, "Balance: 950 points") {
		t.Errorf("the Telegram account sees another wallet: %s", got)
	}
}

// TestLink_CodeWorksOnce is the regression test for two accounts redeeming
// one link code at once.
func TestLink_CodeWorksOnce(t *testing.T) {
	h := newHarness(t, community.DefaultConfig())
	h.send("alice> /start")
	code := regexp.MustCompile(`code is ([A-Z2-9]{6})`).FindStringSubmatch(h.send("alice> /link"))[1]
	for _, u := range []string{"x1", "x2", "x3", "x4"} {
		h.send(u + "> /start")
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	linked := 0
	for i, u := range []string{"x1", "x2", "x3", "x4"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rs := h.router.Dispatch(context.Background(), &bots.Event{ID: "race:" + strconv.Itoa(i), Platform: bots.Console, ChatID: "group", UserID: u, Name: u, Text: "/link " + code})
			if len(rs) > 0 && strings.Contains(rs[0].Text, "Linked!") {
				mu.Lock()
				linked++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if linked != 1 {
		t.Errorf("%d accounts linked with one code, want 1", linked)
	}
}

// TestLink_RolesNeverRise is the regression test for /link handing the
// linker's role to the code's member.
func TestLink_RolesNeverRise(t *testing.T) {
	h := newHarness(t, community.DefaultConfig())
	h.send("mallory> /start")
	code := regexp.MustCompile(`code is ([A-Z2-9]{6})`).FindStringSubmatch(h.send("mallory> /link"))[1]
	// The owner is talked into typing mallory's code.
	h.expect("admin> /link "+code, "must go the other way")
	h.expect("mallory> /give @mallory 100 x", "/give is for managers and above")
	h.expect("admin> /give @mallory 1 still mine", "Gave 1 point to mallory")
}

// TestErase_LeavesNoRows is the regression test for erasure leaving
// personal data behind, pending redemptions unrefunded, and blank rows on
// leaderboards and queues.
func TestErase_LeavesNoRows(t *testing.T) {
	h := newHarness(t, communitytest.Config(func(c *community.Config) { c.MembersMaySubmit = true }))
	h.send("alice> /start")
	h.send("bob> /start")
	h.send("admin> /give @alice 400 prize")
	h.send("admin> /give @bob 300 prize")
	h.expect("alice> /redeem mug confirm", "Redeemed Mug")
	h.expect("bob> /redeem mug confirm", "out of stock")
	h.send("alice> /submit " + xhs)
	h.expect("alice> /erase confirm", "Your data has been erased")
	h.expect("admin> /redemptions", "No pending redemptions")
	h.expect("bob> /redeem mug confirm", "Redeemed Mug") // the stock came back
	h.expect("admin> /review", "Nothing to review")
	got := h.expect("bob> /leaderboard all", "bob")
	if strings.Contains(got, "alice") || strings.Contains(got, "#") || strings.Count(got, "—") != 2 {
		t.Errorf("leaderboard shows the erased member:\n%s", got)
	}
	h.expect("admin> /erase @bob", "This erases everything about bob", "[Erase their data: /erase @bob confirm]")
	h.expect("alice> /erase @bob confirm", "/erase @member is for the owner")
	h.expect("admin> /erase @bob confirm", "bob's data has been erased")
	h.expect("admin> /audit", "/erase")
}

// TestArgs_NumbersAreNeverNotes is the regression test for "/approve 2 0"
// paying the default and sending "0" as the note.
func TestArgs_NumbersAreNeverNotes(t *testing.T) {
	h := newHarness(t, communitytest.Config(func(c *community.Config) { c.MembersMaySubmit = true }))
	h.send("carol> /submit " + xhs)
	h.expect("admin> /approve 1 0", "<points> must be between 1 and 100000")
	h.expect("admin> /approve 1 -5", "<points> must be between 1 and 100000")
	h.expect("admin> /approve 1 99999999999999999999", "must be a whole number")
	h.wantBalance("carol", 100)
	h.expect("admin> /approve 1 250 well done", "Approved #1: 250 points paid", "+250 points! well done")
}

// TestBroadcast_SegmentNeedsOne is the regression test for
// "/broadcast --segment" broadcasting "--segment" to every group.
func TestBroadcast_SegmentNeedsOne(t *testing.T) {
	h := newHarness(t, community.DefaultConfig())
	h.send("alice> hello group")
	got := h.expect("admin> /broadcast --segment", "Usage: /broadcast --segment <segment> <text>", "at-risk (At Risk)")
	if strings.Contains(got, "(to group)") {
		t.Errorf("broadcast went out: %s", got)
	}
	h.expect("admin> /broadcast --segment at-risk", "Usage: /broadcast --segment")
}

// TestConfig_ZeroSwitchesRewardsOff is the regression test for
// checkin_points: 0 still paying 10.
func TestConfig_ZeroSwitchesRewardsOff(t *testing.T) {
	h := newHarness(t, communitytest.Config(func(c *community.Config) { c.CheckinPoints, c.SignupBonus, c.StreakBonus = 0, 0, 0 }))
	h.expect("alice> /start", "Welcome")
	h.expect("alice> /checkin", "Checked in! Check-in streak: 1.")
	h.expect("alice> /checkin", "already checked in today")
	h.clock.Advance(24 * time.Hour)
	h.expect("alice> /checkin", "Check-in streak: 2.")
	h.wantBalance("alice", 0)
	if _, err := community.New(communitytest.Config(func(c *community.Config) { c.CheckinPoints = -10 }), h.members, h.ledger); err == nil ||
		!strings.Contains(err.Error(), "points.checkin_points") {
		t.Errorf("negative checkin_points: %v, want an error naming the key", err)
	}
}

// TestMessages_Plurals is the regression test for "1 days", "1 points", "1 orders".
func TestMessages_Plurals(t *testing.T) {
	h := newHarness(t, communitytest.Config(func(c *community.Config) { c.StreakDays = 2 }))
	h.send("alice> /start")
	h.expect("alice> /checkin", "1 more day in a row for a streak bonus of 50 points")
	h.expect("admin> /give @alice 1 one", "Gave 1 point to alice", "(to alice, privately) 🎁 You received 1 point: one")
	h.clock.Advance(24 * time.Hour)
	h.expect("alice> /checkin", "2 days in a row! Streak bonus: +50 points")
	h.expect("alice> /profile", "Check-in streak: 2 days")
	h.clock.Advance(72 * time.Hour)
	h.expect("alice> /checkin", "Check-in streak: 1.")
	h.expect("alice> /profile", "Check-in streak: 1 day")
	got := h.send("alice> /points")
	if bad := regexp.MustCompile(`\b1 (points|days|orders)\b`).FindString(got); bad != "" {
		t.Errorf("%q in %s", bad, got)
	}
}

// TestSubmit_BadURLReasonInChinese: the reason a link is refused used to
// be the English text of the parser's error, cut out of err.Error().
func TestSubmit_BadURLReasonInChinese(t *testing.T) {
	h := newHarness(t, communitytest.Config(func(c *community.Config) { c.MembersMaySubmit = true }))
	h.send("alice> /lang zh")
	for _, tc := range []struct{ url, want string }{
		{"javascript:alert(1)", "只接受 http 和 https 链接"},
		{"https://user:pw@example.com/p/1", "不接受带用户名或密码的链接"},
		{"https://localhost/p/1", `"localhost" 不是有效的网站名`},
		{"https://" + strings.Repeat("a", 2100) + ".com/", "链接超过 2048 个字符"},
	} {
		h.expect("alice> /submit "+tc.url, "这个链接无法接受："+tc.want)
	}
}

// TestErase_RejoinFarmsNothing: erasing and rejoining used to pay the
// referral again (300 to the referrer, 100 to the newcomer) and to promise
// a signup bonus it did not pay.
func TestErase_RejoinFarmsNothing(t *testing.T) {
	h := newHarness(t, community.DefaultConfig())
	h.send("amb> /start")
	code := regexp.MustCompile(`ref_([A-Z2-9]{6})`).FindStringSubmatch(h.send("amb> /ref"))[1]
	h.expect("f1> /start ref_"+code, "You earned 100 points for joining", "invited by amb")
	h.expect("f1> /checkin", "Referral bonus: +100 points")
	h.wantBalance("amb", 100+300)
	h.send("f1> /erase")
	h.expect("f1> /erase confirm", "Your data has been erased")
	got := h.expect("f1> /start REF_"+code, "Welcome back, f1!")
	if strings.Contains(got, "You earned") || strings.Contains(got, "invited by") {
		t.Errorf("a returning account is welcomed as new: %s", got)
	}
	got = h.send("f1> /checkin")
	if strings.Contains(got, "Referral bonus") {
		t.Errorf("the returning account's check-in paid a referral: %s", got)
	}
	h.wantBalance("amb", 100+300)
	h.wantBalance("f1", 10)
}

// TestStart_OwnersFirstStartIsAWelcome: an owner is registered when the
// community opens, so their first /start said "Welcome back" while paying
// the signup bonus.
func TestStart_OwnersFirstStartIsAWelcome(t *testing.T) {
	h := newHarness(t, community.DefaultConfig())
	h.expect("admin> /start", "Welcome, admin!", "You earned 100 points for joining")
	h.expect("admin> /start", "Welcome back, admin!")
	h.wantBalance("admin", 100)
}

// TestLink_ManagerCannotPayThemselvesThroughAnAlt: a manager gave points
// to a second account of their own, then linked it into their wallet; a
// grant waiting for the owner followed a link the same way and then paid
// the manager. Linking accounts a manager moved points between is refused.
func TestLink_ManagerCannotPayThemselvesThroughAnAlt(t *testing.T) {
	h := limitedHarness(t, 1000, community.DefaultConfig()) // alice is a manager
	h.send("alt> /start")
	h.expect("alice> /give @alt 500 alt", "Gave 500 points to alt")
	code := regexp.MustCompile(`code is ([A-Z2-9]{6})`).FindStringSubmatch(h.send("alice> /link"))[1]
	h.expect("alt> /link "+code, "can't be linked: a manager gave points")
	h.wantBalance("alice", 100)
	h.wantBalance("alt", 600)

	// A grant past the limit, waiting for the owner, counts too.
	h.send("alt2> /start")
	h.expect("alice> /give @alt2 5000 big", "owner")
	code = regexp.MustCompile(`code is ([A-Z2-9]{6})`).FindStringSubmatch(h.send("alice> /link"))[1]
	h.expect("alt2> /link "+code, "can't be linked")

	// Points an owner gave do not stand in the way.
	h.send("bob2> /start")
	h.expect("admin> /give @bob2 50 thanks", "Gave 50 points to bob2")
	code = regexp.MustCompile(`code is ([A-Z2-9]{6})`).FindStringSubmatch(h.send("bob> /link"))[1]
	h.expect("bob2> /link "+code, "Linked!")
}

// TestErase_ManagerActionsStayAttributable: erasing a manager's data used
// to remove their platform account from the audit log of what they did,
// and left their grants waiting for the owner approvable.
func TestErase_ManagerActionsStayAttributable(t *testing.T) {
	h := limitedHarness(t, 1000, community.DefaultConfig()) // alice is a manager
	h.expect("alice> /give @bob 900 gift", "Gave 900 points to bob")
	got := h.expect("alice> /give @carol 5000 big", "owner")
	id := regexp.MustCompile(`/approve-grant (\d+)`).FindStringSubmatch(h.send("admin> /grants") + got)
	if id == nil {
		t.Fatalf("no grant to approve in %q", got)
	}
	h.send("alice> /erase")
	h.expect("alice> /erase confirm", "Your data has been erased")
	h.expect("admin> /audit", "/give", "console alice")
	h.expect("admin> /approve-grant "+id[1], "not waiting")
	h.wantBalance("carol", 100)
}

// TestAudit_RefusalsAndNoOps: a manager's refused /give to themselves and
// /role manager were not recorded at all, and closing a closed ticket was
// recorded as done again.
func TestAudit_RefusalsAndNoOps(t *testing.T) {
	h := limitedHarness(t, 1000, community.DefaultConfig()) // alice is a manager
	h.expect("alice> /give @alice 10 self", "your own points")
	h.expect("alice> /role @carol manager", "owner")
	h.expect("bob> /human my tea is late", "ticket #1")
	h.expect("alice> /close 1", "Ticket #1 closed.")
	h.expect("alice> /close 1", "Ticket #1 was closed already.")
	got := h.expect("admin> /audit", `/give → alice 10 points reason="self" [refused]`, `/role → carol role="manager" [refused]`)
	if n := strings.Count(got, "/close"); n != 1 {
		t.Errorf("/close recorded %d times, want 1:\n%s", n, got)
	}
	h.expect("admin> /erase @nobody", "I don't know @nobody")
}

// TestSupport_DeclineInTheChosenLanguage: a member who chose Chinese got
// the English "not sure" for a question in Latin letters.
func TestSupport_DeclineInTheChosenLanguage(t *testing.T) {
	h := limitedHarness(t, 1000, community.DefaultConfig())
	h.send("bob> /lang zh")
	got := h.send("dm bob> asdfghjkl qwerty")
	if strings.Contains(got, "not sure") || !regexp.MustCompile(`\p{Han}`).MatchString(got) {
		t.Errorf("a zh member's decline: %s", got)
	}
	if got := h.send("dm carol> asdfghjkl qwerty"); !strings.Contains(got, "not sure") {
		t.Errorf("an en member's decline: %s", got)
	}
}

// TestMembers_CreateWithoutAChat: members can be created outside a chat
// (dashboard, import) and are then the member their account speaks as.
func TestMembers_CreateWithoutAChat(t *testing.T) {
	h := newHarness(t, community.DefaultConfig())
	ctx := context.Background()
	m, created, err := h.members.Create(ctx, community.NewMember{Platform: bots.Console, UserID: "imported", Handle: "imported", Name: "Imported", Locale: "zh"})
	if err != nil || !created || m.Role != community.RoleMember {
		t.Fatalf("create: %+v %v %v", m, created, err)
	}
	if again, created, err := h.members.Create(ctx, community.NewMember{Platform: bots.Console, UserID: "imported"}); err != nil || created || again.ID != m.ID {
		t.Errorf("second create: %+v %v %v", again, created, err)
	}
	if _, _, err := h.members.Create(ctx, community.NewMember{Name: "nobody"}); err == nil {
		t.Error("a member without an account was created")
	}
	h.expect("imported> /points", "余额")
}

// TestLink_SpentBonusStillGoesBack is the regression test for /link
// keeping the folded account's signup bonus when that account had spent
// it: it goes back from the merged balance.
func TestLink_SpentBonusStillGoesBack(t *testing.T) {
	h := newHarness(t, community.DefaultConfig())
	h.send("alice> /start")
	h.send("bob> /start") // alice's second account
	h.send("admin> /give @bob 50 welcome")
	for range 3 {
		h.expect("bob> /redeem sticker confirm", "Redeemed Sticker")
	}
	h.wantBalance("bob", 0)
	code := regexp.MustCompile(`code is ([A-Z2-9]{6})`).FindStringSubmatch(h.send("alice> /link"))[1]
	h.expect("bob> /link "+code, "Linked!")
	h.wantBalance("alice", 0) // 100 + 0, less bob's 100 bonus
	h.expect("alice> /leaderboard all", "alice", "150 points")

	// Both accounts spent down first: what there is goes back.
	h.send("carol> /start")
	h.send("dave> /start") // carol's second account
	h.expect("carol> /redeem sticker confirm", "Redeemed Sticker")
	h.expect("dave> /redeem sticker confirm", "Redeemed Sticker")
	h.expect("dave> /redeem sticker confirm", "Redeemed Sticker")
	code = regexp.MustCompile(`code is ([A-Z2-9]{6})`).FindStringSubmatch(h.send("carol> /link"))[1]
	h.expect("dave> /link "+code, "Linked!")
	h.wantBalance("carol", 0) // 50 + 0: the 50 there was went back
	h.send("admin> /give @carol 500 prize")
	h.wantBalance("carol", 500) // a later top-up takes no more
}

// TestLink_ThroughAMiddleAccount: a manager who paid carol linked carol
// into a fresh account and that account into themselves, and the points
// they gave reached their own wallet.
func TestLink_ThroughAMiddleAccount(t *testing.T) {
	h := limitedHarness(t, 10_000, community.DefaultConfig()) // alice is a manager
	h.send("carol> /start")
	h.expect("alice> /give @carol 5000 prize", "Gave 5,000 points to carol")
	h.send("dave> /start")
	code := regexp.MustCompile(`code is ([A-Z2-9]{6})`).FindStringSubmatch(h.send("dave> /link"))[1]
	h.expect("carol> /link "+code, "Linked!") // carol folds into dave: no manager paid between them
	code = regexp.MustCompile(`code is ([A-Z2-9]{6})`).FindStringSubmatch(h.send("alice> /link"))[1]
	h.expect("dave> /link "+code, "can't be linked: a manager gave points")
	h.wantBalance("alice", 100)
}

// TestLink_SelfReferralGoesBack: referring your own second account and
// then linking it kept the referrer's reward and the newcomer's.
func TestLink_SelfReferralGoesBack(t *testing.T) {
	h := newHarness(t, community.DefaultConfig())
	h.send("alice> /start")
	ref := regexp.MustCompile(`ref_[A-Za-z0-9]+`).FindString(h.send("alice> /ref"))
	h.send("bob> /start " + ref)
	h.send("bob> /checkin") // qualifies the referral: alice +300, bob +100
	before := h.balance("alice") + h.balance("bob")
	code := regexp.MustCompile(`code is ([A-Z2-9]{6})`).FindStringSubmatch(h.send("alice> /link"))[1]
	h.expect("bob> /link "+code, "Linked!")
	// One person: bob's signup bonus and both referral rewards go back.
	if got, want := h.balance("alice"), before-100-300-100; got != want {
		t.Fatalf("alice has %d after linking, want %d", got, want)
	}
}
