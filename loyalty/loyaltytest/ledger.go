package loyaltytest

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/loyalty"
)

var (
	ctx   = context.Background()
	t0    = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	alice = loyalty.Member(1)
	bob   = loyalty.Member(2)
)

func mustCredit(t *testing.T, l *loyalty.Ledger, a loyalty.AccountID, n int64, key string) loyalty.Receipt {
	t.Helper()
	rc, err := l.Credit(ctx, a, "checkin", n, key, "test")
	if err != nil {
		t.Fatalf("credit %s %d: %v", a, n, err)
	}
	return rc
}

func balance(t *testing.T, l *loyalty.Ledger, a loyalty.AccountID) loyalty.Balance {
	t.Helper()
	b, err := l.Balance(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (s suite) ledgerPostBadInput(t *testing.T) {
	l, _ := s.ledger(t)
	mustCredit(t, l, alice, 100, "seed")
	tests := []struct {
		name string
		p    loyalty.Posting
		want error
	}{
		{"zero_amount", loyalty.Posting{Key: "k1", From: loyalty.Issuance("checkin"), To: alice, Amount: 0}, loyalty.ErrInvalidAmount},
		{"negative_amount", loyalty.Posting{Key: "k2", From: loyalty.Issuance("checkin"), To: alice, Amount: -5}, loyalty.ErrInvalidAmount},
		{"empty_key", loyalty.Posting{From: loyalty.Issuance("checkin"), To: alice, Amount: 5}, loyalty.ErrEmptyKey},
		{"unknown_from", loyalty.Posting{Key: "k3", From: "bank", To: alice, Amount: 5}, loyalty.ErrUnknownAccount},
		{"unknown_to", loyalty.Posting{Key: "k4", From: alice, To: "member:abc", Amount: 5}, loyalty.ErrUnknownAccount},
		{"member_zero", loyalty.Posting{Key: "k5", From: alice, To: "member:0", Amount: 5}, loyalty.ErrUnknownAccount},
		{"bad_source", loyalty.Posting{Key: "k6", From: "issuance:Check In", To: alice, Amount: 5}, loyalty.ErrUnknownAccount},
		{"same_account", loyalty.Posting{Key: "k7", From: alice, To: alice, Amount: 5}, loyalty.ErrSameAccount},
		{"overdraw", loyalty.Posting{Key: "k8", From: alice, To: loyalty.RedemptionAccount, Amount: 101}, loyalty.ErrInsufficientFunds},
		{"overdraw_unknown_member", loyalty.Posting{Key: "k9", From: bob, To: alice, Amount: 1}, loyalty.ErrInsufficientFunds},
		{"overflow", loyalty.Posting{Key: "k10", From: loyalty.Issuance("import"), To: alice, Amount: math.MaxInt64}, loyalty.ErrOverflow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := l.Post(ctx, tt.p)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Post = %v, want %v", err, tt.want)
			}
			if _, err := l.EntryByKey(ctx, tt.p.Key); tt.p.Key != "" && !errors.Is(err, loyalty.ErrNotFound) {
				t.Errorf("key %q was written: %v", tt.p.Key, err)
			}
			if b := balance(t, l, alice); b.Balance != 100 {
				t.Errorf("alice balance %d after rejected post, want 100", b.Balance)
			}
		})
	}
	var short *loyalty.InsufficientFundsError
	_, err := l.Debit(ctx, alice, loyalty.RedemptionAccount, 130, "short", "")
	if !errors.As(err, &short) || short.Missing() != 30 {
		t.Errorf("Debit 130 of 100 = %v, want InsufficientFundsError missing 30", err)
	}
}

func (s suite) ledgerPostIdempotency(t *testing.T) {
	l, _ := s.ledger(t)
	first := mustCredit(t, l, alice, 10, "checkin:1:2026-03-10")
	again := mustCredit(t, l, alice, 10, "checkin:1:2026-03-10")
	if first.Replay || !again.Replay || again.Entry != first.Entry {
		t.Errorf("replay = %+v, first = %+v", again, first)
	}
	if b := balance(t, l, alice); b.Balance != 10 {
		t.Errorf("balance %d, want 10", b.Balance)
	}
	for _, p := range []loyalty.Posting{
		{Key: "checkin:1:2026-03-10", From: loyalty.Issuance("checkin"), To: alice, Amount: 11, Reason: "test"},
		{Key: "checkin:1:2026-03-10", From: loyalty.Issuance("checkin"), To: bob, Amount: 10, Reason: "test"},
		{Key: "checkin:1:2026-03-10", From: loyalty.Issuance("checkin"), To: alice, Amount: 10, Reason: "other"},
	} {
		if _, err := l.Post(ctx, p); !errors.Is(err, loyalty.ErrIdempotencyConflict) {
			t.Errorf("Post(%+v) = %v, want ErrIdempotencyConflict", p, err)
		}
	}
	if _, err := l.Hold(ctx, "checkin:1:2026-03-10", alice, 1, time.Hour, ""); !errors.Is(err, loyalty.ErrIdempotencyConflict) {
		t.Errorf("Hold with a posting's key = %v, want ErrIdempotencyConflict", err)
	}
}

func (s suite) ledgerReverse(t *testing.T) {
	l, clk := s.ledger(t)
	mustCredit(t, l, alice, 100, "c1")
	clk.Advance(24 * time.Hour)
	mustCredit(t, l, alice, 50, "c2")
	spend, err := l.Debit(ctx, alice, loyalty.RedemptionAccount, 120, "d1", "mug")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("debit_gives_back_original_lots", func(t *testing.T) {
		rc, err := l.Reverse(ctx, "r1", "d1", "refund")
		if err != nil {
			t.Fatal(err)
		}
		if rc.Entry.Reverses != spend.Entry.ID || rc.Entry.To != alice || rc.Entry.Amount != 120 {
			t.Errorf("reversal entry %+v", rc.Entry)
		}
		lots, _ := l.Lots(ctx, alice)
		if len(lots) != 2 || lots[0].Remaining != 100 || lots[1].Remaining != 50 {
			t.Errorf("lots after refund %+v, want the original 100 and 50", lots)
		}
	})
	t.Run("at_most_once", func(t *testing.T) {
		if rc, err := l.Reverse(ctx, "r1", "d1", "refund"); err != nil || !rc.Replay {
			t.Errorf("same key again = %+v, %v; want replay", rc, err)
		}
		if _, err := l.Reverse(ctx, "r2", "d1", "refund"); !errors.Is(err, loyalty.ErrAlreadyReversed) {
			t.Errorf("second reversal = %v, want ErrAlreadyReversed", err)
		}
		if _, err := l.Reverse(ctx, "r3", "r1", "undo"); !errors.Is(err, loyalty.ErrNotFound) {
			t.Errorf("reversing a reversal = %v, want ErrNotFound (not a posting key)", err)
		}
		if _, err := l.Reverse(ctx, "r4", "nope", ""); !errors.Is(err, loyalty.ErrNotFound) {
			t.Errorf("unknown key = %v", err)
		}
	})
	t.Run("credit_already_spent", func(t *testing.T) {
		if _, err := l.Debit(ctx, alice, loyalty.RedemptionAccount, 140, "d2", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Reverse(ctx, "r5", "c1", "fraud"); !errors.Is(err, loyalty.ErrInsufficientFunds) {
			t.Errorf("reversing spent credit = %v, want ErrInsufficientFunds", err)
		}
	})
	t.Run("history_shows_both", func(t *testing.T) {
		h, _, err := l.History(ctx, alice, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, e := range h {
			keys = append(keys, e.Key)
		}
		if got, want := keys, []string{"d2", "r1", "d1", "c2", "c1"}; !slices.Equal(got, want) {
			t.Errorf("history keys %v, want %v", got, want)
		}
		if amt, counter := h[1].For(alice); amt != 120 || counter != loyalty.RedemptionAccount {
			t.Errorf("reversal for alice = %d from %s", amt, counter)
		}
	})
}

func (s suite) ledgerHistoryPagination(t *testing.T) {
	l, _ := s.ledger(t)
	for i := range 25 {
		mustCredit(t, l, alice, int64(i+1), "h"+string(rune('a'+i)))
	}
	mustCredit(t, l, bob, 5, "bob")
	var all []loyalty.Entry
	var cursor uint64
	for page := 0; ; page++ {
		es, next, err := l.History(ctx, alice, cursor, 10)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, es...)
		if next == 0 {
			break
		}
		cursor = next
		if page > 5 {
			t.Fatal("pagination does not end")
		}
	}
	if len(all) != 25 {
		t.Fatalf("got %d entries over pages, want 25", len(all))
	}
	for i := 1; i < len(all); i++ {
		if all[i].ID >= all[i-1].ID {
			t.Fatalf("not newest first at %d: %d then %d", i, all[i-1].ID, all[i].ID)
		}
	}
}

func (s suite) ledgerExpiry(t *testing.T) {
	clk := NewClock(t0)
	l := s.open(t, loyalty.Config{Now: clk.Now, Expiry: 30 * 24 * time.Hour})
	mustCredit(t, l, alice, 100, "e1")
	clk.Advance(10 * 24 * time.Hour)
	mustCredit(t, l, alice, 40, "e2")
	if _, err := l.Debit(ctx, alice, loyalty.RedemptionAccount, 30, "spend", ""); err != nil {
		t.Fatal(err)
	}
	lot, ok, err := l.NextExpiry(ctx, alice)
	wantAt := time.Date(2026, 4, 10, 0, 0, 0, 0, time.UTC) // end of the day 30 days after t0
	if err != nil || !ok || lot.Remaining != 70 || !lot.Expires.Equal(wantAt) {
		t.Fatalf("NextExpiry = %+v %v %v, want 70 at %s", lot, ok, err, wantAt)
	}
	rep, err := l.ExpireDue(ctx, wantAt.Add(-time.Second))
	if err != nil || rep.Lots != 0 {
		t.Fatalf("early ExpireDue = %+v, %v", rep, err)
	}
	for range 2 { // twice: the second run finds nothing
		if _, err := l.ExpireDue(ctx, wantAt); err != nil {
			t.Fatal(err)
		}
	}
	if b := balance(t, l, alice); b.Balance != 40 {
		t.Errorf("balance after expiry %d, want 40", b.Balance)
	}
	if b := balance(t, l, loyalty.ExpiryAccount); b.Balance != 70 {
		t.Errorf("expiry account %d, want 70", b.Balance)
	}
	t.Run("never", func(t *testing.T) {
		l := s.open(t, loyalty.Config{Now: clk.Now, Expiry: -1})
		mustCredit(t, l, alice, 5, "n1")
		if _, ok, _ := l.NextExpiry(ctx, alice); ok {
			t.Error("points expire with Expiry < 0")
		}
		if rep, _ := l.ExpireDue(ctx, clk.Now().AddDate(50, 0, 0)); rep.Points != 0 {
			t.Errorf("expired %d points", rep.Points)
		}
	})
	t.Run("held_points_wait", func(t *testing.T) {
		l := s.open(t, loyalty.Config{Now: clk.Now, Expiry: 24 * time.Hour})
		mustCredit(t, l, alice, 50, "x1")
		hd, err := l.Hold(ctx, "hold", alice, 20, 72*time.Hour, "")
		if err != nil {
			t.Fatal(err)
		}
		if rep, _ := l.ExpireDue(ctx, clk.Now().Add(49*time.Hour)); rep.Points != 30 {
			t.Errorf("expired %d with 20 held, want 30", rep.Points)
		}
		if _, err := l.Capture(ctx, "cap", hd.ID, loyalty.RedemptionAccount, "reward"); err != nil {
			t.Errorf("capture after expiry run: %v", err)
		}
	})
}

func (s suite) ledgerHolds(t *testing.T) {
	l, clk := s.ledger(t)
	mustCredit(t, l, alice, 100, "c")
	hd, err := l.Hold(ctx, "h1", alice, 80, time.Hour, "hoodie")
	if err != nil {
		t.Fatal(err)
	}
	if b := balance(t, l, alice); b.Available != 20 || b.Held != 80 || b.Balance != 100 {
		t.Errorf("after hold %+v", b)
	}
	if _, err := l.Debit(ctx, alice, loyalty.RedemptionAccount, 21, "d", ""); !errors.Is(err, loyalty.ErrInsufficientFunds) {
		t.Errorf("debit past available = %v", err)
	}
	if _, err := l.Hold(ctx, "h2", alice, 21, time.Hour, ""); !errors.Is(err, loyalty.ErrInsufficientFunds) {
		t.Errorf("second hold past available = %v", err)
	}
	rc, err := l.Capture(ctx, "cap1", hd.ID, loyalty.RedemptionAccount, "hoodie")
	if err != nil || rc.Entry.Amount != 80 {
		t.Fatalf("capture = %+v, %v", rc, err)
	}
	if rc, err := l.Capture(ctx, "cap1", hd.ID, loyalty.RedemptionAccount, "hoodie"); err != nil || !rc.Replay {
		t.Errorf("capture again, same key = %+v %v", rc, err)
	}
	if _, err := l.Capture(ctx, "cap2", hd.ID, loyalty.RedemptionAccount, "hoodie"); !errors.Is(err, loyalty.ErrHoldResolved) {
		t.Errorf("capture again, new key = %v", err)
	}
	if _, err := l.Void(ctx, "v1", hd.ID); !errors.Is(err, loyalty.ErrHoldResolved) {
		t.Errorf("void captured = %v", err)
	}
	if b := balance(t, l, alice); b.Available != 20 || b.Held != 0 || b.Balance != 20 {
		t.Errorf("after capture %+v", b)
	}

	t.Run("ttl", func(t *testing.T) {
		hd, err := l.Hold(ctx, "h3", alice, 15, time.Minute, "")
		if err != nil {
			t.Fatal(err)
		}
		clk.Advance(2 * time.Minute)
		if b := balance(t, l, alice); b.Available != 20 {
			t.Errorf("expired hold still counts: %+v", b)
		}
		if _, err := l.Capture(ctx, "cap3", hd.ID, loyalty.RedemptionAccount, ""); !errors.Is(err, loyalty.ErrHoldExpired) {
			t.Errorf("capture past TTL = %v", err)
		}
		if rep, err := l.ExpireDue(ctx, clk.Now()); err != nil || rep.Holds != 1 {
			t.Errorf("ExpireDue voided %d holds, %v", rep.Holds, err)
		}
		if got, _ := l.HoldByID(ctx, hd.ID); got.State != loyalty.HoldVoided {
			t.Errorf("hold state %s", got.State)
		}
	})
	t.Run("void", func(t *testing.T) {
		hd, _ := l.Hold(ctx, "h4", alice, 5, time.Hour, "")
		if v, err := l.Void(ctx, "v4", hd.ID); err != nil || v.State != loyalty.HoldVoided {
			t.Fatalf("void = %+v %v", v, err)
		}
		if v, err := l.Void(ctx, "v4", hd.ID); err != nil || !v.Replay {
			t.Errorf("void replay = %+v %v", v, err)
		}
		if _, err := l.Void(ctx, "v5", 999); !errors.Is(err, loyalty.ErrNotFound) {
			t.Errorf("void unknown = %v", err)
		}
	})
}

func (s suite) ledgerTiers(t *testing.T) {
	l, clk := s.ledger(t)
	st, _ := l.TierOf(ctx, alice)
	if st.Tier.Name != "Leaf" || st.Next.Name != "Bud" || st.ToNext != 1000 {
		t.Errorf("new member %+v", st)
	}
	rc := mustCredit(t, l, alice, 999, "a")
	if rc.TierChange != nil {
		t.Errorf("tier change at 999: %+v", rc.TierChange)
	}
	rc = mustCredit(t, l, alice, 1, "b")
	if rc.TierChange == nil || rc.TierChange.To.Name != "Bud" || !rc.TierChange.Up() {
		t.Fatalf("crossing 1000: %+v", rc.TierChange)
	}
	// Bud multiplies earned points by 1.1.
	rc, err := l.Post(ctx, loyalty.Posting{Key: "m", From: loyalty.Issuance("orders"), To: alice, Amount: 100, Multiply: true})
	if err != nil || rc.Entry.Amount != 110 {
		t.Errorf("multiplied credit = %+v %v, want 110", rc.Entry, err)
	}
	// Spending does not lower the tier; reversing earned points does.
	if _, err := l.Debit(ctx, alice, loyalty.RedemptionAccount, 500, "spend", ""); err != nil {
		t.Fatal(err)
	}
	if st, _ := l.TierOf(ctx, alice); st.Tier.Name != "Bud" || st.Earned != 1110 {
		t.Errorf("after spending %+v", st)
	}
	rc, err = l.Reverse(ctx, "rev-m", "m", "refund")
	if err != nil || rc.TierChange != nil {
		t.Errorf("reverse 110: %+v %v", rc.TierChange, err)
	}
	rc, err = l.Reverse(ctx, "rev-b", "b", "fraud")
	if err != nil || rc.TierChange == nil || rc.TierChange.To.Name != "Leaf" {
		t.Errorf("reverse to 999: %+v %v", rc.TierChange, err)
	}
	// Earned points leave the 12-month window.
	mustCredit(t, l, alice, 1, "c")
	clk.Set(t0.AddDate(1, 0, 0))
	if st, _ := l.TierOf(ctx, alice); st.Earned != 0 {
		t.Errorf("a year later earned %d in window", st.Earned)
	}
	top, err := l.Leaderboard(ctx, loyalty.AllTime, 10)
	if err != nil || len(top) != 1 || top[0].Account != alice || top[0].Earned != 1000 {
		t.Errorf("all-time leaderboard %+v %v", top, err)
	}
}

func (s suite) openBadTiers(t *testing.T) {
	store := s.store(t)
	for _, ts := range [][]loyalty.Tier{
		{{Name: "A", Threshold: 5, Multiplier: 100}},
		{{Name: "A", Multiplier: 100}, {Name: "B", Threshold: 0, Multiplier: 100}},
		{{Name: "A", Multiplier: 50}},
	} {
		if _, err := loyalty.Open(store, loyalty.Config{Tiers: ts}); !errors.Is(err, loyalty.ErrBadTiers) {
			t.Errorf("Open(%+v) = %v", ts, err)
		}
	}
}

func (s suite) ledgerRedeem(t *testing.T) {
	l, clk := s.ledger(t)
	rewards := []loyalty.Reward{
		{ID: "sample", Name: "Tea sample", Cost: 100, Stock: 2, PerMember: 1},
		{ID: "mug", Name: "Mug", Cost: 500, Stock: loyalty.Unlimited},
		{ID: "old", Name: "Old", Cost: 10, Stock: 5, End: t0},
	}
	for _, r := range rewards {
		if err := l.PutReward(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	mustCredit(t, l, alice, 300, "a")
	mustCredit(t, l, bob, 300, "b")
	rd, err := l.Redeem(ctx, "redeem:1", alice, "sample")
	if err != nil || rd.State != loyalty.RedemptionPending || len(rd.Code) != 8 {
		t.Fatalf("redeem = %+v, %v", rd, err)
	}
	tests := []struct {
		name string
		key  string
		who  loyalty.AccountID
		id   string
		want error
	}{
		{"per_member_limit", "redeem:2", alice, "sample", loyalty.ErrLimitReached},
		{"insufficient", "redeem:3", alice, "mug", loyalty.ErrInsufficientFunds},
		{"expired_item", "redeem:4", alice, "old", loyalty.ErrRewardInactive},
		{"unknown_item", "redeem:5", alice, "car", loyalty.ErrUnknownReward},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := l.Redeem(ctx, tt.key, tt.who, tt.id); !errors.Is(err, tt.want) {
				t.Errorf("Redeem = %v, want %v", err, tt.want)
			}
		})
	}
	if b := balance(t, l, alice); b.Balance != 200 {
		t.Errorf("alice %d after failed redeems, want 200", b.Balance)
	}
	if again, err := l.Redeem(ctx, "redeem:1", alice, "sample"); err != nil || !again.Replay || again.Code != rd.Code {
		t.Errorf("replay = %+v %v", again, err)
	}
	if _, err := l.Redeem(ctx, "redeem:b", bob, "sample"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Redeem(ctx, "redeem:c", loyalty.Member(3), "sample"); !errors.Is(err, loyalty.ErrOutOfStock) {
		t.Errorf("third sample = %v, want ErrOutOfStock", err)
	}

	t.Run("cancel_refunds_once", func(t *testing.T) {
		got, err := l.Cancel(ctx, loyalty.FormatCode(rd.Code), "changed mind")
		if err != nil || got.State != loyalty.RedemptionCancelled {
			t.Fatalf("cancel = %+v %v", got, err)
		}
		if again, err := l.Cancel(ctx, rd.Code, "again"); err != nil || !again.Replay {
			t.Errorf("cancel again = %+v %v", again, err)
		}
		if b := balance(t, l, alice); b.Balance != 300 {
			t.Errorf("alice %d after cancel, want 300", b.Balance)
		}
		if r, _ := l.Reward(ctx, "sample"); r.Stock != 1 {
			t.Errorf("stock %d after cancel, want 1", r.Stock)
		}
		if _, err := l.Fulfil(ctx, rd.Code, ""); !errors.Is(err, loyalty.ErrRedemptionClosed) {
			t.Errorf("fulfil cancelled = %v", err)
		}
		if _, err := l.Redeem(ctx, "redeem:6", alice, "sample"); err != nil {
			t.Errorf("redeem after cancel (limit freed): %v", err)
		}
	})
	t.Run("fulfil", func(t *testing.T) {
		open, _ := l.Redemptions(ctx, "", true, 10)
		if len(open) != 2 {
			t.Fatalf("pending %d, want 2", len(open))
		}
		got, err := l.Fulfil(ctx, open[0].Code, "shipped")
		if err != nil || got.State != loyalty.RedemptionFulfilled {
			t.Fatalf("fulfil = %+v %v", got, err)
		}
		if _, err := l.Cancel(ctx, open[0].Code, ""); !errors.Is(err, loyalty.ErrRedemptionClosed) {
			t.Errorf("cancel fulfilled = %v", err)
		}
		if _, err := l.Fulfil(ctx, "ZZZZZZZZ", ""); !errors.Is(err, loyalty.ErrNotFound) {
			t.Errorf("fulfil unknown = %v", err)
		}
	})
	t.Run("restock_keeps_config_from_resetting_stock", func(t *testing.T) {
		if err := l.PutReward(ctx, rewards[0]); err != nil {
			t.Fatal(err)
		}
		r, _ := l.Reward(ctx, "sample")
		if r.Stock != 0 {
			t.Errorf("PutReward reset stock to %d", r.Stock)
		}
		if r, err = l.Restock(ctx, "sample", 3); err != nil || r.Stock != 3 {
			t.Errorf("restock = %+v %v", r, err)
		}
	})
	clk.Advance(time.Hour)
}

func (s suite) ledgerImport(t *testing.T) {
	l, _ := s.ledger(t)
	ps := []loyalty.Posting{
		{Key: "o1", From: loyalty.Issuance("orders"), To: alice, Amount: 10},
		{Key: "o2", From: loyalty.Issuance("orders"), To: alice, Amount: -1},
		{Key: "o3", From: bob, To: alice, Amount: 5},
		{Key: "o1", From: loyalty.Issuance("orders"), To: alice, Amount: 10},
	}
	rcs, errs, err := l.Import(ctx, ps)
	if err != nil {
		t.Fatal(err)
	}
	if errs[0] != nil || !errors.Is(errs[1], loyalty.ErrInvalidAmount) || !errors.Is(errs[2], loyalty.ErrInsufficientFunds) || errs[3] != nil || !rcs[3].Replay {
		t.Errorf("import results %v %+v", errs, rcs)
	}
	// Re-running the same file changes nothing.
	if _, _, err := l.Import(ctx, ps); err != nil {
		t.Fatal(err)
	}
	if b := balance(t, l, alice); b.Balance != 10 {
		t.Errorf("balance %d, want 10", b.Balance)
	}
}

func (s suite) ledgerClosed(t *testing.T) {
	l, err := loyalty.Open(s.store(t), loyalty.Config{})
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	if _, err := l.Credit(ctx, alice, "x", 1, "k", ""); !errors.Is(err, loyalty.ErrClosed) {
		t.Errorf("credit after close = %v", err)
	}
}

func (s suite) ledgerTiersBySpend(t *testing.T) {
	clk := NewClock(t0)
	l := s.open(t, loyalty.Config{Now: clk.Now, TierBasis: loyalty.TierBySpend})
	// Plenty of points from check-ins: no purchases, no tier.
	mustCredit(t, l, alice, 5_000, "checkins")
	if st, _ := l.TierOf(ctx, alice); st.Tier.Name != "Leaf" || st.Earned != 0 {
		t.Errorf("points alone moved the tier: %+v", st)
	}
	rc, err := l.Post(ctx, loyalty.Posting{Key: "order:1", From: loyalty.Issuance("orders"), To: alice, Amount: 100, Spend: 1_200})
	if err != nil || rc.TierChange == nil || rc.TierChange.To.Name != "Bud" {
		t.Fatalf("a 1,200 purchase: %+v %v", rc.TierChange, err)
	}
	// A refund claws the points back and the spend with them.
	rc, err = l.Post(ctx, loyalty.Posting{Key: "refund:1", From: alice, To: loyalty.Issuance("orders"), Amount: 50, Spend: 600})
	if err != nil || rc.TierChange == nil || rc.TierChange.To.Name != "Leaf" {
		t.Errorf("refund of 600: %+v %v", rc.TierChange, err)
	}
	if _, err := loyalty.Open(s.store(t), loyalty.Config{TierBasis: "vibes"}); !errors.Is(err, loyalty.ErrBadTiers) {
		t.Errorf("bad tier basis: %v", err)
	}
}

func (s suite) ledgerOnTierChange(t *testing.T) {
	var got []string
	var mu sync.Mutex
	hook := func(_ context.Context, tc loyalty.TierChange) {
		mu.Lock()
		got = append(got, string(tc.Account)+"→"+tc.To.Name)
		mu.Unlock()
	}
	l := s.open(t, loyalty.Config{Now: NewClock(t0).Now, OnTierChange: hook})
	mustCredit(t, l, alice, 1_000, "a")
	mustCredit(t, l, alice, 1_000, "a") // a replay reports nothing
	if _, _, err := l.Import(ctx, []loyalty.Posting{{Key: "b", From: loyalty.Issuance("import"), To: bob, Amount: 5_000}}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Reverse(ctx, "rev-a", "a", "mistake"); err != nil {
		t.Fatal(err)
	}
	want := []string{"member:1→Bud", "member:2→Blossom", "member:1→Leaf"}
	if !slices.Equal(got, want) {
		t.Errorf("tier changes %v, want %v", got, want)
	}
}
