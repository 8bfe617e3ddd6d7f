// Package orderstest provides helpers for tests of the shop integration:
// a conformance suite that any orders.Store must pass, run over the
// integration's public API with a real ledger.
package orderstest

import (
	"context"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/loyalty"
	"github.com/loyalbot/loyalbot/loyalty/bolt/bolttest"
	"github.com/loyalbot/loyalbot/loyalty/loyaltytest"
	"github.com/loyalbot/loyalbot/loyalty/orders"
)

// Start is the suite's clock when each test begins.
var Start = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// Reopener is a Store that can be closed and opened again over the same
// data, as a restart does. The suite's crash cases reopen a Store that
// implements it; with one that does not, they go on with the same Store
// under a new Service (all a crash loses of the integration itself).
type Reopener interface {
	orders.Store
	// Reopen closes the store and returns a new one over the same data;
	// the old one is not used again.
	Reopen(t *testing.T) orders.Store
}

// Env is the shop integration on a Store under test, paying into a real
// ledger on its own database, on a settable clock.
type Env struct {
	Store  orders.Store
	Orders *orders.Service
	Ledger *loyalty.Ledger
	Clock  *loyaltytest.Clock
	Config orders.Config

	verified bool
}

// NewEnv builds an Env on store with the salt "pepper" and the Env's
// clock, changed by set (which may be nil). When the test ends it fails
// the test if the integration's Verify finds a broken invariant or an
// order is left unsettled.
func NewEnv(tb testing.TB, store orders.Store, set func(*orders.Config)) *Env {
	tb.Helper()
	clk := loyaltytest.NewClock(Start)
	e := &Env{Store: store, Ledger: bolttest.OpenLedger(tb, loyalty.Config{Now: clk.Now}), Clock: clk}
	e.Config = orders.Config{Salt: "pepper", Now: clk.Now}
	if set != nil {
		set(&e.Config)
	}
	e.Orders = e.newService(tb)
	tb.Cleanup(func() { e.verifyOnce(tb) })
	return e
}

func (e *Env) newService(tb testing.TB) *orders.Service {
	tb.Helper()
	svc, err := orders.New(e.Store, e.Ledger, e.Config, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return svc
}

// verifyOnce runs Verify once, at the first cleanup that calls it: the
// one registered after the store last (re)opened, so before it closes.
func (e *Env) verifyOnce(tb testing.TB) {
	tb.Helper()
	if e.verified {
		return
	}
	e.verified = true
	e.Verify(tb)
}

// Restart is a restart after a crash: the store reopened when it is a
// Reopener, and a new Service on it with cfg (the ledger stays: it is
// another domain, with its own durability).
func (e *Env) Restart(t *testing.T, cfg orders.Config) {
	t.Helper()
	if r, ok := e.Store.(Reopener); ok {
		e.Store = r.Reopen(t)
		e.verified = false
		t.Cleanup(func() { e.verifyOnce(t) })
	}
	e.Config = cfg
	e.Orders = e.newService(t)
}

// Verify fails the test if the ledger's or the integration's invariants
// are broken, or an order waits to be settled.
func (e *Env) Verify(tb testing.TB) {
	tb.Helper()
	ctx := context.Background()
	if err := e.Ledger.Verify(ctx); err != nil {
		tb.Error(err)
	}
	if err := e.Orders.Verify(ctx); err != nil {
		tb.Error(err)
	}
	if n, err := e.Orders.Pending(ctx); n != 0 || err != nil {
		tb.Errorf("%d orders unsettled (%v)", n, err)
	}
}

// Balance returns a member's balance.
func (e *Env) Balance(tb testing.TB, member uint64) loyalty.Balance {
	tb.Helper()
	b, err := e.Ledger.Balance(context.Background(), loyalty.Member(member))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// WantBalance fails the test unless member has balance points, held of
// them held.
func (e *Env) WantBalance(tb testing.TB, member uint64, balance, held int64) {
	tb.Helper()
	if b := e.Balance(tb, member); b.Balance != balance || b.Held != held {
		tb.Errorf("member %d: balance %d (%d held), want %d (%d held)", member, b.Balance, b.Held, balance, held)
	}
}

// Settlement returns the settlement of order id.
func (e *Env) Settlement(tb testing.TB, id string) orders.Settlement {
	tb.Helper()
	st, _, err := e.Orders.SettlementOf(context.Background(), id)
	if err != nil {
		tb.Fatal(err)
	}
	return st
}
