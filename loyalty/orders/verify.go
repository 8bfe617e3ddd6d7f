package orders

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// ErrInvariant is wrapped by the errors Verify returns.
var ErrInvariant = errors.New("orders: invariant violated")

// Verify checks the shop data's invariants and returns every violation
// found, joined, each wrapping ErrInvariant:
//   - every order is in the customer index, and every index entry names an order;
//   - every customer's stored PaidDays are what their orders give, and no
//     other customer has any;
//   - every link is in the member index, and the other way round;
//   - a settlement round that credited points has its ledger entry (under
//     the round's key), of that amount, and refunds and an unlink took back
//     no more than it credited;
//   - the rounds an unlink closed are numbered in order and were revoked.
//
// A stored record that does not decode stops the check with that error.
// Orders still marked unsettled are reported by Pending, not here: while
// loyalbot runs, one may be settling.
func (s *Service) Verify(ctx context.Context) error {
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
	err := s.store.View(ctx, func(tx ReadTx) error {
		type pair struct{ a, b string }
		indexed := map[pair]bool{} // customer, order
		if err := tx.CustomerIndex(func(customer, order string) error {
			indexed[pair{customer, order}] = true
			return nil
		}); err != nil {
			return err
		}
		stored := map[string]bool{}
		if err := tx.Orders(func(o Order) error {
			stored[o.ID] = true
			if !indexed[pair{o.Customer, o.ID}] {
				bad("order %s is missing from customer %s's index", o.ID, o.Customer)
			}
			return nil
		}); err != nil {
			return err
		}
		for p := range indexed {
			if !stored[p.b] {
				bad("customer index names missing order %s", p.b)
			}
		}
		customers := map[string]bool{}
		for p := range indexed {
			customers[p.a] = true
		}
		if err := tx.AllPaidDays(func(p PaidDays) error {
			if !customers[p.Customer] {
				bad("customer %s has paid days and no orders", p.Customer)
			}
			return nil
		}); err != nil {
			return err
		}
		for c := range customers {
			os, err := ordersOf(tx, c)
			if err != nil {
				return err
			}
			want := PaidDaysOf(c, os)
			got, _, err := tx.PaidDays(c)
			if err != nil {
				return err
			}
			got.Customer = c
			if !slices.Equal(got.Days, want.Days) {
				bad("customer %s's paid days %v, their orders give %v", c, got.Days, want.Days)
			}
		}
		type link struct {
			member   uint64
			customer string
		}
		memberIndex := map[link]bool{}
		if err := tx.MemberIndex(func(member uint64, customer string) error {
			memberIndex[link{member, customer}] = true
			return nil
		}); err != nil {
			return err
		}
		if err := tx.Links(func(customer string, member uint64) error {
			if !memberIndex[link{member, customer}] {
				bad("link of customer %s is missing from the member index", customer)
			}
			return nil
		}); err != nil {
			return err
		}
		for l := range memberIndex {
			if m, ok, err := tx.Link(l.customer); err != nil {
				return err
			} else if !ok || m != l.member {
				bad("member index links customer %s to member %d, the link says otherwise", l.customer, l.member)
			}
		}
		return tx.Settlements(func(id string, st Settlement) error {
			for i, r := range append(st.Past[:len(st.Past):len(st.Past)], st) {
				past := i < len(st.Past)
				switch {
				case past && (r.Round != i || !r.Revoke):
					bad("order %s: past round %d is numbered %d (revoked %v)", id, i, r.Round, r.Revoke)
				case !past && r.Round != len(st.Past):
					bad("order %s is in round %d after %d past rounds", id, r.Round, len(st.Past))
				}
				if r.Taken < 0 || r.Revoked < 0 || r.Taken+r.Revoked > r.Earned {
					bad("order %s round %d took back %d (refunds) + %d (unlink) of %d points", id, r.Round, r.Taken, r.Revoked, r.Earned)
				}
				if r.Earned > 0 {
					credits = append(credits, credit{id: id, round: r.Round, earned: r.Earned})
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
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		n, err = tx.UnsettledCount()
		return err
	})
	return n, err
}
