package orders

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// ErrInvariant is wrapped by the errors Verify returns.
var ErrInvariant = errors.New("orders: invariant violated")

// Verify checks the shop data's invariants and returns every violation
// found, joined, each wrapping ErrInvariant:
//   - every order is in the customer index, and every index entry names an order;
//   - every link is in the member index, and the other way round;
//   - a settlement round that credited points has its ledger entry (under
//     the round's key), of that amount, and refunds and an unlink took back
//     no more than it credited;
//   - the rounds an unlink closed are numbered in order and were revoked.
//
// Orders still marked unsettled are reported by Pending, not here: while
// loyalbot runs, one may be settling.
func (s *Service) Verify(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s", ErrInvariant, fmt.Sprintf(format, args...)))
	}
	type credit struct {
		id     string
		round  int
		earned int64
	}
	var credits []credit
	err := s.db.View(func(tx *bolt.Tx) error {
		ob, bc := tx.Bucket(bucketOrders), tx.Bucket(bucketByCustomer)
		if err := ob.ForEach(func(k, v []byte) error {
			o, err := decodeOrder(v)
			if err != nil {
				bad("order %s does not decode: %v", k, err)
				return nil
			}
			if bc.Get(customerKey(o.Customer, o.ID)) == nil {
				bad("order %s is missing from customer %s's index", o.ID, o.Customer)
			}
			return nil
		}); err != nil {
			return err
		}
		if err := bc.ForEach(func(k, _ []byte) error {
			for i := range k {
				if k[i] == 0 {
					if ob.Get(k[i+1:]) == nil {
						bad("customer index names missing order %s", k[i+1:])
					}
					return nil
				}
			}
			bad("customer index key %q has no separator", k)
			return nil
		}); err != nil {
			return err
		}
		lb, ml := tx.Bucket(bucketLinks), tx.Bucket(bucketMemberLinks)
		if err := lb.ForEach(func(k, v []byte) error {
			if len(v) != 8 || ml.Get(append(append([]byte(nil), v...), k...)) == nil {
				bad("link of customer %s is missing from the member index", k)
			}
			return nil
		}); err != nil {
			return err
		}
		if err := ml.ForEach(func(k, _ []byte) error {
			if v := lb.Get(k[8:]); len(v) != 8 || binary.BigEndian.Uint64(v) != binary.BigEndian.Uint64(k[:8]) {
				bad("member index links customer %s to member %d, the link says otherwise", k[8:], binary.BigEndian.Uint64(k[:8]))
			}
			return nil
		}); err != nil {
			return err
		}
		return tx.Bucket(bucketSettlements).ForEach(func(k, v []byte) error {
			var st Settlement
			if err := json.Unmarshal(v, &st); err != nil {
				bad("settlement of %s does not decode: %v", k, err)
				return nil
			}
			for i, r := range append(st.Past[:len(st.Past):len(st.Past)], st) {
				past := i < len(st.Past)
				switch {
				case past && (r.Round != i || !r.Revoke):
					bad("order %s: past round %d is numbered %d (revoked %v)", k, i, r.Round, r.Revoke)
				case !past && r.Round != len(st.Past):
					bad("order %s is in round %d after %d past rounds", k, r.Round, len(st.Past))
				}
				if r.Taken < 0 || r.Revoked < 0 || r.Taken+r.Revoked > r.Earned {
					bad("order %s round %d took back %d (refunds) + %d (unlink) of %d points", k, r.Round, r.Taken, r.Revoked, r.Earned)
				}
				if r.Earned > 0 {
					credits = append(credits, credit{id: string(k), round: r.Round, earned: r.Earned})
				}
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("verify orders: %w", err)
	}
	for _, c := range credits {
		e, err := s.ledger.EntryByKey(ctx, roundKey("order", c.id, c.round))
		switch {
		case err != nil:
			bad("order %s is settled with %d points (round %d) but has no ledger entry: %v", c.id, c.earned, c.round, err)
		case e.Amount != c.earned:
			bad("order %s is settled with %d points (round %d), its ledger entry has %d", c.id, c.earned, c.round, e.Amount)
		}
	}
	return errors.Join(errs...)
}

// Pending returns how many orders wait for their settlement to finish.
func (s *Service) Pending(ctx context.Context) (int, error) {
	n := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketUnsettled).Stats().KeyN
		return nil
	})
	return n, err
}
