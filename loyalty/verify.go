package loyalty

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// ErrInvariant is wrapped by the errors Verify returns.
var ErrInvariant = errors.New("loyalty: invariant violated")

// Verify checks the ledger's invariants in one read transaction and returns
// every violation found, joined, each wrapping ErrInvariant:
//   - all balances sum to zero;
//   - no member balance is negative, and none is below its held points;
//   - every balance equals the sum of its account's entries;
//   - a member's lots sum to its balance, and its open holds to its held points;
//   - every idempotency key points at a stored record.
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
	err := l.db.View(func(tx *bolt.Tx) error {
		s := newStore(tx)
		fromEntries := map[AccountID]int64{}
		if err := s.entries().ForEach(func(k, v []byte) error {
			e, err := decodeEntry(v)
			if err != nil {
				return fmt.Errorf("entry %x: %w", k, err)
			}
			fromEntries[e.From] -= e.Amount
			fromEntries[e.To] += e.Amount
			return nil
		}); err != nil {
			return err
		}
		lots := map[AccountID]int64{}
		if err := s.lots().ForEach(func(k, v []byte) error {
			lots[AccountID(k[:len(k)-9])] += int64(binary.BigEndian.Uint64(v))
			return nil
		}); err != nil {
			return err
		}
		held := map[AccountID]int64{}
		if err := s.holds().ForEach(func(k, v []byte) error {
			var hd Hold
			if err := json.Unmarshal(v, &hd); err != nil {
				return err
			}
			if hd.State == HoldOpen {
				held[hd.Account] += hd.Amount
			}
			return nil
		}); err != nil {
			return err
		}
		var sum int64
		if err := s.accounts().ForEach(func(k, v []byte) error {
			a, acc := AccountID(k), decodeAccount(v)
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
			}
			return nil
		}); err != nil {
			return err
		}
		if sum != 0 {
			bad("balances sum to %d", sum)
		}
		return s.keys().ForEach(func(k, v []byte) error {
			rec, _ := s.key(string(k))
			var b *bolt.Bucket
			switch rec.kind {
			case kindMerge:
				return nil // a merge records no single entry
			case kindForfeit:
				if rec.ref == 0 {
					return nil // nothing was left to forfeit
				}
				b = s.entries()
			case kindHold, kindVoid:
				b = s.holds()
			case kindRedeem, kindCancel:
				b = s.redemptions()
			default:
				b = s.entries()
			}
			if b.Get(u64(rec.ref)) == nil {
				bad("key %q points at missing record %d", k, rec.ref)
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	return errors.Join(errs...)
}
