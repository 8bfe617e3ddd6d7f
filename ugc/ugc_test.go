package ugc_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/loyalty"
	"github.com/loyalbot/loyalbot/loyalty/bolt/bolttest"
	"github.com/loyalbot/loyalbot/loyalty/loyaltytest"
	"github.com/loyalbot/loyalbot/ugc"
)

var ctx = context.Background()

// flakyLedger is a Crediter that fails its first n calls, as a ledger
// whose process died mid-way would.
type flakyLedger struct {
	*loyalty.Ledger
	fail atomic.Int32
}

func (f *flakyLedger) Post(ctx context.Context, p loyalty.Posting) (loyalty.Receipt, error) {
	if f.fail.Add(-1) >= 0 {
		return loyalty.Receipt{}, errors.New("disk on fire")
	}
	return f.Ledger.Post(ctx, p)
}

func newService(t *testing.T, cfg ugc.Config) (*ugc.Service, *flakyLedger, *loyaltytest.Clock) {
	t.Helper()
	clk := loyaltytest.NewClock(time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC))
	db := bolttest.OpenDB(t)
	l := &flakyLedger{Ledger: bolttest.OpenLedgerOn(t, db, loyalty.Config{Now: clk.Now})}
	// The test's settings over the defaults.
	def := ugc.DefaultConfig()
	def.Levels, def.DailyQuota, def.DailyAttributions = cfg.Levels, cfg.DailyQuota, cfg.DailyAttributions
	s, err := ugc.New(db, l, def, clk.Now, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s, l, clk
}

func balance(t *testing.T, l *flakyLedger, member uint64) int64 {
	t.Helper()
	b, err := l.Balance(ctx, loyalty.Member(member))
	if err != nil {
		t.Fatal(err)
	}
	return b.Balance
}

func TestApprove_RetryAfterFailedPayment(t *testing.T) {
	s, l, _ := newService(t, ugc.Config{})
	sub, err := s.Submit(ctx, "k1", 1, "https://example.com/a", "")
	if err != nil {
		t.Fatal(err)
	}
	l.fail.Store(1)
	if _, err := s.Approve(ctx, sub.ID, 9, 0, ""); err == nil {
		t.Fatal("approve with a failing ledger succeeded")
	}
	got, err := s.Approve(ctx, sub.ID, 9, 0, "") // the manager tries again
	if err != nil || !got.Replay {
		t.Fatalf("retry: %+v %v", got, err)
	}
	if b := balance(t, l, 1); b != 200 {
		t.Errorf("balance %d after retry, want 200 paid once", b)
	}
}

func TestApprove_Concurrent(t *testing.T) {
	s, l, _ := newService(t, ugc.Config{})
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
	if fresh.Load() != 1 || balance(t, l, 1) != 200 {
		t.Errorf("%d fresh approvals, balance %d; want 1 and 200", fresh.Load(), balance(t, l, 1))
	}
}

func TestSubmit_Replay(t *testing.T) {
	s, _, _ := newService(t, ugc.Config{})
	a, _ := s.Submit(ctx, "telegram:55", 1, "https://example.com/a", "")
	b, err := s.Submit(ctx, "telegram:55", 1, "https://example.com/a", "")
	if err != nil || !b.Replay || b.ID != a.ID {
		t.Errorf("redelivered submit = %+v, %v", b, err)
	}
	var dup *ugc.DuplicateError
	if _, err := s.Submit(ctx, "telegram:56", 2, "https://EXAMPLE.com/a/?utm_campaign=x", ""); !errors.As(err, &dup) || dup.Existing.ID != a.ID {
		t.Errorf("duplicate by another member: %v", err)
	}
}

func TestLevels(t *testing.T) {
	s, l, clk := newService(t, ugc.Config{Levels: []ugc.Level{{Name: "KOC", Multiplier: 100}, {Name: "Rising", Threshold: 2, Multiplier: 150}}, DailyQuota: 10})
	for i := range 3 {
		sub, err := s.Submit(ctx, fmt.Sprint("k", i), 1, fmt.Sprint("https://example.com/", i), "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Approve(ctx, sub.ID, 9, 0, ""); err != nil {
			t.Fatal(err)
		}
	}
	if b := balance(t, l, 1); b != 200+200+300 { // the third approval is at Rising: 1.5×
		t.Errorf("balance %d, want 700", b)
	}
	if lvl, act, _ := s.Level(ctx, 1); lvl.Name != "Rising" || act.Approved != 3 {
		t.Errorf("level %s with %+v", lvl.Name, act)
	}
	clk.Advance(91 * 24 * time.Hour)
	if lvl, _, _ := s.Level(ctx, 1); lvl.Name != "KOC" {
		t.Errorf("after 91 quiet days: %s", lvl.Name)
	}
}

func TestAttribute_DailyLimit(t *testing.T) {
	s, _, clk := newService(t, ugc.Config{DailyAttributions: 2})
	code, _ := s.Code(ctx, 1)
	again, _ := s.Code(ctx, 1)
	if code != again || len(code) != 6 {
		t.Fatalf("codes %q %q", code, again)
	}
	for i, want := range []ugc.RefStatus{ugc.RefPending, ugc.RefPending, ugc.RefRejected} {
		ref, err := s.Attribute(ctx, uint64(10+i), "ref_"+code, "start", true)
		if err != nil || ref.Status != want {
			t.Errorf("attribution %d: %+v %v, want %s", i, ref, err, want)
		}
		if want == ugc.RefRejected && ref.Reason != ugc.ReasonDailyLimit {
			t.Errorf("reason %q", ref.Reason)
		}
	}
	clk.Advance(24 * time.Hour)
	if ref, _ := s.Attribute(ctx, 20, code, "start", true); ref.Status != ugc.RefPending {
		t.Errorf("next day: %+v", ref)
	}
	if _, err := s.Attribute(ctx, 21, "ZZZZZZ", "start", true); !errors.Is(err, ugc.ErrNotFound) {
		t.Errorf("unknown code: %v", err)
	}
}
