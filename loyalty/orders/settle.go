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

// Settlement is what an order did to a member's points.
type Settlement struct {
	Member  uint64 `json:"member"`  // who earned the points; refunds take back from them
	Decided bool   `json:"decided"` // whether the order earns points has been decided
	// Earned is the points credited (tier multiplier applied); 0 when the
	// order earned none (too old, nothing paid, refunded before it was seen).
	Earned   int64     `json:"earned,omitempty"`
	Hold     uint64    `json:"hold,omitempty"`     // the hold keeping them pending
	HoldEnd  time.Time `json:"hold_end,omitzero"`  // end of the return window
	Refunded int64     `json:"refunded,omitempty"` // cents of refunds accounted for
	Taken    int64     `json:"taken,omitempty"`    // points refunds took back
	// Short is points refunds should have taken back but the member had
	// spent already (after the return window).
	Short int64  `json:"short,omitempty"`
	Note  string `json:"note,omitempty"` // why no points: "too old", "nothing paid"
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
// state, one idempotent step at a time, then clears the mark. The caller
// holds the order's lock.
func (s *Service) settle(ctx context.Context, id string) error {
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
		if st, found, err = getSettlement(tx, id); err == nil && !found {
			st.Member = binary.BigEndian.Uint64(mark)
		}
		return err
	})
	if err != nil || !marked {
		return err
	}
	acct := loyalty.Member(st.Member)
	if !st.Decided {
		if err := s.decide(ctx, o, &st, acct); err != nil {
			return err
		}
		if err := s.step("settle", 2); err != nil {
			return err
		}
		if err := s.save(id, st, false); err != nil {
			return err
		}
	}
	if r := min(o.refundTotal(), o.Amount); r > st.Refunded && st.Earned > 0 {
		if err := s.clawBack(ctx, o, &st, acct, r); err != nil {
			return err
		}
	} else if r > st.Refunded {
		st.Refunded = r
	}
	if err := s.step("settle", 4); err != nil {
		return err
	}
	return s.save(id, st, true)
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
	p := loyalty.Posting{Key: "order:" + o.ID, From: loyalty.Issuance("orders"), To: acct, Amount: base,
		Reason: "order " + o.ID, Multiply: true, Spend: o.Amount / 100}
	if s.cfg.ReturnWindow > 0 {
		if end := o.Created.Add(s.cfg.ReturnWindow); end.After(now) {
			p.HoldUntil = end
		}
	}
	rc, err := s.ledger.Post(ctx, p)
	if errors.Is(err, loyalty.ErrIdempotencyConflict) {
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
		key := "order-refund:" + o.ID + ":" + strconv.FormatInt(r, 10)
		taken, err := s.take(ctx, key, o, st, acct, delta, r-st.Refunded)
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

// take posts one clawback under key, or finds the one a crashed attempt
// posted, and returns the points it took.
func (s *Service) take(ctx context.Context, key string, o Order, st *Settlement, acct loyalty.AccountID, want, refundCents int64) (int64, error) {
	if e, err := s.ledger.EntryByKey(ctx, key); err == nil {
		return e.Amount, nil
	} else if !errors.Is(err, loyalty.ErrNotFound) {
		return 0, err
	}
	reason := "refund of order " + o.ID
	if st.Hold != 0 {
		rc, err := s.ledger.CapturePart(ctx, loyalty.PartialCapture{Key: key, Hold: st.Hold, Amount: want,
			Sink: loyalty.Issuance("orders"), Reason: reason, Spend: refundCents / 100})
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
		Reason: reason, Spend: refundCents / 100})
	var short *loyalty.InsufficientFundsError
	if errors.As(err, &short) { // spent between the balance read and the post
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("take back points of order %s: %w", o.ID, err)
	}
	return rc.Entry.Amount, nil
}

// save stores a settlement, and clears the order's unsettled mark when done.
func (s *Service) save(id string, st Settlement, done bool) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		v, err := json.Marshal(st)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketSettlements).Put([]byte(id), v); err != nil {
			return err
		}
		if done {
			return tx.Bucket(bucketUnsettled).Delete([]byte(id))
		}
		return nil
	})
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
