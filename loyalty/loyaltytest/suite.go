package loyaltytest

import (
	"testing"

	"github.com/loyalbot/loyalbot/loyalty"
)

// Backend is a loyalty.Store implementation under test.
type Backend struct {
	// Open opens the store kept in dir, a directory of its own the suite
	// made (a store that keeps no files may use it as a name), empty the
	// first time, with settings for fast tests (no fsync, say). close
	// releases the store, after checking the implementation's own
	// consistency, and returns what that check found. Opening dir again
	// after close must find everything committed before: the suite
	// restarts stores, and kills processes writing to one.
	Open func(tb testing.TB, dir string) (store loyalty.Store, close func() error)
	// OpenDurable is Open with the durability of production (a commit
	// returns once it is on disk), for the crash test and the benchmarks.
	// Nil means Open.
	OpenDurable func(tb testing.TB, dir string) (store loyalty.Store, close func() error)
	// ModelSeeds are the seeds the model test runs (default 1, 2 and 3),
	// ModelOps how many operations it runs per seed (default 2500).
	ModelSeeds []uint64
	ModelOps   int
}

// StoreSuite runs the ledger's conformance tests on stores that b opens:
// every rule of the ledger through its public API (the model test against
// an in-memory specification, idempotency, no overdraw under concurrency,
// lots and expiry, holds, reversals, merges, redemptions, tiers), Verify
// after every test, a restart and a crash test that kills writing
// processes. A Store implementation's tests run it:
//
//	func TestConformance(t *testing.T) { loyaltytest.StoreSuite(t, backend) }
//
// The crash test starts the test binary again with -test.run naming
// t.Name(), so the test calling StoreSuite must not depend on others.
func StoreSuite(t *testing.T, b Backend) {
	if b.OpenDurable == nil {
		b.OpenDurable = b.Open
	}
	s := suite{b: b}
	if crashing() {
		t.Run("Ledger_Crash", restarts{s}.ledgerCrash) // a child process of the crash test
		return
	}
	for _, c := range []struct {
		name string
		fn   func(*testing.T)
	}{
		{"Ledger_Model", s.ledgerModel},
		{"Ledger_Post_BadInput", s.ledgerPostBadInput},
		{"Ledger_Post_Idempotency", s.ledgerPostIdempotency},
		{"Ledger_Post_HoldUntil", s.ledgerPostHoldUntil},
		{"Ledger_Post_SameKeyRace", s.ledgerPostSameKeyRace},
		{"Ledger_Batch_RejectionIsolated", s.ledgerBatchRejectionIsolated},
		{"Ledger_Reverse", s.ledgerReverse},
		{"Ledger_History_Pagination", s.ledgerHistoryPagination},
		{"Ledger_Expiry", s.ledgerExpiry},
		{"Ledger_Holds", s.ledgerHolds},
		{"Ledger_HoldUntil_Redelivered", s.ledgerHoldUntilRedelivered},
		{"Ledger_CapturePart", s.ledgerCapturePart},
		{"Ledger_Tiers", s.ledgerTiers},
		{"Ledger_TiersBySpend", s.ledgerTiersBySpend},
		{"Ledger_OnTierChange", s.ledgerOnTierChange},
		{"Ledger_Leaderboard", boards{s}.ledgerLeaderboard},
		{"Ledger_Leaderboard_Model", boards{s}.ledgerLeaderboardModel},
		{"Ledger_Leaderboard_Concurrent", boards{s}.ledgerLeaderboardConcurrent},
		{"Ledger_Leaderboard_ClockBehind", boards{s}.ledgerLeaderboardClockBehind},
		{"Ledger_Leaderboard_ClockPutRight", boards{s}.ledgerLeaderboardClockPutRight},
		{"Ledger_Redeem", s.ledgerRedeem},
		{"Ledger_Redeem_Race", s.ledgerRedeemRace},
		{"Ledger_Redemptions", s.ledgerRedemptions},
		{"Ledger_Import", s.ledgerImport},
		{"Ledger_Merge", s.ledgerMerge},
		{"Ledger_Merge_RedeemCounts", s.ledgerMergeRedeemCounts},
		{"Ledger_Forfeit", s.ledgerForfeit},
		{"Ledger_Closed", s.ledgerClosed},
		{"Ledger_Reopen", restarts{s}.ledgerReopen},
		{"Ledger_Crash", restarts{s}.ledgerCrash},
		{"Open_BadTiers", s.openBadTiers},
	} {
		t.Run(c.name, c.fn)
	}
}

type suite struct{ b Backend }

// store opens a fresh store for tb, released when tb ends.
func (s suite) store(tb testing.TB) loyalty.Store {
	tb.Helper()
	return s.storeAt(tb, tb.TempDir(), s.b.Open)
}

// storeAt opens the store in dir with open, released when tb ends.
func (s suite) storeAt(tb testing.TB, dir string, open func(testing.TB, string) (loyalty.Store, func() error)) loyalty.Store {
	tb.Helper()
	st, closeStore := open(tb, dir)
	tb.Cleanup(func() {
		if err := closeStore(); err != nil {
			tb.Errorf("close store: %v", err)
		}
	})
	return st
}

// open opens a ledger on a fresh store, verified and closed when t ends.
func (s suite) open(tb testing.TB, cfg loyalty.Config) *loyalty.Ledger {
	tb.Helper()
	return OpenLedger(tb, s.store(tb), cfg)
}

// ledger opens a ledger on a fresh store with a clock stopped at t0.
func (s suite) ledger(t *testing.T) (*loyalty.Ledger, *Clock) {
	t.Helper()
	clk := NewClock(t0)
	return s.open(t, loyalty.Config{Now: clk.Now}), clk
}
