// Package loyaltytest helps test the loyalty ledger and what is built on it:
// a ledger whose invariants are checked when the test ends, a settable
// clock, and the conformance suite every loyalty.Store implementation runs
// (StoreSuite, StoreBenchmarks). It knows no Store implementation: the
// bbolt one's helpers are in loyalty/bolt/bolttest.
package loyaltytest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/loyalty"
)

// OpenLedger opens a ledger on store. When the test ends it fails the test
// if Verify finds a broken invariant, then closes the ledger (not the
// store: register the store's cleanup before calling OpenLedger, so that it
// runs after).
func OpenLedger(tb testing.TB, store loyalty.Store, cfg loyalty.Config) *loyalty.Ledger {
	tb.Helper()
	l, err := loyalty.Open(store, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := l.Verify(context.Background()); err != nil {
			tb.Errorf("ledger invariants: %v", err)
		}
		if err := l.Close(); err != nil {
			tb.Error(err)
		}
	})
	return l
}

// Clock is a settable clock for Config.Now. It is safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock stopped at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}
