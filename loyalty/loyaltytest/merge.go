package loyaltytest

import (
	"errors"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/loyalty"
)

// TestLedger_HoldUntil_Redelivered is the regression test for a redelivered
// order answering 500 forever: a hold whose idempotency payload held a TTL
// recomputed from now conflicted with itself one second later.
func (s suite) ledgerHoldUntilRedelivered(t *testing.T) {
	l, clk := s.ledger(t)
	mustCredit(t, l, alice, 100, "seed")
	end := t0.Add(14 * 24 * time.Hour)
	first, err := l.HoldUntil(ctx, "order-pending:A1", alice, 60, end, "return window")
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(90 * time.Second) // the shop redelivers later
	again, err := l.HoldUntil(ctx, "order-pending:A1", alice, 60, end, "return window")
	if err != nil || !again.Replay || again.ID != first.ID {
		t.Fatalf("redelivered hold = %+v, %v; want a replay of #%d", again, err, first.ID)
	}
	if b := balance(t, l, alice); b.Held != 60 {
		t.Errorf("held %d, want 60 (held once)", b.Held)
	}
	if _, err := l.HoldUntil(ctx, "past", alice, 1, t0, ""); !errors.Is(err, loyalty.ErrInvalidAmount) {
		t.Errorf("hold ending in the past: %v, want ErrInvalidAmount", err)
	}
}

func (s suite) ledgerCapturePart(t *testing.T) {
	l, clk := s.ledger(t)
	mustCredit(t, l, alice, 100, "seed")
	hd, err := l.HoldUntil(ctx, "h", alice, 100, t0.Add(time.Hour), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.CapturePart(ctx, loyalty.PartialCapture{Key: "c1", Hold: hd.ID, Amount: 30, Sink: loyalty.Issuance("orders"), Reason: "refund"}); err != nil {
		t.Fatal(err)
	}
	if rc, err := l.CapturePart(ctx, loyalty.PartialCapture{Key: "c1", Hold: hd.ID, Amount: 30, Sink: loyalty.Issuance("orders"), Reason: "refund"}); err != nil || !rc.Replay {
		t.Fatalf("retried capture: %+v %v, want a replay", rc, err)
	}
	if b := balance(t, l, alice); b.Balance != 70 || b.Held != 70 || b.Available != 0 {
		t.Errorf("after a 30 capture: %+v, want 70 on the account, all still held", b)
	}
	if _, err := l.CapturePart(ctx, loyalty.PartialCapture{Key: "c2", Hold: hd.ID, Amount: 71, Sink: loyalty.Issuance("orders")}); !errors.Is(err, loyalty.ErrInvalidAmount) {
		t.Errorf("capture above the hold: %v", err)
	}
	if _, err := l.CapturePart(ctx, loyalty.PartialCapture{Key: "c3", Hold: hd.ID, Amount: 70, Sink: loyalty.Issuance("orders")}); err != nil {
		t.Fatal(err)
	}
	if got, _ := l.HoldByID(ctx, hd.ID); got.State != loyalty.HoldCaptured {
		t.Errorf("hold state %s after capturing the rest, want captured", got.State)
	}
	clk.Advance(2 * time.Hour)
	if b := balance(t, l, alice); b.Balance != 0 || b.Held != 0 {
		t.Errorf("final %+v", b)
	}
}

func (s suite) ledgerMerge(t *testing.T) {
	l, clk := s.ledger(t)
	mustCredit(t, l, alice, 100, "a1")
	clk.Advance(40 * 24 * time.Hour)
	mustCredit(t, l, bob, 50, "b1")
	mustCredit(t, l, bob, 20, "b2")
	hd, err := l.Hold(ctx, "bob-hold", bob, 20, 48*time.Hour, "pending")
	if err != nil {
		t.Fatal(err)
	}
	rd, err := l.Redeem(ctx, "bob-redeem", bob, mustReward(t, l, "pin", 10))
	if err != nil {
		t.Fatal(err)
	}
	bobLots, _ := l.Lots(ctx, bob)

	rep, err := l.Merge(ctx, "link:2:1", bob, alice)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Points != 60 || rep.Held != 20 || rep.Holds != 1 {
		t.Errorf("report %+v, want 60 points, 20 held in 1 hold", rep)
	}
	if again, err := l.Merge(ctx, "link:2:1", bob, alice); err != nil || !again.Replay {
		t.Errorf("merge again: %+v %v", again, err)
	}
	b := balance(t, l, alice)
	if b.Balance != 160 || b.Held != 20 || b.Available != 140 || b.Earned != 170 {
		t.Errorf("survivor %+v, want 160 (20 held), 170 earned", b)
	}
	if got := balance(t, l, bob); got.Balance != 160 {
		t.Errorf("reading the merged account shows %d, want the survivor's 160", got.Balance)
	}
	// Lots keep their dates: bob's parcel still expires when it did.
	lots, _ := l.Lots(ctx, alice)
	found := false
	for _, lot := range lots {
		found = found || lot.Expires.Equal(bobLots[0].Expires)
	}
	if len(lots) != 2 || !found {
		t.Errorf("survivor lots %+v, want alice's and bob's own expiry dates (%v)", lots, bobLots)
	}
	// Later writes to the merged account land on the survivor.
	if _, err := l.Credit(ctx, bob, "orders", 5, "late", "late order"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Cancel(ctx, rd.Code, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Capture(ctx, "cap", hd.ID, loyalty.RedemptionAccount, ""); err != nil {
		t.Fatal(err)
	}
	if b := balance(t, l, alice); b.Balance != 160+5+10-20 || b.Held != 0 {
		t.Errorf("survivor after late writes %+v, want 155, none held", b)
	}
	if _, err := l.Merge(ctx, "self", alice, bob); !errors.Is(err, loyalty.ErrSameAccount) {
		t.Errorf("merging into an account merged into it: %v", err)
	}
	// Merging the merged bob again folds his survivor, alice, into carol:
	// both now read as carol, without a restart.
	carol := loyalty.Member(3)
	if _, err := l.Merge(ctx, "again", bob, carol); err != nil {
		t.Fatal(err)
	}
	for _, a := range []loyalty.AccountID{alice, bob} {
		if b := balance(t, l, a); b.Account != carol || b.Balance != 155 {
			t.Errorf("%s after its survivor merged into carol: %+v, want carol's 155", a, b)
		}
	}
}

func (s suite) ledgerForfeit(t *testing.T) {
	l, _ := s.ledger(t)
	mustCredit(t, l, alice, 100, "a1")
	if _, err := l.Hold(ctx, "h", alice, 40, time.Hour, ""); err != nil {
		t.Fatal(err)
	}
	rc, err := l.Forfeit(ctx, "erase:1", alice, loyalty.AdjustmentAccount, "erased")
	if err != nil || rc.Entry.Amount != 100 {
		t.Fatalf("forfeit %+v %v, want 100 (held points included)", rc, err)
	}
	if again, err := l.Forfeit(ctx, "erase:1", alice, loyalty.AdjustmentAccount, "erased"); err != nil || !again.Replay {
		t.Errorf("forfeit again: %+v %v", again, err)
	}
	if b := balance(t, l, alice); b.Balance != 0 || b.Held != 0 {
		t.Errorf("after forfeit %+v", b)
	}
	if rc, err := l.Forfeit(ctx, "erase:2", bob, loyalty.AdjustmentAccount, "erased"); err != nil || rc.Entry.ID != 0 {
		t.Errorf("forfeiting an empty account: %+v %v", rc, err)
	}
}

func mustReward(t *testing.T, l *loyalty.Ledger, id string, cost int64) string {
	t.Helper()
	if err := l.PutReward(ctx, loyalty.Reward{ID: id, Name: id, Cost: cost, Stock: loyalty.Unlimited}); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestLedger_Post_HoldUntil credits and holds in one step: the credited
// points are never spendable before their hold exists, and a retry returns
// the same hold.
func (s suite) ledgerPostHoldUntil(t *testing.T) {
	l, clk := s.ledger(t)
	p := loyalty.Posting{Key: "order:7", From: loyalty.Issuance("orders"), To: alice, Amount: 50, Reason: "order 7",
		HoldUntil: t0.Add(24 * time.Hour)}
	rc, err := l.Post(ctx, p)
	if err != nil || rc.Hold == nil || rc.Hold.Amount != 50 {
		t.Fatalf("post with hold: %+v %v", rc, err)
	}
	if b := balance(t, l, alice); b.Available != 0 || b.Held != 50 {
		t.Errorf("balance %+v, want all 50 held", b)
	}
	clk.Advance(time.Hour)
	again, err := l.Post(ctx, p)
	if err != nil || !again.Replay || again.Hold == nil || again.Hold.ID != rc.Hold.ID {
		t.Fatalf("retry: %+v %v, want a replay with hold #%d", again, err, rc.Hold.ID)
	}
	clk.Advance(24 * time.Hour)
	if b := balance(t, l, alice); b.Available != 50 {
		t.Errorf("after the hold's end: %+v", b)
	}
}

// ledgerMergeRedeemCounts: per-member limits count the redemptions of both
// accounts after a merge, and cancelling the merged account's redemption
// frees the survivor's limit.
func (s suite) ledgerMergeRedeemCounts(t *testing.T) {
	l, _ := s.ledger(t)
	if err := l.PutReward(ctx, loyalty.Reward{ID: "tee", Name: "Tee", Cost: 10, Stock: loyalty.Unlimited, PerMember: 2}); err != nil {
		t.Fatal(err)
	}
	mustCredit(t, l, alice, 100, "a")
	mustCredit(t, l, bob, 100, "b")
	bobs, err := l.Redeem(ctx, "bob-tee", bob, "tee")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Redeem(ctx, "alice-tee", alice, "tee"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Merge(ctx, "link", bob, alice); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Redeem(ctx, "alice-tee-2", alice, "tee"); !errors.Is(err, loyalty.ErrLimitReached) {
		t.Errorf("a third tee for the merged person: %v, want ErrLimitReached", err)
	}
	if _, err := l.Cancel(ctx, bobs.Code, "changed mind"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Redeem(ctx, "alice-tee-3", alice, "tee"); err != nil {
		t.Errorf("after cancelling the merged account's tee: %v, want a redemption", err)
	}
}
