package loyalty

import (
	"context"
	"errors"
	"fmt"
)

// ErrInvariant is wrapped by the errors Verify returns.
var ErrInvariant = errors.New("loyalty: invariant violated")

// Verify checks the ledger's invariants in one read transaction and returns
// every violation found, joined, each wrapping ErrInvariant:
//   - all balances sum to zero;
//   - no member balance is negative, and none is below its held points;
//   - every balance equals the sum of its account's entries;
//   - a member's lots sum to its balance, and its open holds to its held points;
//   - every idempotency key points at a stored record;
//   - the all-time leaderboard, with the entries not applied to it yet,
//     gives every member its earned points;
//   - every kept leaderboard, with the entries not applied to it yet, is
//     what all the entries give.
//
// It reads every entry, so it is O(history): run it from tests and from
// operators' checks, not on a hot path.
func (l *Ledger) Verify(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s", ErrInvariant, fmt.Sprintf(format, args...)))
	}
	err := l.store.View(ctx, func(tx ReadTx) error {
		errs = nil
		fromEntries := map[AccountID]int64{}
		if err := tx.Entries(func(e Entry) error {
			fromEntries[e.From] -= e.Amount
			fromEntries[e.To] += e.Amount
			return nil
		}); err != nil {
			return err
		}
		lots := map[AccountID]int64{}
		if err := tx.Lots(func(a AccountID, lot Lot) error {
			lots[a] += lot.Remaining
			return nil
		}); err != nil {
			return err
		}
		held := map[AccountID]int64{}
		if err := tx.Holds(func(hd Hold) error {
			if hd.State == HoldOpen {
				held[hd.Account] += hd.Amount
			}
			return nil
		}); err != nil {
			return err
		}
		keep := l.kept(l.cfg.Now())
		pending, applied, _, err := l.pendingBoards(tx, keep)
		if err != nil {
			return err
		}
		boards := storedBoards(tx, applied)
		if err := l.verifyBoards(tx, boards, keep, pending, bad); err != nil {
			return err
		}
		onBoard := func(a AccountID) (int64, error) {
			n, err := boards.BoardTotal(string(AllTime), a)
			return n + pending[string(AllTime)][a], err
		}
		// Members' own records are checked below; here, rows no account has.
		if err := boards.Board(string(AllTime), func(a AccountID, n int64) error {
			acc, err := tx.Account(a)
			if err == nil && acc == (Account{}) {
				bad("%s has %d points on the all-time leaderboard and no account", a, n)
			}
			return err
		}); err != nil {
			return err
		}
		var sum int64
		if err := tx.Accounts(func(a AccountID, acc Account) error {
			sum += acc.Balance
			if acc.Balance != fromEntries[a] {
				bad("%s balance %d, entries sum to %d", a, acc.Balance, fromEntries[a])
			}
			if a.IsMember() {
				if acc.Balance < 0 {
					bad("%s balance %d is negative", a, acc.Balance)
				}
				if acc.Balance < acc.Held {
					bad("%s balance %d below held %d", a, acc.Balance, acc.Held)
				}
				if lots[a] != acc.Balance {
					bad("%s lots sum to %d, balance %d", a, lots[a], acc.Balance)
				}
				if held[a] != acc.Held {
					bad("%s open holds sum to %d, held %d", a, held[a], acc.Held)
				}
				n, err := onBoard(a)
				if err != nil {
					return err
				}
				if n != acc.Earned {
					bad("%s has %d points on the all-time leaderboard, earned %d", a, n, acc.Earned)
				}
			}
			return nil
		}); err != nil {
			return err
		}
		if sum != 0 {
			bad("balances sum to %d", sum)
		}
		return tx.Keys(func(k string, rec KeyRecord) error {
			var found bool
			var err error
			switch rec.Kind {
			case KeyMerge:
				return nil // a merge records no single entry
			case KeyForfeit:
				if rec.Ref == 0 {
					return nil // nothing was left to forfeit
				}
				_, found, err = tx.Entry(rec.Ref)
			case KeyHold, KeyVoid:
				_, found, err = tx.Hold(rec.Ref)
			case KeyRedeem, KeyCancel:
				_, found, err = tx.Redemption(rec.Ref)
			default:
				_, found, err = tx.Entry(rec.Ref)
			}
			if err != nil {
				return err
			}
			if !found {
				bad("key %q points at missing record %d", k, rec.Ref)
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	return errors.Join(errs...)
}

// verifyBoards checks every kept board of boards, with pending (the
// entries not applied to it yet) added, against one built from all the
// entries in tx.
func (l *Ledger) verifyBoards(tx, boards ReadTx, keep func(string) bool, pending boardDeltas, bad func(string, ...any)) error {
	rd := &redirects{} // the stored merges, whatever this ledger saw
	if err := rd.load(tx); err != nil {
		return err
	}
	want, _, err := l.deltasAfter(tx, 0, keep, rd.resolve)
	if err != nil {
		return err
	}
	names := map[string]bool{}
	if err := boards.Boards(func(b string) error { names[b] = keep(b); return nil }); err != nil {
		return err
	}
	for b := range want {
		names[b] = true
	}
	for b, kept := range names {
		if !kept {
			continue // a past period's board, dropped at the next update
		}
		accounts := map[AccountID]bool{} // on either side
		for a := range want[b] {
			accounts[a] = true
		}
		for a := range pending[b] {
			accounts[a] = true
		}
		if err := boards.Board(b, func(a AccountID, _ int64) error {
			accounts[a] = true
			return nil
		}); err != nil {
			return err
		}
		for a := range accounts {
			n, err := boards.BoardTotal(b, a)
			if err != nil {
				return err
			}
			if got := n + pending[b][a]; got != want[b][a] {
				bad("%s has %d points on board %s, the entries give %d", a, got, b, want[b][a])
			}
		}
	}
	return nil
}
