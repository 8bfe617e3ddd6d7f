// Package ugctest provides helpers for tests of the ambassador programme:
// a conformance suite that any ugc.Store must pass, run over the
// programme's public API with a real ledger.
package ugctest

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/loyalty"
	"github.com/loyalbot/loyalbot/loyalty/bolt/bolttest"
	"github.com/loyalbot/loyalbot/loyalty/loyaltytest"
	"github.com/loyalbot/loyalbot/ugc"
)

// Start is the suite's clock when each test begins: a Tuesday morning.
var Start = time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)

// Reopener is a Store that can be closed and opened again over the same
// data, as a restart does. The suite's crash cases reopen a Store that
// implements it; with one that does not, they go on with the same Store
// under a new Service (all a crash loses of the programme itself).
type Reopener interface {
	ugc.Store
	// Reopen closes the store and returns a new one over the same data;
	// the old one is not used again.
	Reopen(t *testing.T) ugc.Store
}

// FlakyLedger is a Crediter that fails its next Fail calls to Post, as a
// ledger whose process died would: before posting, or after posting when
// AfterPost is set (the entry is written, the caller hears an error).
type FlakyLedger struct {
	*loyalty.Ledger
	Fail      atomic.Int32
	AfterPost atomic.Bool
}

// ErrDiskOnFire is what a FlakyLedger's failing calls return.
var ErrDiskOnFire = errors.New("disk on fire")

// Post posts p through the ledger, or fails as set.
func (f *FlakyLedger) Post(ctx context.Context, p loyalty.Posting) (loyalty.Receipt, error) {
	if f.Fail.Add(-1) >= 0 {
		if f.AfterPost.Load() {
			if _, err := f.Ledger.Post(ctx, p); err != nil {
				return loyalty.Receipt{}, err
			}
		}
		return loyalty.Receipt{}, ErrDiskOnFire
	}
	return f.Ledger.Post(ctx, p)
}

// Env is a programme on a Store under test, paying into a real ledger on
// its own database, on a settable clock.
type Env struct {
	Store  ugc.Store
	UGC    *ugc.Service
	Ledger *FlakyLedger
	Clock  *loyaltytest.Clock
	Config ugc.Config

	verified bool
}

// NewEnv builds an Env on store with DefaultConfig changed by set (which
// may be nil). When the test ends it fails the test if the programme's
// Verify finds a broken invariant.
func NewEnv(tb testing.TB, store ugc.Store, set func(*ugc.Config)) *Env {
	tb.Helper()
	clk := loyaltytest.NewClock(Start)
	cfg := ugc.DefaultConfig()
	if set != nil {
		set(&cfg)
	}
	e := &Env{Store: store, Ledger: &FlakyLedger{Ledger: bolttest.OpenLedger(tb, loyalty.Config{Now: clk.Now})}, Clock: clk, Config: cfg}
	e.UGC = ugc.New(store, e.Ledger, cfg, clk.Now, nil)
	tb.Cleanup(func() { e.verify(tb) })
	return e
}

// verify runs Verify once, at the first cleanup that calls it: the one
// registered after the store last (re)opened, so before it closes.
func (e *Env) verify(tb testing.TB) {
	tb.Helper()
	if e.verified {
		return
	}
	e.verified = true
	if err := e.UGC.Verify(context.Background()); err != nil {
		tb.Errorf("ugc invariants: %v", err)
	}
}

// Restart is a restart after a crash: the store reopened when it is a
// Reopener, and a new Service on it with cfg (the ledger stays: it is
// another domain, with its own durability).
func (e *Env) Restart(t *testing.T, cfg ugc.Config) {
	t.Helper()
	if r, ok := e.Store.(Reopener); ok {
		e.Store = r.Reopen(t)
		t.Cleanup(func() { e.verify(t) })
	}
	e.Config = cfg
	e.UGC = ugc.New(e.Store, e.Ledger, cfg, e.Clock.Now, nil)
}

// Balance returns a member's balance.
func (e *Env) Balance(tb testing.TB, member uint64) int64 {
	tb.Helper()
	b, err := e.Ledger.Balance(context.Background(), loyalty.Member(member))
	if err != nil {
		tb.Fatal(err)
	}
	return b.Balance
}
