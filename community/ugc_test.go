package community_test

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/community"
	"github.com/loyalbot/loyalbot/community/communitytest"
)

const xhs = "https://www.xiaohongshu.com/explore/66f1a2b3000000001e03c9d4"

func TestUGC_SubmitReviewApprove(t *testing.T) {
	h := newHarness(t, community.DefaultConfig())
	h.send("carol> /start")
	h.expect("carol> /submit "+xhs, "Content rewards are for ambassadors", "/ambassador apply")
	h.expect("carol> /ambassador apply I review oolongs on Xiaohongshu", "application is with the team")
	h.expect("carol> /ambassador apply again", "already with the team")
	h.expect("admin> /ambassador approve", "carol applied on 2026-03-10: I review oolongs on Xiaohongshu", "[Approve: /ambassador approve @carol]")
	h.expect("admin> /ambassador approve @carol", "carol is now an ambassador", "(to carol, privately) 🎉 Welcome to the ambassador programme")
	h.expect("carol> /submit "+xhs+"?xsec_token=ABx9Qz&xsec_source=pc_share my first review", "Submission #1 (xiaohongshu) is waiting for review", "earn 200 points")
	h.expect("carol> /submit https://xiaohongshu.com/explore/66f1a2b3000000001e03c9d4/?utm_source=copy&share_source=wechat", "already submitted as #1")
	h.expect("dave> /submit "+xhs, "Content rewards are for ambassadors") // and a member can't sneak a duplicate either
	h.expect("carol> /submit ftp://example.com/video", "I can't accept that link: only http and https links")
	h.expect("carol> /submit https://user:pw@example.com/x", "user name or password")
	h.expect("carol> /review", "managers and above")
	h.expect("admin> /review", "📝 #1 by carol on xiaohongshu", "my first review", "[Approve: /approve 1]")
	h.expect("admin> /approve 1 nice photos", "Approved #1: 200 points paid", "(to carol, privately) ✅ Your post #1 was approved: +200 points! nice photos")
	h.expect("admin> /approve 1", "#1 was already approved (200 points, paid once)")
	h.expect("admin> /reject 1 changed my mind", "already decided the other way")
	h.wantBalance("carol", 300)
	h.expect("admin> /feature 1", "Featured #1: a bonus of 300 points paid", "(to carol, privately) 🌟")
	h.expect("admin> /feature 1", "already featured")
	h.wantBalance("carol", 600)
	h.expect("carol> /submissions", "#1 approved — xiaohongshu", "+200")
	h.expect("carol> /submit https://v.douyin.com/iAbCdEf/", "Submission #2 (douyin)")
	h.expect("admin> /reject 2 not about our tea", "Rejected #2", "(to carol, privately) Your post #2 was not approved: not about our tea")
	h.expect("admin> /submissions rejected @carol", "#2 rejected — douyin", "not about our tea")
	h.expect("admin> /submissions xiaohongshu", "#1 approved")
	h.expect("admin> /approve 99", "There is no submission #99")
	h.expect("admin> /ambassadors", "carol (KOC): 1 approved, 0 pending, 0 referrals, 200 points")
	h.expect("carol> /leaderboard ambassadors", "1. carol (KOC) — 200 points")
}

func TestUGC_ConcurrentApprovalsPayOnce(t *testing.T) {
	h := newHarness(t, communitytest.Config(func(c *community.Config) { c.MembersMaySubmit = true }))
	h.send("carol> /submit " + xhs)
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.console.Handle(context.Background(), h.router, "admin> /approve 1")
		}()
	}
	wg.Wait()
	h.wantBalance("carol", 300)
}

func TestUGC_SubmitQuota(t *testing.T) {
	h := newHarness(t, communitytest.Config(func(c *community.Config) { c.MembersMaySubmit = true }))
	for i := range 5 {
		h.expect("carol> /submit https://example.com/post/"+string(rune('a'+i)), "waiting for review")
	}
	h.expect("carol> /submit https://example.com/post/f", "today's limit of 5")
	h.clock.Advance(24 * time.Hour)
	h.expect("carol> /submit https://example.com/post/f", "waiting for review")
}

func TestUGC_Referrals(t *testing.T) {
	h := newHarness(t, community.DefaultConfig())
	h.send("alice> /start")
	got := h.expect("alice> /ref", "Your referral code: ref_", "earn you 300 points")
	code := regexp.MustCompile(`ref_([A-Z2-9]{6})`).FindStringSubmatch(got)[1]

	h.expect("bob> /start ref_"+strings.ToLower(code), "Welcome, bob!", "You were invited by alice")
	h.wantBalance("alice", 100)
	h.expect("bob> /start ref_"+code, "Welcome back") // a redelivered /start changes nothing
	h.expect("alice> /referrals", "alice → bob: waiting for their first check-in")
	h.expect("bob> /checkin", "Referral bonus: +100 points", "(to alice, privately) 🎉 bob joined through your link and checked in: +300 points!")
	h.wantBalance("bob", 100+10+100)
	h.wantBalance("alice", 100+300)
	h.clock.Advance(24 * time.Hour)
	h.send("bob> /checkin") // the referral pays once
	h.wantBalance("alice", 400)
	h.expect("alice> /referrals", "alice → bob: paid")

	// Fraud: alice's own code, bob referred again, an existing member, a ring.
	h.expect("alice> /start ref_"+code, "That's your own referral code")
	h.send("carol> /start")
	got = h.send("carol> /ref")
	carolCode := regexp.MustCompile(`ref_([A-Z2-9]{6})`).FindStringSubmatch(got)[1]
	h.send("bob> /start ref_" + carolCode)   // bob was referred already
	h.send("dave> hello everyone, I'm dave") // dave registers without a code
	h.send("dave> /start ref_" + code)       // then tries one: already a member
	h.send("alice> /start ref_" + carolCode)
	// A ring: bob, whom alice referred, refers alice back.
	bobCode := regexp.MustCompile(`ref_([A-Z2-9]{6})`).FindStringSubmatch(h.send("bob> /ref"))[1]
	h.send("alice> /start ref_" + bobCode)
	h.expect("admin> /referrals rejected", "alice → alice: rejected (2026-03-11) — self-referral",
		"carol → bob: rejected (2026-03-11) — already referred", "alice → dave: rejected (2026-03-11) — already a member",
		"carol → alice: rejected (2026-03-11) — already a member", "bob → alice: rejected (2026-03-11) — referral ring")
	for _, u := range []string{"bob", "dave"} {
		h.send(u + "> /checkin")
	}
	h.wantBalance("alice", 400)
	h.wantBalance("carol", 100)
	h.expect("bob> /referrals rejected", "/referrals rejected is for managers")
	h.expect("bob> /start ref_NOPE99", "doesn't exist")
}

func TestUGC_InviteAttribution(t *testing.T) {
	h := newHarness(t, community.DefaultConfig())
	h.send("alice> /start")
	code := regexp.MustCompile(`ref_([A-Z2-9]{6})`).FindStringSubmatch(h.send("alice> /ref"))[1]
	h.expect("erin> !join ref_"+code, "Welcome to the community, erin!", "You were invited by alice")
	h.send("erin> /checkin")
	h.wantBalance("alice", 400)
}
