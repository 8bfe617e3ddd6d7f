package ugctest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/loyalty"
	"github.com/loyalbot/loyalbot/ugc"
)

var ctx = context.Background()

// errCrash is what the suite's step hooks return, as a crash would stop
// the operation there.
var errCrash = errors.New("crash")

// StoreSuite runs the ambassador programme's rules — through ugc.Service
// and its Referrals and Ambassadors, its public API — and the Store
// contract over stores that open returns. open must return a store on
// fresh, empty storage each time it is called, closed when t ends; if it is
// a Reopener the crash cases reopen it. Every test ends with the
// programme's Verify.
func StoreSuite(t *testing.T, open func(t *testing.T) ugc.Store) {
	t.Helper()
	env := func(t *testing.T, set func(*ugc.Config)) *Env {
		t.Helper()
		return NewEnv(t, open(t), set)
	}
	// withRules is the old tests' newService: levels, quota and daily
	// attributions as given, the rest default.
	withRules := func(levels []ugc.Level, quota, attributions int) func(*ugc.Config) {
		return func(c *ugc.Config) { c.Levels, c.DailyQuota, c.DailyAttributions = levels, quota, attributions }
	}
	submit := func(t *testing.T, e *Env, key string, member uint64, url string) ugc.Submission {
		t.Helper()
		sub, err := e.UGC.Submit(ctx, key, member, url, "note "+key)
		if err != nil {
			t.Fatal(err)
		}
		return sub
	}
	subIDs := func(subs []ugc.Submission) []uint64 {
		var out []uint64
		for _, s := range subs {
			out = append(out, s.ID)
		}
		return out
	}

	t.Run("Approve_RetryAfterFailedPayment", func(t *testing.T) {
		e := env(t, withRules(nil, 0, 0))
		s, l := e.UGC, e.Ledger
		sub, err := s.Submit(ctx, "k1", 1, "https://example.com/a", "")
		if err != nil {
			t.Fatal(err)
		}
		l.Fail.Store(1)
		if _, err := s.Approve(ctx, sub.ID, 9, 0, ""); err == nil {
			t.Fatal("approve with a failing ledger succeeded")
		}
		got, err := s.Approve(ctx, sub.ID, 9, 0, "") // the manager tries again
		if err != nil || !got.Replay {
			t.Fatalf("retry: %+v %v", got, err)
		}
		if b := e.Balance(t, 1); b != 200 {
			t.Errorf("balance %d after retry, want 200 paid once", b)
		}
	})

	t.Run("Approve_Concurrent", func(t *testing.T) {
		e := env(t, withRules(nil, 0, 0))
		s := e.UGC
		sub, _ := s.Submit(ctx, "k1", 1, "https://example.com/a", "")
		var wg sync.WaitGroup
		var fresh atomic.Int32
		for range 64 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, err := s.Approve(ctx, sub.ID, 9, 0, "")
				if err != nil {
					t.Error(err)
				}
				if !got.Replay {
					fresh.Add(1)
				}
			}()
		}
		wg.Wait()
		if fresh.Load() != 1 || e.Balance(t, 1) != 200 {
			t.Errorf("%d fresh approvals, balance %d; want 1 and 200", fresh.Load(), e.Balance(t, 1))
		}
	})

	t.Run("Submit_Replay", func(t *testing.T) {
		s := env(t, withRules(nil, 0, 0)).UGC
		a, _ := s.Submit(ctx, "telegram:55", 1, "https://example.com/a", "")
		b, err := s.Submit(ctx, "telegram:55", 1, "https://example.com/a", "")
		if err != nil || !b.Replay || b.ID != a.ID {
			t.Errorf("redelivered submit = %+v, %v", b, err)
		}
		var dup *ugc.DuplicateError
		if _, err := s.Submit(ctx, "telegram:56", 2, "https://EXAMPLE.com/a/?utm_campaign=x", ""); !errors.As(err, &dup) || dup.Existing.ID != a.ID {
			t.Errorf("duplicate by another member: %v", err)
		}
	})

	t.Run("Submit_Quota", func(t *testing.T) {
		e := env(t, withRules(nil, 2, 0))
		s := e.UGC
		submit(t, e, "a", 1, "https://example.com/1")
		submit(t, e, "b", 1, "https://example.com/2")
		if _, err := s.Submit(ctx, "c", 1, "https://example.com/3", ""); !errors.Is(err, ugc.ErrQuota) {
			t.Errorf("third submission of the day: %v, want ErrQuota", err)
		}
		if got, err := s.Submit(ctx, "b", 1, "https://example.com/2", ""); err != nil || !got.Replay {
			t.Errorf("a replay past the quota: %+v %v", got, err)
		}
		submit(t, e, "d", 2, "https://example.com/4") // the quota is per member
		e.Clock.Advance(24 * time.Hour)
		submit(t, e, "e", 1, "https://example.com/5")
		if _, err := s.Submit(ctx, "f", 1, "not a link", ""); !errors.Is(err, ugc.ErrBadURL) {
			t.Errorf("a bad link: %v", err)
		}
	})

	t.Run("Review", func(t *testing.T) {
		e := env(t, nil)
		s := e.UGC
		var subs []ugc.Submission
		for i := range 4 {
			subs = append(subs, submit(t, e, fmt.Sprint("k", i), 1, fmt.Sprint("https://example.com/", i)))
		}
		if q, err := s.Queue(ctx, 3); err != nil || !slices.Equal(subIDs(q), subIDs(subs[:3])) {
			t.Errorf("queue = %v %v, want the three oldest", subIDs(q), err)
		}
		if q, err := s.Queue(ctx, 0); err != nil || len(q) != 0 {
			t.Errorf("queue of none = %v %v", subIDs(q), err)
		}
		got, err := s.Approve(ctx, subs[0].ID, 9, 0, "nice")
		if err != nil || got.Status != ugc.Approved || got.Points != 200 || got.Reviewer != 9 || got.Reason != "nice" || !got.Reviewed.Equal(Start) || got.Replay {
			t.Fatalf("approve = %+v %v", got, err)
		}
		if got, err := s.Approve(ctx, subs[1].ID, 9, 50, ""); err != nil || got.Points != 50 {
			t.Errorf("approve with points = %+v %v", got, err)
		}
		rej, err := s.Reject(ctx, subs[2].ID, 9, "off topic")
		if err != nil || rej.Status != ugc.Rejected || rej.Reason != "off topic" {
			t.Fatalf("reject = %+v %v", rej, err)
		}
		if again, err := s.Reject(ctx, subs[2].ID, 9, "off topic"); err != nil || !again.Replay {
			t.Errorf("reject again = %+v %v", again, err)
		}
		if _, err := s.Approve(ctx, subs[2].ID, 9, 0, ""); !errors.Is(err, ugc.ErrReviewed) {
			t.Errorf("approve a rejected submission: %v", err)
		}
		if _, err := s.Reject(ctx, subs[0].ID, 9, ""); !errors.Is(err, ugc.ErrReviewed) {
			t.Errorf("reject an approved submission: %v", err)
		}
		if _, err := s.Approve(ctx, 999, 9, 0, ""); !errors.Is(err, ugc.ErrNotFound) {
			t.Errorf("approve an unknown submission: %v", err)
		}
		if _, err := s.Get(ctx, 999); !errors.Is(err, ugc.ErrNotFound) {
			t.Errorf("get an unknown submission: %v", err)
		}
		if q, err := s.Queue(ctx, 10); err != nil || !slices.Equal(subIDs(q), []uint64{subs[3].ID}) {
			t.Errorf("queue after review = %v %v", subIDs(q), err)
		}
		if b := e.Balance(t, 1); b != 250 {
			t.Errorf("balance %d, want 250", b)
		}
		if n, err := s.Pending(ctx); err != nil || n != 0 {
			t.Errorf("payments pending: %d %v", n, err)
		}
		if _, n, err := s.Quote(ctx, subs[3].ID, 0); err != nil || n != 200 {
			t.Errorf("quote = %d %v, want 200", n, err)
		}
		if _, n, err := s.Quote(ctx, subs[3].ID, 70); err != nil || n != 70 {
			t.Errorf("quote with points = %d %v, want 70", n, err)
		}
		if _, _, err := s.Quote(ctx, 999, 0); !errors.Is(err, ugc.ErrNotFound) {
			t.Errorf("quote an unknown submission: %v", err)
		}
	})

	t.Run("Approve_RewardsOff", func(t *testing.T) {
		e := env(t, func(c *ugc.Config) { c.Default = 0 })
		sub := submit(t, e, "k", 1, "https://example.com/a")
		if got, err := e.UGC.Approve(ctx, sub.ID, 9, 0, ""); err != nil || got.Status != ugc.Approved || got.Points != 0 {
			t.Errorf("approve with rewards off = %+v %v", got, err)
		}
		if n, _ := e.UGC.Pending(ctx); n != 0 || e.Balance(t, 1) != 0 {
			t.Errorf("%d payments pending, balance %d; want nothing paid", n, e.Balance(t, 1))
		}
	})

	t.Run("Feature", func(t *testing.T) {
		e := env(t, nil)
		s := e.UGC
		sub := submit(t, e, "k", 1, "https://example.com/a")
		if _, _, err := s.Feature(ctx, sub.ID, 9); !errors.Is(err, ugc.ErrNotApproved) {
			t.Errorf("feature a pending submission: %v", err)
		}
		if _, err := s.Approve(ctx, sub.ID, 9, 0, ""); err != nil {
			t.Fatal(err)
		}
		got, n, err := s.Feature(ctx, sub.ID, 9)
		if err != nil || !got.Featured || got.Replay || n != 300 {
			t.Fatalf("feature = %+v %d %v", got, n, err)
		}
		if got, n, err := s.Feature(ctx, sub.ID, 9); err != nil || !got.Replay || n != 300 {
			t.Errorf("feature again = %+v %d %v", got, n, err)
		}
		if b := e.Balance(t, 1); b != 500 {
			t.Errorf("balance %d, want 200 + 300 once", b)
		}
	})

	t.Run("List", func(t *testing.T) {
		e := env(t, withRules(nil, 10, 0))
		s := e.UGC
		a := submit(t, e, "a", 1, "https://www.xiaohongshu.com/explore/66f1a2b3000000001e03c9d4")
		b := submit(t, e, "b", 2, "https://example.com/b")
		c := submit(t, e, "c", 1, "https://example.com/c")
		d := submit(t, e, "d", 1, "https://example.com/d")
		if _, err := s.Approve(ctx, c.ID, 9, 0, ""); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name  string
			f     ugc.Filter
			limit int
			want  []uint64
		}{
			{"all", ugc.Filter{}, 10, []uint64{d.ID, c.ID, b.ID, a.ID}},
			{"all_limit", ugc.Filter{}, 2, []uint64{d.ID, c.ID}},
			{"member", ugc.Filter{Member: 1}, 10, []uint64{d.ID, c.ID, a.ID}},
			{"member_limit", ugc.Filter{Member: 1}, 1, []uint64{d.ID}},
			{"member_status", ugc.Filter{Member: 1, Status: ugc.Pending}, 10, []uint64{d.ID, a.ID}},
			{"status", ugc.Filter{Status: ugc.Approved}, 10, []uint64{c.ID}},
			{"platform", ugc.Filter{Platform: a.Platform}, 10, []uint64{a.ID}},
			{"member_none", ugc.Filter{Member: 3}, 10, nil},
			{"zero_limit", ugc.Filter{Member: 1}, 0, nil},
		} {
			got, err := s.List(ctx, tc.f, tc.limit)
			if err != nil || !slices.Equal(subIDs(got), tc.want) {
				t.Errorf("%s: %v %v, want %v", tc.name, subIDs(got), err, tc.want)
			}
		}
		if got, err := s.Get(ctx, a.ID); err != nil || got != a {
			t.Errorf("get = %+v %v, want %+v", got, err, a)
		}
	})

	t.Run("Levels", func(t *testing.T) {
		e := env(t, withRules([]ugc.Level{{Name: "KOC", Multiplier: 100}, {Name: "Rising", Threshold: 2, Multiplier: 150}}, 10, 0))
		s, clk := e.UGC, e.Clock
		for i := range 3 {
			sub, err := s.Submit(ctx, fmt.Sprint("k", i), 1, fmt.Sprint("https://example.com/", i), "")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Approve(ctx, sub.ID, 9, 0, ""); err != nil {
				t.Fatal(err)
			}
		}
		if b := e.Balance(t, 1); b != 200+200+300 { // the third approval is at Rising: 1.5×
			t.Errorf("balance %d, want 700", b)
		}
		if lvl, act, _ := s.Ambassadors().Level(ctx, 1); lvl.Name != "Rising" || act.Approved != 3 {
			t.Errorf("level %s with %+v", lvl.Name, act)
		}
		clk.Advance(91 * 24 * time.Hour)
		if lvl, _, _ := s.Ambassadors().Level(ctx, 1); lvl.Name != "KOC" {
			t.Errorf("after 91 quiet days: %s", lvl.Name)
		}
	})

	t.Run("Activity", func(t *testing.T) {
		e := env(t, nil)
		s := e.UGC
		a := submit(t, e, "a", 1, "https://example.com/a")
		b := submit(t, e, "b", 1, "https://example.com/b")
		submit(t, e, "c", 1, "https://example.com/c")
		if _, err := s.Approve(ctx, a.ID, 9, 0, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Reject(ctx, b.ID, 9, ""); err != nil {
			t.Fatal(err)
		}
		code, err := s.Referrals().Code(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Referrals().Attribute(ctx, 5, code, "start", true); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Referrals().Qualify(ctx, 5); err != nil {
			t.Fatal(err)
		}
		want := ugc.Activity{Approved: 1, Pending: 1, Rejected: 1, Referrals: 1, Points: 200 + 300}
		if act, err := s.Ambassadors().Activity(ctx, 1, Start.Add(-time.Hour)); err != nil || act != want {
			t.Errorf("activity = %+v %v, want %+v", act, err, want)
		}
		if act, err := s.Ambassadors().Activity(ctx, 1, Start.Add(time.Hour)); err != nil || act != (ugc.Activity{Pending: 1}) {
			t.Errorf("activity since later = %+v %v, want only the pending post", act, err)
		}
		if act, err := s.Ambassadors().Activity(ctx, 2, time.Time{}); err != nil || act != (ugc.Activity{}) {
			t.Errorf("activity of a stranger = %+v %v", act, err)
		}
	})

	t.Run("Attribute_DailyLimit", func(t *testing.T) {
		e := env(t, withRules(nil, 0, 2))
		s, clk := e.UGC, e.Clock
		code, _ := s.Referrals().Code(ctx, 1)
		again, _ := s.Referrals().Code(ctx, 1)
		if code != again || len(code) != 6 {
			t.Fatalf("codes %q %q", code, again)
		}
		for i, want := range []ugc.RefStatus{ugc.RefPending, ugc.RefPending, ugc.RefRejected} {
			ref, err := s.Referrals().Attribute(ctx, uint64(10+i), "ref_"+code, "start", true)
			if err != nil || ref.Status != want {
				t.Errorf("attribution %d: %+v %v, want %s", i, ref, err, want)
			}
			if want == ugc.RefRejected && ref.Reason != ugc.ReasonDailyLimit {
				t.Errorf("reason %q", ref.Reason)
			}
		}
		clk.Advance(24 * time.Hour)
		if ref, _ := s.Referrals().Attribute(ctx, 20, code, "start", true); ref.Status != ugc.RefPending {
			t.Errorf("next day: %+v", ref)
		}
		if _, err := s.Referrals().Attribute(ctx, 21, "ZZZZZZ", "start", true); !errors.Is(err, ugc.ErrNotFound) {
			t.Errorf("unknown code: %v", err)
		}
	})

	t.Run("Attribute_FraudChecks", func(t *testing.T) {
		e := env(t, nil)
		s := e.UGC
		c1, _ := s.Referrals().Code(ctx, 1)
		c2, _ := s.Referrals().Code(ctx, 2)
		c3, _ := s.Referrals().Code(ctx, 3)
		if c1 == c2 || c2 == c3 || c1 == c3 {
			t.Fatalf("codes %q %q %q are not distinct", c1, c2, c3)
		}
		if ref, err := s.Referrals().Attribute(ctx, 2, c1, "start", true); err != nil || ref.Status != ugc.RefPending || ref.Referrer != 1 || ref.Code != c1 {
			t.Fatalf("1 refers 2: %+v %v", ref, err)
		}
		if ref, err := s.Referrals().Attribute(ctx, 2, strings.ToLower("ref_"+c1), "invite", true); err != nil || !ref.Replay || ref.Via != "start" {
			t.Errorf("2 arrives again with 1's code: %+v %v", ref, err)
		}
		for _, c := range []struct {
			name      string
			referee   uint64
			code      string
			newMember bool
			reason    string
		}{
			{"self", 1, c1, true, ugc.ReasonSelf},
			{"referred", 2, c3, true, ugc.ReasonReferred},
			{"ring", 1, c2, true, ugc.ReasonRing},
			{"not_new", 4, c3, false, ugc.ReasonNotNew},
		} {
			ref, err := s.Referrals().Attribute(ctx, c.referee, c.code, "start", c.newMember)
			if err != nil || ref.Status != ugc.RefRejected || ref.Reason != c.reason {
				t.Errorf("%s: %+v %v, want rejected for %q", c.name, ref, err, c.reason)
			}
		}
		rej, err := s.Referrals().Rejected(ctx, 3)
		if err != nil || len(rej) != 3 || rej[0].Reason != ugc.ReasonNotNew || rej[2].Reason != ugc.ReasonReferred {
			t.Errorf("rejected, newest first = %+v %v", rej, err)
		}
		if ref, found, err := s.Referrals().Of(ctx, 2); err != nil || !found || ref.Referrer != 1 || ref.Status != ugc.RefPending {
			t.Errorf("referral of 2 = %+v %v %v: a rejected one must not replace it", ref, found, err)
		}
		if _, found, err := s.Referrals().Of(ctx, 4); err != nil || found {
			t.Errorf("referral of 4 = %v %v", found, err)
		}
	})

	t.Run("Qualify", func(t *testing.T) {
		e := env(t, nil)
		s := e.UGC
		code, _ := s.Referrals().Code(ctx, 1)
		for _, referee := range []uint64{2, 3} {
			if _, err := s.Referrals().Attribute(ctx, referee, code, "start", true); err != nil {
				t.Fatal(err)
			}
			e.Clock.Advance(time.Minute)
		}
		if _, err := s.Referrals().Attribute(ctx, 1, code, "start", true); err != nil { // rejected: self
			t.Fatal(err)
		}
		ref, paid, err := s.Referrals().Qualify(ctx, 2)
		if err != nil || !paid || ref.Status != ugc.RefQualified || ref.Paid != 300 || !ref.Qualified.Equal(e.Clock.Now()) {
			t.Fatalf("qualify = %+v %v %v", ref, paid, err)
		}
		if ref, paid, err := s.Referrals().Qualify(ctx, 2); err != nil || paid || !ref.Replay {
			t.Errorf("qualify again = %+v %v %v", ref, paid, err)
		}
		if _, paid, err := s.Referrals().Qualify(ctx, 1); err != nil || paid {
			t.Errorf("qualify a self-referral: %v %v", paid, err)
		}
		if _, paid, err := s.Referrals().Qualify(ctx, 9); err != nil || paid {
			t.Errorf("qualify a stranger: %v %v", paid, err)
		}
		if b1, b2 := e.Balance(t, 1), e.Balance(t, 2); b1 != 300 || b2 != 100 {
			t.Errorf("balances %d and %d, want 300 and 100 paid once", b1, b2)
		}
		refs, err := s.Referrals().By(ctx, 1)
		if err != nil || len(refs) != 2 || refs[0].Referee != 3 || refs[1].Referee != 2 || refs[1].Status != ugc.RefQualified {
			t.Errorf("referrals by 1, newest first = %+v %v", refs, err)
		}
		if refs, err := s.Referrals().By(ctx, 2); err != nil || len(refs) != 0 {
			t.Errorf("referrals by 2 = %+v %v", refs, err)
		}
	})

	t.Run("Qualify_RewardsOff", func(t *testing.T) {
		e := env(t, func(c *ugc.Config) { c.RefereeReward = 0 })
		code, _ := e.UGC.Referrals().Code(ctx, 1)
		if _, err := e.UGC.Referrals().Attribute(ctx, 2, code, "start", true); err != nil {
			t.Fatal(err)
		}
		if _, paid, err := e.UGC.Referrals().Qualify(ctx, 2); err != nil || !paid {
			t.Fatalf("qualify: %v %v", paid, err)
		}
		if b1, b2 := e.Balance(t, 1), e.Balance(t, 2); b1 != 300 || b2 != 0 {
			t.Errorf("balances %d and %d, want 300 and 0", b1, b2)
		}
	})

	t.Run("Applications", func(t *testing.T) {
		e := env(t, nil)
		s := e.UGC
		a, err := s.Ambassadors().Apply(ctx, 2, "I post daily")
		if err != nil || a.Status != ugc.AppPending || a.Why != "I post daily" {
			t.Fatalf("apply = %+v %v", a, err)
		}
		e.Clock.Advance(time.Minute)
		if _, err := s.Ambassadors().Apply(ctx, 1, "me too"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Ambassadors().Apply(ctx, 2, "again"); !errors.Is(err, ugc.ErrApplied) {
			t.Errorf("apply while pending: %v", err)
		}
		if apps, err := s.Ambassadors().Applications(ctx); err != nil || len(apps) != 2 || apps[0].Member != 2 || apps[1].Member != 1 {
			t.Errorf("applications, oldest first = %+v %v", apps, err)
		}
		if got, err := s.Ambassadors().Decide(ctx, 2, true, 9); err != nil || got.Status != ugc.AppApproved || got.Reviewer != 9 {
			t.Errorf("approve = %+v %v", got, err)
		}
		if _, err := s.Ambassadors().Decide(ctx, 2, false, 9); !errors.Is(err, ugc.ErrNotFound) {
			t.Errorf("decide a decided application: %v", err)
		}
		if _, err := s.Ambassadors().Apply(ctx, 2, "again"); !errors.Is(err, ugc.ErrApplied) {
			t.Errorf("apply after approval: %v", err)
		}
		if got, err := s.Ambassadors().Decide(ctx, 1, false, 9); err != nil || got.Status != ugc.AppRejected {
			t.Errorf("reject = %+v %v", got, err)
		}
		if got, err := s.Ambassadors().Apply(ctx, 1, "second try"); err != nil || got.Status != ugc.AppPending {
			t.Errorf("apply after rejection = %+v %v", got, err)
		}
		if apps, err := s.Ambassadors().Applications(ctx); err != nil || len(apps) != 1 || apps[0].Why != "second try" {
			t.Errorf("applications = %+v %v", apps, err)
		}
		if _, err := s.Ambassadors().Decide(ctx, 7, true, 9); !errors.Is(err, ugc.ErrNotFound) {
			t.Errorf("decide for a stranger: %v", err)
		}
	})

	t.Run("Erase", func(t *testing.T) {
		e := env(t, nil)
		s := e.UGC
		a := submit(t, e, "a", 1, "https://example.com/a")
		b := submit(t, e, "b", 1, "https://example.com/b")
		other := submit(t, e, "o", 2, "https://example.com/o")
		if _, err := s.Approve(ctx, a.ID, 9, 0, ""); err != nil {
			t.Fatal(err)
		}
		code, _ := s.Referrals().Code(ctx, 1)
		if _, err := s.Ambassadors().Apply(ctx, 1, "my secrets"); err != nil {
			t.Fatal(err)
		}
		e.Clock.Advance(time.Hour)
		if err := s.Erase(ctx, 1); err != nil {
			t.Fatal(err)
		}
		subs, err := s.List(ctx, ugc.Filter{Member: 1}, 10)
		if err != nil || len(subs) != 2 {
			t.Fatalf("submissions after erase = %+v %v", subs, err)
		}
		for _, sub := range subs {
			if sub.Note != "" {
				t.Errorf("#%d keeps its note %q", sub.ID, sub.Note)
			}
		}
		if got, _ := s.Get(ctx, b.ID); got.Status != ugc.Rejected || got.Reason != ugc.ReasonErased || !got.Reviewed.Equal(Start.Add(time.Hour)) {
			t.Errorf("pending submission after erase = %+v", got)
		}
		if got, _ := s.Get(ctx, a.ID); got.Status != ugc.Approved || got.Points != 200 {
			t.Errorf("approved submission after erase = %+v", got)
		}
		if q, _ := s.Queue(ctx, 10); !slices.Equal(subIDs(q), []uint64{other.ID}) {
			t.Errorf("queue after erase = %v, want only the other member's", subIDs(q))
		}
		if _, err := s.Referrals().Attribute(ctx, 5, code, "start", true); !errors.Is(err, ugc.ErrNotFound) {
			t.Errorf("the erased member's code still works: %v", err)
		}
		if fresh, err := s.Referrals().Code(ctx, 1); err != nil || fresh == code || len(fresh) != 6 {
			t.Errorf("a code after erase = %q %v", fresh, err)
		}
		if apps, _ := s.Ambassadors().Applications(ctx); len(apps) != 0 {
			t.Errorf("applications after erase = %+v", apps)
		}
		if _, err := s.Ambassadors().Apply(ctx, 1, "back"); err != nil {
			t.Errorf("apply after erase: %v", err)
		}
		if err := s.Erase(ctx, 1); err != nil {
			t.Errorf("erase again: %v", err)
		}
	})

	t.Run("Merge", func(t *testing.T) {
		e := env(t, nil)
		s := e.UGC
		// 9 referred 1 (from); 1 referred 5 and 6; 2 (to) has a post and an application.
		c9, _ := s.Referrals().Code(ctx, 9)
		if _, err := s.Referrals().Attribute(ctx, 1, c9, "start", true); err != nil {
			t.Fatal(err)
		}
		c1, _ := s.Referrals().Code(ctx, 1)
		for _, referee := range []uint64{5, 6} {
			if _, err := s.Referrals().Attribute(ctx, referee, c1, "start", true); err != nil {
				t.Fatal(err)
			}
		}
		mine := submit(t, e, "m", 1, "https://example.com/m")
		theirs := submit(t, e, "t", 2, "https://example.com/t")
		if _, err := s.Ambassadors().Apply(ctx, 1, "from's application"); err != nil {
			t.Fatal(err)
		}
		if err := s.Merge(ctx, 1, 2); err != nil {
			t.Fatal(err)
		}
		if subs, err := s.List(ctx, ugc.Filter{Member: 2}, 10); err != nil || !slices.Equal(subIDs(subs), []uint64{theirs.ID, mine.ID}) || subs[1].Member != 2 {
			t.Errorf("to's submissions = %+v %v", subs, err)
		}
		if subs, err := s.List(ctx, ugc.Filter{Member: 1}, 10); err != nil || len(subs) != 0 {
			t.Errorf("from's submissions = %v %v", subIDs(subs), err)
		}
		if refs, err := s.Referrals().By(ctx, 2); err != nil || len(refs) != 2 || refs[0].Referee != 6 || refs[0].Referrer != 2 {
			t.Errorf("referrals by to = %+v %v", refs, err)
		}
		if refs, _ := s.Referrals().By(ctx, 1); len(refs) != 0 {
			t.Errorf("referrals by from = %+v", refs)
		}
		if ref, found, err := s.Referrals().Of(ctx, 2); err != nil || !found || ref.Referrer != 9 || ref.Referee != 2 {
			t.Errorf("the referral that brought to = %+v %v %v", ref, found, err)
		}
		if _, found, _ := s.Referrals().Of(ctx, 1); found {
			t.Error("from keeps its referral")
		}
		if refs, _ := s.Referrals().By(ctx, 9); len(refs) != 1 || refs[0].Referee != 2 {
			t.Errorf("referrals by 9 = %+v", refs)
		}
		if code, err := s.Referrals().Code(ctx, 2); err != nil || code != c1 {
			t.Errorf("to's code = %q %v, want from's %q", code, err, c1)
		}
		if ref, err := s.Referrals().Attribute(ctx, 7, c1, "start", true); err != nil || ref.Referrer != 2 {
			t.Errorf("from's code credits %+v %v, want to", ref, err)
		}
		if apps, _ := s.Ambassadors().Applications(ctx); len(apps) != 1 || apps[0].Member != 2 || apps[0].Why != "from's application" {
			t.Errorf("applications after merge = %+v", apps)
		}
		if _, act, err := s.Ambassadors().Level(ctx, 2); err != nil || act.Pending != 2 {
			t.Errorf("to's activity = %+v %v", act, err)
		}
	})

	t.Run("Merge_KeepsTosOwn", func(t *testing.T) {
		e := env(t, nil)
		s := e.UGC
		c8, _ := s.Referrals().Code(ctx, 8)
		c9, _ := s.Referrals().Code(ctx, 9)
		if _, err := s.Referrals().Attribute(ctx, 1, c8, "start", true); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Referrals().Attribute(ctx, 2, c9, "start", true); err != nil {
			t.Fatal(err)
		}
		c1, _ := s.Referrals().Code(ctx, 1)
		c2, _ := s.Referrals().Code(ctx, 2)
		if _, err := s.Ambassadors().Apply(ctx, 1, "from"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Ambassadors().Apply(ctx, 2, "to"); err != nil {
			t.Fatal(err)
		}
		if err := s.Merge(ctx, 1, 2); err != nil {
			t.Fatal(err)
		}
		if ref, _, _ := s.Referrals().Of(ctx, 2); ref.Referrer != 9 {
			t.Errorf("to's referral = %+v, want 9's kept", ref)
		}
		if refs, _ := s.Referrals().By(ctx, 8); len(refs) != 0 {
			t.Errorf("referrals by 8 = %+v, want from's dropped", refs)
		}
		if code, _ := s.Referrals().Code(ctx, 2); code != c2 {
			t.Errorf("to's code = %q, want its own %q", code, c2)
		}
		if ref, err := s.Referrals().Attribute(ctx, 7, c1, "start", true); err != nil || ref.Referrer != 2 {
			t.Errorf("from's code credits %+v %v, want to", ref, err)
		}
		if apps, _ := s.Ambassadors().Applications(ctx); len(apps) != 1 || apps[0].Why != "to" {
			t.Errorf("applications = %+v, want to's own", apps)
		}
	})

	t.Run("Crash_Reopen", func(t *testing.T) {
		for _, c := range []struct {
			op      string
			setup   func(t *testing.T, e *Env) uint64 // returns the subject: a submission or a referee
			act     func(e *Env, id uint64) error
			again   func(t *testing.T, e *Env, id uint64)
			pending int
			paid    map[uint64]int64
		}{{
			op: "approve",
			setup: func(t *testing.T, e *Env) uint64 {
				return submit(t, e, "k", 1, "https://example.com/a").ID
			},
			act: func(e *Env, id uint64) error { _, err := e.UGC.Approve(ctx, id, 9, 0, ""); return err },
			again: func(t *testing.T, e *Env, id uint64) {
				if got, err := e.UGC.Approve(ctx, id, 9, 0, ""); err != nil || !got.Replay || got.Points != 200 {
					t.Errorf("approve again = %+v %v", got, err)
				}
			},
			pending: 1, paid: map[uint64]int64{1: 200},
		}, {
			op: "feature",
			setup: func(t *testing.T, e *Env) uint64 {
				sub := submit(t, e, "k", 1, "https://example.com/a")
				if _, err := e.UGC.Approve(ctx, sub.ID, 9, 0, ""); err != nil {
					t.Fatal(err)
				}
				return sub.ID
			},
			act: func(e *Env, id uint64) error { _, _, err := e.UGC.Feature(ctx, id, 9); return err },
			again: func(t *testing.T, e *Env, id uint64) {
				if got, n, err := e.UGC.Feature(ctx, id, 9); err != nil || !got.Replay || n != 300 {
					t.Errorf("feature again = %+v %d %v", got, n, err)
				}
			},
			pending: 1, paid: map[uint64]int64{1: 500},
		}, {
			op: "qualify",
			setup: func(t *testing.T, e *Env) uint64 {
				code, err := e.UGC.Referrals().Code(ctx, 1)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := e.UGC.Referrals().Attribute(ctx, 2, code, "start", true); err != nil {
					t.Fatal(err)
				}
				return 2
			},
			act: func(e *Env, id uint64) error { _, _, err := e.UGC.Referrals().Qualify(ctx, id); return err },
			again: func(t *testing.T, e *Env, id uint64) {
				if ref, paid, err := e.UGC.Referrals().Qualify(ctx, id); err != nil || paid || !ref.Replay {
					t.Errorf("qualify again = %+v %v %v", ref, paid, err)
				}
			},
			pending: 2, paid: map[uint64]int64{1: 300, 2: 100},
		}} {
			for _, finish := range []string{"resume", "retry"} {
				t.Run(c.op+"_"+finish, func(t *testing.T) {
					var armed, fired atomic.Bool
					e := env(t, func(cfg *ugc.Config) {
						cfg.StepHook = func(op string, step int) error {
							if armed.Load() && op == c.op && step == 1 {
								armed.Store(false)
								fired.Store(true)
								return errCrash
							}
							return nil
						}
					})
					id := c.setup(t, e)
					before := map[uint64]int64{}
					for m := range c.paid {
						before[m] = e.Balance(t, m)
					}
					armed.Store(true)
					if err := c.act(e, id); !errors.Is(err, errCrash) || !fired.Load() {
						t.Fatalf("%s: %v, want the crash at step 1", c.op, err)
					}
					if n, err := e.UGC.Pending(ctx); err != nil || n != c.pending {
						t.Errorf("payments pending after the crash: %d %v, want %d", n, err, c.pending)
					}
					for m, b := range before {
						if got := e.Balance(t, m); got != b {
							t.Errorf("member %d balance %d after the crash, want %d (nothing posted yet)", m, got, b)
						}
					}
					cfg := e.Config
					cfg.StepHook = nil
					e.Restart(t, cfg)
					if err := e.UGC.Verify(ctx); err != nil {
						t.Errorf("verify after reopening: %v", err)
					}
					if n, err := e.UGC.Pending(ctx); err != nil || n != c.pending {
						t.Errorf("payments pending after reopening: %d %v, want %d", n, err, c.pending)
					}
					if finish == "resume" {
						if n, err := e.UGC.Resume(ctx); err != nil || n != c.pending {
							t.Errorf("resume = %d %v, want %d", n, err, c.pending)
						}
					}
					c.again(t, e, id) // retried by the manager, or after Resume: a replay either way
					if n, err := e.UGC.Resume(ctx); err != nil || n != 0 {
						t.Errorf("resume again = %d %v, want nothing left", n, err)
					}
					if n, err := e.UGC.Pending(ctx); err != nil || n != 0 {
						t.Errorf("payments pending at the end: %d %v", n, err)
					}
					for m, want := range c.paid {
						if got := e.Balance(t, m); got != want {
							t.Errorf("member %d balance %d, want %d paid once", m, got, want)
						}
					}
				})
			}
		}
	})

	t.Run("Resume_AfterPostedPayment", func(t *testing.T) {
		// The ledger posted, then the process died before the payment was
		// forgotten: resuming replays the ledger entry and pays nothing twice.
		e := env(t, nil)
		sub := submit(t, e, "k", 1, "https://example.com/a")
		e.Ledger.AfterPost.Store(true)
		e.Ledger.Fail.Store(1)
		if _, err := e.UGC.Approve(ctx, sub.ID, 9, 0, ""); !errors.Is(err, ErrDiskOnFire) {
			t.Fatalf("approve: %v", err)
		}
		if n, _ := e.UGC.Pending(ctx); n != 1 || e.Balance(t, 1) != 200 {
			t.Fatalf("%d payments pending, balance %d; want 1 and 200", n, e.Balance(t, 1))
		}
		e.Restart(t, e.Config)
		if n, err := e.UGC.Resume(ctx); err != nil || n != 1 {
			t.Errorf("resume = %d %v", n, err)
		}
		if n, _ := e.UGC.Pending(ctx); n != 0 || e.Balance(t, 1) != 200 {
			t.Errorf("%d payments pending, balance %d; want 0 and 200 paid once", n, e.Balance(t, 1))
		}
	})

	t.Run("Canceled", func(t *testing.T) {
		e := env(t, nil)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := e.UGC.Submit(cctx, "k", 1, "https://example.com/a", ""); !errors.Is(err, context.Canceled) {
			t.Errorf("submit: %v", err)
		}
		if _, err := e.UGC.List(cctx, ugc.Filter{}, 10); !errors.Is(err, context.Canceled) {
			t.Errorf("list: %v", err)
		}
		called := false
		if err := e.Store.View(cctx, func(ugc.ReadTx) error { called = true; return nil }); !errors.Is(err, context.Canceled) || called {
			t.Errorf("view: %v, fn called %v", err, called)
		}
		if err := e.Store.Update(cctx, func(ugc.Tx) error { called = true; return nil }); !errors.Is(err, context.Canceled) || called {
			t.Errorf("update: %v, fn called %v", err, called)
		}
		if subs, _ := e.UGC.List(ctx, ugc.Filter{}, 10); len(subs) != 0 {
			t.Errorf("a canceled submit stored %v", subIDs(subs))
		}
	})

	t.Run("Store_Rollback", func(t *testing.T) {
		e := env(t, nil)
		boom := errors.New("boom")
		err := e.Store.Update(ctx, func(tx ugc.Tx) error {
			id, err := tx.NextSubmissionID()
			if err != nil {
				return err
			}
			if err := tx.PutSubmission(ugc.Submission{ID: id, Member: 1, Canonical: "https://example.com/x", Status: ugc.Pending}); err != nil {
				return err
			}
			if err := tx.PutPayment(loyalty.Posting{Key: "k", From: loyalty.Issuance("ugc"), To: loyalty.Member(1), Amount: 5}); err != nil {
				return err
			}
			return fmt.Errorf("after the writes: %w", boom)
		})
		if !errors.Is(err, boom) {
			t.Fatalf("update = %v, want fn's error", err)
		}
		if q, _ := e.UGC.Queue(ctx, 10); len(q) != 0 {
			t.Errorf("rolled back submission queued: %v", subIDs(q))
		}
		if subs, _ := e.UGC.List(ctx, ugc.Filter{Member: 1}, 10); len(subs) != 0 {
			t.Errorf("rolled back submission indexed: %v", subIDs(subs))
		}
		if n, _ := e.UGC.Pending(ctx); n != 0 {
			t.Errorf("rolled back payment pending: %d", n)
		}
		if _, err := e.UGC.Submit(ctx, "k", 2, "https://example.com/x", ""); err != nil {
			t.Errorf("submit the rolled back link: %v", err)
		}
	})

	t.Run("Store_Indexes", func(t *testing.T) {
		e := env(t, nil)
		st := e.Store
		sub := ugc.Submission{Member: 1, Canonical: "https://example.com/x", Status: ugc.Pending}
		ref := ugc.Referral{Referrer: 7, Referee: 8, Status: ugc.RefPending}
		update := func(fn func(tx ugc.Tx) error) {
			t.Helper()
			if err := st.Update(ctx, fn); err != nil {
				t.Fatal(err)
			}
		}
		type view struct {
			of1, of2, pending, by7, by9 []uint64
			byURL, byNewURL             uint64
		}
		look := func() view {
			t.Helper()
			var v view
			ids := func(into *[]uint64) func(uint64) error {
				return func(id uint64) error { *into = append(*into, id); return nil }
			}
			err := st.View(ctx, func(tx ugc.ReadTx) error {
				for _, err := range []error{
					tx.SubmissionIDsOf(1, ugc.OldestFirst, ids(&v.of1)), tx.SubmissionIDsOf(2, ugc.NewestFirst, ids(&v.of2)),
					tx.PendingIDs(ids(&v.pending)), tx.RefereesOf(7, ids(&v.by7)), tx.RefereesOf(9, ids(&v.by9)),
				} {
					if err != nil {
						return err
					}
				}
				v.byURL, _, _ = tx.SubmissionIDByURL("https://example.com/x")
				v.byNewURL, _, _ = tx.SubmissionIDByURL("https://example.com/y")
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		update(func(tx ugc.Tx) error {
			var err error
			if sub.ID, err = tx.NextSubmissionID(); err != nil {
				return err
			}
			if err := tx.PutSubmission(sub); err != nil {
				return err
			}
			return tx.PutReferral(ref)
		})
		if v := look(); !slices.Equal(v.of1, []uint64{sub.ID}) || v.of2 != nil || !slices.Equal(v.pending, []uint64{sub.ID}) ||
			v.byURL != sub.ID || !slices.Equal(v.by7, []uint64{8}) {
			t.Errorf("after the first writes: %+v", v)
		}
		update(func(tx ugc.Tx) error {
			sub.Member, sub.Status, sub.Canonical = 2, ugc.Approved, "https://example.com/y"
			if err := tx.PutSubmission(sub); err != nil {
				return err
			}
			ref.Referrer = 9
			return tx.PutReferral(ref)
		})
		if v := look(); v.of1 != nil || !slices.Equal(v.of2, []uint64{sub.ID}) || v.pending != nil || v.byURL != 0 || v.byNewURL != sub.ID ||
			v.by7 != nil || !slices.Equal(v.by9, []uint64{8}) {
			t.Errorf("after moving both: %+v", v)
		}
		update(func(tx ugc.Tx) error {
			if err := tx.DeleteReferral(8); err != nil {
				return err
			}
			return tx.DeleteReferral(80) // none: nothing to do
		})
		if v := look(); v.by9 != nil {
			t.Errorf("after deleting the referral: %+v", v)
		}
		if _, found, err := e.UGC.Referrals().Of(ctx, 8); found || err != nil {
			t.Errorf("deleted referral: %v %v", found, err)
		}
		err := st.View(ctx, func(tx ugc.ReadTx) error {
			return tx.Submissions(ugc.NewestFirst, func(s ugc.Submission) error {
				if s != sub {
					t.Errorf("stored %+v, want %+v", s, sub)
				}
				return nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
