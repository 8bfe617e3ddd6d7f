package orders

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/loyalbot/loyalbot/loyalty"
	bolt "go.etcd.io/bbolt"
)

// Settlement is what an order did to a member's points in its current
// round. A manager's unlink (Service.Unlink) takes the round's points back
// and opens the next round, which pays the member who links the customer
// next, under ledger keys of its own (see roundKey).
type Settlement struct {
	// Round counts the rounds unlinks closed before this one: 0 until a
	// manager unlinks the member who earned the order's points.
	Round   int    `json:"round,omitempty"`
	Member  uint64 `json:"member"`  // who earned the points; refunds take back from them (0: nobody yet this round)
	Decided bool   `json:"decided"` // whether the order earns points has been decided
	// Earned is the points credited (tier multiplier applied); 0 when the
	// order earned none (too old, nothing paid, refunded before it was seen).
	Earned   int64     `json:"earned,omitempty"`
	Hold     uint64    `json:"hold,omitempty"`     // the hold keeping them pending
	HoldEnd  time.Time `json:"hold_end,omitzero"`  // end of the return window
	Refunded int64     `json:"refunded,omitempty"` // cents of refunds accounted for
	Taken    int64     `json:"taken,omitempty"`    // points refunds took back
	// Short is points refunds (or an unlink) should have taken back but the
	// member had spent already (after the return window). In a round an
	// unlink closed it is all of Earned that was never taken back.
	Short int64  `json:"short,omitempty"`
	Note  string `json:"note,omitempty"` // why no points: "too old", "nothing paid"
	// Revoke is set by a manager's unlink, in the transaction that removes
	// the link and marks the order unsettled: settling takes back what the
	// round's refunds left of its points, then opens the next round.
	Revoke bool `json:"revoke,omitempty"`
	// Revoked is the points the unlink took back.
	Revoked int64 `json:"revoked,omitempty"`
	// Past holds the rounds unlinks closed, oldest first: Past[i].Round is i.
	Past []Settlement `json:"past,omitempty"`
}

// roundKey is a ledger key of order id in settlement round n: prefix
// "order" for the credit (its hold is the credit's key + "/hold"),
// "order-refund" and "order-unlink" for what refunds and an unlink take
// back. Round 0 keeps the keys written before rounds existed
// ("order:<id>"); round n puts "#n" before the colon ("order#2:<id>"), so
// no order id can spell another order's or another round's key.
func roundKey(prefix, id string, round int) string {
	if round == 0 {
		return prefix + ":" + id
	}
	return prefix + "#" + strconv.Itoa(round) + ":" + id
}

func getSettlement(tx *bolt.Tx, order string) (Settlement, bool, error) {
	v := tx.Bucket(bucketSettlements).Get([]byte(order))
	if v == nil {
		return Settlement{}, false, nil
	}
	var st Settlement
	if err := json.Unmarshal(v, &st); err != nil {
		return Settlement{}, false, fmt.Errorf("decode settlement of %s: %w", order, err)
	}
	return st, true, nil
}

// points returns the base points an order amount (cents) earns.
func (s *Service) points(cents int64) int64 { return cents / 100 * s.cfg.PointsPerUnit }

// settle brings the points of an order marked unsettled in line with its
// state, one idempotent step at a time, then clears the mark. An unlink's
// revocation closes the round and, when the customer is linked again by
// then, settles the next round for that member. The caller holds the
// order's lock.
func (s *Service) settle(ctx context.Context, id string) error {
	for {
		again, err := s.settleRound(ctx, id)
		if err != nil || !again {
			return err
		}
	}
}

// settleRound settles the order's current round and reports whether the
// order needs settling again: an unlink asked to revoke it meanwhile, or the
// round closed and the next one has a member.
func (s *Service) settleRound(ctx context.Context, id string) (bool, error) {
	var o Order
	var st Settlement
	var marked bool
	err := s.db.View(func(tx *bolt.Tx) error {
		mark := tx.Bucket(bucketUnsettled).Get([]byte(id))
		if marked = len(mark) == 8; !marked {
			return nil
		}
		var err error
		if o, err = decodeOrder(tx.Bucket(bucketOrders).Get([]byte(id))); err != nil {
			return err
		}
		var found bool
		if st, found, err = getSettlement(tx, id); err == nil && (!found || st.Member == 0) {
			st.Member = binary.BigEndian.Uint64(mark)
		}
		return err
	})
	if err != nil || !marked {
		return false, err
	}
	acct := loyalty.Member(st.Member)
	if !st.Decided {
		if err := s.decide(ctx, o, &st, acct); err != nil {
			return false, err
		}
		if err := s.step("settle", 2); err != nil {
			return false, err
		}
		if _, err := s.save(id, &st, false); err != nil {
			return false, err
		}
	}
	if r := min(o.refundTotal(), o.Amount); r > st.Refunded && st.Earned > 0 {
		if err := s.clawBack(ctx, o, &st, acct, r); err != nil {
			return false, err
		}
	} else if r > st.Refunded {
		st.Refunded = r
	}
	if st.Revoke {
		if err := s.revoke(ctx, o, &st, acct); err != nil {
			return false, err
		}
		if err := s.step("unlink", 3); err != nil {
			return false, err
		}
		return s.closeRound(o, st)
	}
	if err := s.step("settle", 4); err != nil {
		return false, err
	}
	return s.save(id, &st, true)
}

// decide credits the order's points, held through the return window, or
// records why it earns none.
func (s *Service) decide(ctx context.Context, o Order, st *Settlement, acct loyalty.AccountID) error {
	now := s.cfg.Now()
	base := s.points(o.Amount)
	switch {
	case base <= 0:
		st.Note = "nothing paid"
	case o.Created.Before(now.AddDate(0, 0, -s.cfg.MaxAgeDays)):
		st.Note = "older than orders.max_age_days"
	case o.refundTotal() >= o.Amount:
		st.Note = "refunded before it was settled"
	}
	if st.Note != "" {
		st.Decided, st.Refunded = true, min(o.refundTotal(), o.Amount)
		return nil
	}
	if err := s.step("settle", 1); err != nil {
		return err
	}
	p := loyalty.Posting{Key: roundKey("order", o.ID, st.Round), From: loyalty.Issuance("orders"), To: acct, Amount: base,
		Reason: "order " + o.ID, Multiply: true, Spend: o.Amount / 100}
	if s.cfg.ReturnWindow > 0 {
		if end := o.Created.Add(s.cfg.ReturnWindow); end.After(now) {
			p.HoldUntil = end
		}
	}
	rc, err := s.ledger.Post(ctx, p)
	if errors.Is(err, loyalty.ErrIdempotencyConflict) && st.Round == 0 {
		// Paid by a release before settlements were recorded: adopt that
		// entry (its hold, if any, runs out by itself).
		e, lerr := s.ledger.EntryByKey(ctx, p.Key)
		if lerr != nil {
			return fmt.Errorf("points for order %s: %w", o.ID, err)
		}
		st.Decided, st.Earned = true, e.Amount
		return nil
	}
	if err != nil {
		return fmt.Errorf("points for order %s: %w", o.ID, err)
	}
	st.Decided, st.Earned = true, rc.Entry.Amount
	if rc.Hold != nil {
		st.Hold, st.HoldEnd = rc.Hold.ID, rc.Hold.Expires
	}
	return nil
}

// clawBack takes back the share of the points that refunds up to r (cents)
// add to what was taken before: out of the order's hold while it is open,
// else out of what the member has available.
func (s *Service) clawBack(ctx context.Context, o Order, st *Settlement, acct loyalty.AccountID, r int64) error {
	target := int64(math.Round(float64(st.Earned) * float64(r) / float64(o.Amount)))
	delta := target - st.Taken
	if delta > 0 {
		if err := s.step("settle", 3); err != nil {
			return err
		}
		key := roundKey("order-refund", o.ID, st.Round) + ":" + strconv.FormatInt(r, 10)
		taken, err := s.take(ctx, key, "refund of order "+o.ID, o, st, acct, delta, r-st.Refunded)
		if err != nil {
			return err
		}
		st.Taken += taken
		if short := delta - taken; short > 0 {
			st.Short += short
			s.log.WarnContext(ctx, "refund could not take back points already spent", "order", o.ID, "member", st.Member, "short", short)
		}
	}
	st.Refunded = r
	return nil
}

// revoke takes back what refunds left of the round's points, for a
// manager's unlink: out of the order's hold while it is open, else out of
// what the member has available. What they spent already is recorded as
// Short.
func (s *Service) revoke(ctx context.Context, o Order, st *Settlement, acct loyalty.AccountID) error {
	if want := st.Earned - st.Taken; want > 0 {
		if err := s.step("unlink", 2); err != nil {
			return err
		}
		got, err := s.take(ctx, roundKey("order-unlink", o.ID, st.Round), "shop account unlinked: order "+o.ID,
			o, st, acct, want, o.Amount-st.Refunded)
		if err != nil {
			return err
		}
		st.Revoked = got
		if short := want - got; short > 0 {
			s.log.WarnContext(ctx, "unlink could not take back points already spent", "order", o.ID, "member", st.Member, "short", short)
		}
	}
	st.Short = st.Earned - st.Taken - st.Revoked
	return nil
}

// take posts one clawback under key, or finds the one a crashed attempt
// posted, and returns the points it took. spendCents is the purchase value
// it takes back, for tiers by spend.
func (s *Service) take(ctx context.Context, key, reason string, o Order, st *Settlement, acct loyalty.AccountID, want, spendCents int64) (int64, error) {
	if e, err := s.ledger.EntryByKey(ctx, key); err == nil {
		return e.Amount, nil
	} else if !errors.Is(err, loyalty.ErrNotFound) {
		return 0, err
	}
	if st.Hold != 0 {
		rc, err := s.ledger.CapturePart(ctx, loyalty.PartialCapture{Key: key, Hold: st.Hold, Amount: want,
			Sink: loyalty.Issuance("orders"), Reason: reason, Spend: spendCents / 100})
		switch {
		case err == nil:
			return rc.Entry.Amount, nil
		case !errors.Is(err, loyalty.ErrHoldExpired) && !errors.Is(err, loyalty.ErrHoldResolved) && !errors.Is(err, loyalty.ErrInvalidAmount):
			return 0, fmt.Errorf("take back points of order %s from its hold: %w", o.ID, err)
		}
		// The return window is over (or the hold went with an erasure): the
		// points are the member's to spend, so take what is there.
	}
	b, err := s.ledger.Balance(ctx, acct)
	if err != nil {
		return 0, err
	}
	n := min(want, b.Available)
	if n <= 0 {
		return 0, nil
	}
	rc, err := s.ledger.Post(ctx, loyalty.Posting{Key: key, From: acct, To: loyalty.Issuance("orders"), Amount: n,
		Reason: reason, Spend: spendCents / 100})
	var short *loyalty.InsufficientFundsError
	if errors.As(err, &short) { // spent between the balance read and the post
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("take back points of order %s: %w", o.ID, err)
	}
	return rc.Entry.Amount, nil
}

// save stores a settlement and, when done, clears the order's unsettled
// mark. A revocation an unlink asked for since st was read is kept (st.Revoke
// turns true), and then the mark stays: save reports that the order needs
// settling again.
func (s *Service) save(id string, st *Settlement, done bool) (again bool, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		stored, found, err := getSettlement(tx, id)
		if err != nil {
			return err
		}
		if found && stored.Round == st.Round && stored.Revoke && !st.Revoke {
			st.Revoke, again = true, true
		}
		if err := putSettlement(tx, id, *st); err != nil {
			return err
		}
		if done && !again {
			return tx.Bucket(bucketUnsettled).Delete([]byte(id))
		}
		return nil
	})
	return again && done, err
}

// closeRound stores the round an unlink revoked among the past ones and
// opens the next, in one transaction. When the customer is linked to a
// member by now, the next round is theirs and the order stays marked:
// closeRound reports that it needs settling again. Otherwise the mark is
// cleared and the order waits for the next link.
func (s *Service) closeRound(o Order, st Settlement) (again bool, err error) {
	err = s.db.Update(func(tx *bolt.Tx) error {
		past := append(st.Past[:len(st.Past):len(st.Past)], st)
		past[len(past)-1].Past = nil
		next := Settlement{Round: st.Round + 1, Past: past}
		if v := tx.Bucket(bucketLinks).Get([]byte(o.Customer)); len(v) == 8 {
			next.Member, again = binary.BigEndian.Uint64(v), true
		}
		if err := putSettlement(tx, o.ID, next); err != nil {
			return err
		}
		if again {
			return tx.Bucket(bucketUnsettled).Put([]byte(o.ID), u64(next.Member))
		}
		return tx.Bucket(bucketUnsettled).Delete([]byte(o.ID))
	})
	return again, err
}

func putSettlement(tx *bolt.Tx, id string, st Settlement) error {
	v, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketSettlements).Put([]byte(id), v)
}

// Resume finishes every settlement a crash interrupted. Run it at start-up,
// before taking new orders. It returns how many orders it settled.
func (s *Service) Resume(ctx context.Context) (int, error) {
	var ids []string
	if err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketUnsettled).ForEach(func(k, _ []byte) error {
			ids = append(ids, string(k))
			return nil
		})
	}); err != nil {
		return 0, err
	}
	for i, id := range ids {
		if err := s.settleLocked(ctx, id); err != nil {
			return i, fmt.Errorf("resume order %s: %w", id, err)
		}
	}
	if len(ids) > 0 {
		s.log.InfoContext(ctx, "finished interrupted order settlements", "orders", len(ids))
	}
	return len(ids), nil
}

func (s *Service) settleLocked(ctx context.Context, id string) error {
	mu := s.lock(id)
	mu.Lock()
	defer mu.Unlock()
	return s.settle(ctx, id)
}

// SettlementOf returns what order id did to points, and false when it did
// nothing (no linked member).
func (s *Service) SettlementOf(ctx context.Context, id string) (Settlement, bool, error) {
	if err := ctx.Err(); err != nil {
		return Settlement{}, false, err
	}
	var st Settlement
	var found bool
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		st, found, err = getSettlement(tx, id)
		return err
	})
	return st, found, err
}
