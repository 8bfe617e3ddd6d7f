package orders

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/loyalbot/loyalbot/loyalty"
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

// settler settles orders' points: it runs each order's settlement steps,
// one order at a time (a lock per order id), and finishes interrupted
// ones. It is safe for concurrent use.
type settler struct {
	store  Store
	ledger Ledger
	cfg    Config
	log    *slog.Logger
	locks  [numLocks]sync.Mutex // by order id: one settlement of an order at a time
}

// numLocks is how many locks the settler spreads order ids over.
const numLocks = 64

func (s *settler) stripe(order string) int {
	h := fnv.New32a()
	h.Write([]byte(order))
	return int(h.Sum32() % numLocks)
}

func (s *settler) lock(order string) *sync.Mutex { return &s.locks[s.stripe(order)] }

func (s *settler) step(op string, n int) error {
	if s.cfg.StepHook == nil {
		return nil
	}
	return s.cfg.StepHook(op, n)
}

// points returns the base points an order amount (cents) earns.
func (s *settler) points(cents int64) int64 { return cents / 100 * s.cfg.PointsPerUnit }

// settleLocked settles order id under its lock.
func (s *settler) settleLocked(ctx context.Context, id string) error {
	mu := s.lock(id)
	mu.Lock()
	defer mu.Unlock()
	return s.settle(ctx, id)
}

// settle brings the points of an order marked unsettled in line with its
// state, one idempotent step at a time, then clears the mark. An unlink's
// revocation closes the round and, when the customer is linked again by
// then, settles the next round for that member. The caller holds the
// order's lock.
func (s *settler) settle(ctx context.Context, id string) error {
	for {
		again, err := s.settleRound(ctx, id)
		if err != nil || !again {
			return err
		}
	}
}

// load reads what settling order id needs: the order, its settlement (with
// the member of the mark when the round has none yet), and whether it is
// marked unsettled at all.
func load(tx ReadTx, id string) (o Order, st Settlement, marked bool, err error) {
	member, marked, err := tx.Unsettled(id)
	if err != nil || !marked {
		return Order{}, Settlement{}, false, err
	}
	o, ok, err := tx.Order(id)
	if err != nil {
		return Order{}, Settlement{}, false, err
	}
	if !ok {
		return Order{}, Settlement{}, false, fmt.Errorf("order %s is marked unsettled but not stored", id)
	}
	st, found, err := tx.Settlement(id)
	if err != nil {
		return Order{}, Settlement{}, false, err
	}
	if !found || st.Member == 0 {
		st.Member = member
	}
	return o, st, true, nil
}

// settleRound settles the order's current round and reports whether the
// order needs settling again: an unlink asked to revoke it meanwhile, or the
// round closed and the next one has a member.
func (s *settler) settleRound(ctx context.Context, id string) (bool, error) {
	var o Order
	var st Settlement
	var marked bool
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		o, st, marked, err = load(tx, id)
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
		if _, err := s.save(ctx, id, &st, false); err != nil {
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
		return s.closeRound(ctx, o, st)
	}
	if err := s.step("settle", 4); err != nil {
		return false, err
	}
	return s.save(ctx, id, &st, true)
}

// noPoints returns why order o earns no points, or "" when it earns some.
func (s *settler) noPoints(o Order, now time.Time) string {
	switch {
	case s.points(o.Amount) <= 0:
		return "nothing paid"
	case o.Created.Before(now.AddDate(0, 0, -s.cfg.MaxAgeDays)):
		return "older than orders.max_age_days"
	case o.refundTotal() >= o.Amount:
		return "refunded before it was settled"
	}
	return ""
}

// credit is the posting that pays order o's points in st's round, held
// through the return window when it is still open at now.
func (s *settler) credit(o Order, st *Settlement, acct loyalty.AccountID, now time.Time) loyalty.Posting {
	p := loyalty.Posting{Key: roundKey("order", o.ID, st.Round), From: loyalty.Issuance("orders"), To: acct, Amount: s.points(o.Amount),
		Reason: "order " + o.ID, Multiply: true, Spend: o.Amount / 100}
	if s.cfg.ReturnWindow > 0 {
		if end := o.Created.Add(s.cfg.ReturnWindow); end.After(now) {
			p.HoldUntil = end
		}
	}
	return p
}

// decide credits the order's points, held through the return window, or
// records why it earns none.
func (s *settler) decide(ctx context.Context, o Order, st *Settlement, acct loyalty.AccountID) error {
	now := s.cfg.Now()
	if st.Note = s.noPoints(o, now); st.Note != "" {
		st.Decided, st.Refunded = true, min(o.refundTotal(), o.Amount)
		return nil
	}
	if err := s.step("settle", 1); err != nil {
		return err
	}
	p := s.credit(o, st, acct, now)
	rc, err := s.ledger.Post(ctx, p)
	return s.decided(ctx, o, st, p, rc, err)
}

// decided records in st the outcome of posting p, the order's credit.
func (s *settler) decided(ctx context.Context, o Order, st *Settlement, p loyalty.Posting, rc loyalty.Receipt, err error) error {
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
func (s *settler) clawBack(ctx context.Context, o Order, st *Settlement, acct loyalty.AccountID, r int64) error {
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
func (s *settler) revoke(ctx context.Context, o Order, st *Settlement, acct loyalty.AccountID) error {
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
func (s *settler) take(ctx context.Context, key, reason string, o Order, st *Settlement, acct loyalty.AccountID, want, spendCents int64) (int64, error) {
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
func (s *settler) save(ctx context.Context, id string, st *Settlement, done bool) (again bool, err error) {
	err = s.store.Update(ctx, func(tx Tx) error {
		var err error
		again, err = putSettled(tx, id, st, done)
		return err
	})
	return again && done, err
}

// putSettled is save's transaction: it reports whether an unlink asked to
// revoke st's round since st was read.
func putSettled(tx Tx, id string, st *Settlement, done bool) (revoked bool, err error) {
	stored, found, err := tx.Settlement(id)
	if err != nil {
		return false, err
	}
	if found && stored.Round == st.Round && stored.Revoke && !st.Revoke {
		st.Revoke, revoked = true, true
	}
	if err := tx.PutSettlement(id, *st); err != nil {
		return false, err
	}
	if done && !revoked {
		return false, tx.ClearUnsettled(id)
	}
	return revoked, nil
}

// closeRound stores the round an unlink revoked among the past ones and
// opens the next, in one transaction. When the customer is linked to a
// member by now, the next round is theirs and the order stays marked:
// closeRound reports that it needs settling again. Otherwise the mark is
// cleared and the order waits for the next link.
func (s *settler) closeRound(ctx context.Context, o Order, st Settlement) (again bool, err error) {
	err = s.store.Update(ctx, func(tx Tx) error {
		past := append(st.Past[:len(st.Past):len(st.Past)], st)
		past[len(past)-1].Past = nil
		next := Settlement{Round: st.Round + 1, Past: past}
		member, linked, err := tx.Link(o.Customer)
		if err != nil {
			return err
		}
		if linked {
			next.Member, again = member, true
		}
		if err := tx.PutSettlement(o.ID, next); err != nil {
			return err
		}
		if again {
			return tx.MarkUnsettled(o.ID, next.Member)
		}
		return tx.ClearUnsettled(o.ID)
	})
	return again, err
}

// Resume finishes every settlement a crash interrupted (an import's among
// them, many orders at a time). Run it at start-up, before taking new
// orders. It returns how many orders it settled.
func (s *Service) Resume(ctx context.Context) (int, error) {
	var ids []string
	if err := s.store.View(ctx, func(tx ReadTx) error {
		return tx.UnsettledOrders(func(id string, _ uint64) error {
			ids = append(ids, id)
			return nil
		})
	}); err != nil {
		return 0, err
	}
	for i := 0; i < len(ids); i += settleBatch {
		chunk := ids[i:min(i+settleBatch, len(ids))]
		if err := s.settler.settleMany(ctx, chunk); err != nil {
			return i, fmt.Errorf("resume order settlements: %w", err)
		}
	}
	if len(ids) > 0 {
		s.log.InfoContext(ctx, "finished interrupted order settlements", "orders", len(ids))
	}
	return len(ids), nil
}

// SettlementOf returns what order id did to points, and false when it did
// nothing (no linked member).
func (s *Service) SettlementOf(ctx context.Context, id string) (Settlement, bool, error) {
	var st Settlement
	var found bool
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		st, found, err = tx.Settlement(id)
		return err
	})
	return st, found, err
}
