// Package loyaltytest provides helpers for tests that use a loyalty.Ledger:
// a ledger on a temporary bbolt file whose invariants are checked when the
// test ends, and a settable clock.
package loyaltytest

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/loyalty"
	bolt "go.etcd.io/bbolt"
)

// OpenDB opens a bbolt database in tb.TempDir() and closes it, after a
// consistency check, when the test ends. It skips fsync (NoSync) so logic
// tests run fast; durability tests and benchmarks use OpenDurableDB.
func OpenDB(tb testing.TB) *bolt.DB {
	tb.Helper()
	return openDB(tb, &bolt.Options{Timeout: time.Second, NoSync: true})
}

// OpenDurableDB is OpenDB with fsync on every commit, as in production.
func OpenDurableDB(tb testing.TB) *bolt.DB {
	tb.Helper()
	return openDB(tb, &bolt.Options{Timeout: time.Second, NoFreelistSync: true, FreelistType: bolt.FreelistMapType})
}

func openDB(tb testing.TB, opts *bolt.Options) *bolt.DB {
	tb.Helper()
	db, err := bolt.Open(filepath.Join(tb.TempDir(), "loyalbot.db"), 0o600, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		CheckDB(tb, db)
		if err := db.Close(); err != nil {
			tb.Error(err)
		}
	})
	return db
}

// CheckDB runs bbolt's page-level consistency check on db.
func CheckDB(tb testing.TB, db *bolt.DB) {
	tb.Helper()
	err := db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			tb.Errorf("bbolt check: %v", err)
		}
		return nil
	})
	if err != nil {
		tb.Error(err)
	}
}

// OpenLedger opens a ledger on a fresh database. When the test ends it
// closes the ledger and fails the test if Verify finds a broken invariant.
func OpenLedger(tb testing.TB, cfg loyalty.Config) *loyalty.Ledger {
	tb.Helper()
	return OpenLedgerOn(tb, OpenDB(tb), cfg)
}

// OpenLedgerOn opens a ledger on db, closed and verified when the test ends.
func OpenLedgerOn(tb testing.TB, db *bolt.DB, cfg loyalty.Config) *loyalty.Ledger {
	tb.Helper()
	l, err := loyalty.Open(db, cfg)
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
