package loyaltytest

import (
	"slices"
	"testing"

	"github.com/loyalbot/loyalbot/loyalty"
)

// ledgerRedemptions lists redemptions: all, pending, one member's (with
// the accounts merged into it), newest first and up to a limit.
func (s suite) ledgerRedemptions(t *testing.T) {
	l, _ := s.ledger(t)
	carol := loyalty.Member(3)
	mustReward(t, l, "pin", 10)
	mustReward(t, l, "cup", 20)
	for i, a := range []loyalty.AccountID{alice, bob, carol} {
		mustCredit(t, l, a, 100, "seed"+string(rune('a'+i)))
	}
	redeem := func(key string, a loyalty.AccountID, reward string) loyalty.Redemption {
		t.Helper()
		rd, err := l.Redeem(ctx, key, a, reward)
		if err != nil {
			t.Fatal(err)
		}
		return rd
	}
	r1, r2, r3 := redeem("a1", alice, "pin"), redeem("b1", bob, "pin"), redeem("a2", alice, "cup")
	r4, r5 := redeem("c1", carol, "pin"), redeem("b2", bob, "cup")
	if _, err := l.Fulfil(ctx, r3.Code, "handed over"); err != nil {
		t.Fatal(err)
	}
	check := func(name string, a loyalty.AccountID, pending bool, limit int, want ...loyalty.Redemption) {
		t.Helper()
		got, err := l.Redemptions(ctx, a, pending, limit)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ids := func(rds []loyalty.Redemption) []uint64 {
			var out []uint64
			for _, rd := range rds {
				out = append(out, rd.ID)
			}
			return out
		}
		if !slices.Equal(ids(got), ids(want)) {
			t.Errorf("%s: redemptions %v, want %v", name, ids(got), ids(want))
		}
	}
	check("all", "", false, 10, r5, r4, r3, r2, r1)
	check("limit", "", false, 2, r5, r4)
	check("pending", "", true, 10, r5, r4, r2, r1)
	check("member", alice, false, 10, r3, r1)
	check("member_pending", alice, true, 10, r1)
	check("other_member", carol, false, 10, r4)
	check("none", loyalty.Member(9), false, 10)

	if _, err := l.Merge(ctx, "link", bob, alice); err != nil {
		t.Fatal(err)
	}
	check("merged", alice, false, 10, r5, r3, r2, r1)
	check("merged_limit", alice, true, 2, r5, r2)
	check("merged_read_as_survivor", bob, false, 10, r5, r3, r2, r1)
	r6 := redeem("b3", bob, "pin") // a late redemption for the merged account lands on the survivor
	if r6.Account != alice {
		t.Errorf("redemption for a merged account recorded for %s, want %s", r6.Account, alice)
	}
	check("after_merge", alice, false, 1, r6)
}
