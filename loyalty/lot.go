package loyalty

import (
	"context"
	"fmt"
	"time"
)

// Lot is a parcel of a member's points that expires together. Every credit
// to a member adds to the lot of its expiry day; spending takes points from
// the lot that expires first. The lots of a member always sum to its balance.
type Lot struct {
	Expires   time.Time // zero: never expires
	Remaining int64
}

// addLots gives member a back the points a debit took from its lots.
func (s *wtx) addLots(a AccountID, uses []LotUse) error {
	for _, u := range uses {
		if _, err := s.AddLot(a, u.Expires, u.Amount); err != nil {
			return err
		}
	}
	return nil
}

// consumeLots takes amount points from member a's lots, earliest expiry
// first. When reversing a credit to a, the lot that credit went into is used
// first. The caller has checked that the balance covers amount.
func (s *wtx) consumeLots(a AccountID, amount int64, original *Entry) ([]LotUse, error) {
	var uses []LotUse
	take := func(exp time.Time, have int64) error {
		n := min(have, amount)
		if n <= 0 {
			return nil
		}
		amount -= n
		uses = append(uses, LotUse{Expires: exp, Amount: n})
		_, err := s.AddLot(a, exp, -n)
		return err
	}
	if original != nil && original.To == a {
		have, err := s.Lot(a, original.Expires)
		if err != nil {
			return nil, err
		}
		if err := take(original.Expires, have); err != nil {
			return nil, err
		}
	}
	if amount == 0 {
		return uses, nil
	}
	// Find the lots first: a store's iteration does not survive writes.
	var lots []Lot
	need := amount
	err := s.LotsOf(a, func(l Lot) error {
		if need <= 0 {
			return errStop
		}
		lots = append(lots, l)
		need -= l.Remaining
		return nil
	})
	if err := stopped(err); err != nil {
		return nil, err
	}
	for _, l := range lots {
		if err := take(l.Expires, l.Remaining); err != nil {
			return nil, err
		}
	}
	if amount > 0 {
		return nil, fmt.Errorf("consume %s: lots short by %d: %w", a, amount, errCorrupt)
	}
	return uses, nil
}

// Lots returns member a's open lots, earliest expiry first.
func (l *Ledger) Lots(ctx context.Context, a AccountID) ([]Lot, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a = l.redirects.resolve(a)
	var lots []Lot
	err := l.store.View(ctx, func(tx ReadTx) error {
		lots = nil
		return tx.LotsOf(a, func(lot Lot) error {
			lots = append(lots, lot)
			return nil
		})
	})
	return lots, err
}

// NextExpiry returns the points of member a that expire first and when, with
// ok false when none of the member's points expire.
func (l *Expiry) NextExpiry(ctx context.Context, a AccountID) (lot Lot, ok bool, err error) {
	if err := ctx.Err(); err != nil {
		return Lot{}, false, err
	}
	a = l.redirects.resolve(a)
	err = l.store.View(ctx, func(tx ReadTx) error {
		return stopped(tx.LotsOf(a, func(first Lot) error {
			lot, ok = first, !first.Expires.IsZero()
			return errStop
		}))
	})
	if err != nil || !ok {
		return Lot{}, false, err
	}
	return lot, true, nil
}

// ExpiryReport says what one ExpireDue run did.
type ExpiryReport struct {
	Lots   int   // lots (fully or partly) expired
	Points int64 // points expired
	Holds  int   // holds voided because their TTL passed
}

// Expiry reads when members' points expire: the next lot of a member and
// the lots expiring in a window. It shares its Ledger's store.
type Expiry struct{ *Ledger }

// LotsExpiring calls fn for every member lot with points left that
// expires in (after, until], ordered by expiry time, then account (from the
// index of lots by expiry): what expiry reminders read.
func (l *Expiry) LotsExpiring(ctx context.Context, after, until time.Time, fn func(a AccountID, points int64, expires time.Time) error) error {
	return l.store.View(ctx, func(tx ReadTx) error {
		return tx.LotsDue(until, DueLot{Expires: after.Truncate(time.Second)}, func(d DueLot) error {
			if !d.Expires.After(after) {
				return nil
			}
			n, err := tx.Lot(d.Account, d.Expires)
			if err != nil || n <= 0 {
				return err
			}
			return fn(d.Account, n, d.Expires)
		})
	})
}

// expireChunk is how many due lots one expiry write takes on.
const expireChunk = 256

// ExpireDue posts an expiry entry for every lot whose expiry time is at or
// before now, and voids holds past their TTL. It is idempotent and safe to run
// from several goroutines at once: each lot is re-read inside the write
// transaction, so a lot is never expired twice. Held points are not expired
// while their hold is open; they expire in the first run after it resolves.
func (l *Ledger) ExpireDue(ctx context.Context, now time.Time) (ExpiryReport, error) {
	var rep ExpiryReport
	var after DueLot
	for {
		var due []DueLot
		err := l.store.View(ctx, func(tx ReadTx) error {
			due = due[:0]
			return stopped(tx.LotsDue(now, after, func(d DueLot) error {
				due = append(due, d)
				if len(due) == expireChunk {
					return errStop
				}
				return nil
			}))
		})
		if err != nil {
			return rep, fmt.Errorf("expire: %w", err)
		}
		if len(due) == 0 {
			break
		}
		after = due[len(due)-1]
		out, err := l.w.do(ctx, func(s *wtx) (any, error) { return l.expireLots(s, due, now) })
		if err != nil {
			return rep, fmt.Errorf("expire: %w", err)
		}
		r := out.(ExpiryReport)
		rep.Lots += r.Lots
		rep.Points += r.Points
	}
	n, err := l.voidExpiredHolds(ctx, now)
	rep.Holds = n
	if rep.Lots > 0 || n > 0 {
		l.log.InfoContext(ctx, "expired points", "lots", rep.Lots, "points", rep.Points, "holds", n)
	}
	return rep, err
}

func (l *Ledger) expireLots(s *wtx, due []DueLot, now time.Time) (ExpiryReport, error) {
	var rep ExpiryReport
	for _, d := range due {
		a, exp := d.Account, d.Expires.Unix()
		remaining, err := s.Lot(a, d.Expires)
		if err != nil {
			return rep, err
		}
		if remaining == 0 {
			continue // expired or spent by an earlier run
		}
		acc, err := s.Account(a)
		if err != nil {
			return rep, err
		}
		held := acc.Held
		if held > 0 {
			if held, _, err = liveHolds(s, a, now); err != nil {
				return rep, err
			}
		}
		n := min(remaining, acc.Balance-held)
		if n <= 0 {
			continue
		}
		key := fmt.Sprintf("expire:%s:%d", a, exp)
		for i := 2; ; i++ {
			_, used, err := s.Key(key)
			if err != nil {
				return rep, err
			}
			if !used {
				break
			}
			key = fmt.Sprintf("expire:%s:%d:%d", a, exp, i)
		}
		rc, err := l.post(s, Entry{Key: key, From: a, To: ExpiryAccount, Amount: n, Reason: "points expired"}, postOpts{})
		if err != nil {
			// %v, not %w: n was checked above, so any failure here must abort
			// the whole transaction rather than pass as a rejection.
			return rep, fmt.Errorf("expire lot %s@%d: %v", a, exp, err)
		}
		if err := s.PutKey(key, KeyRecord{Kind: KeyExpire, Hash: hashOf(key), Ref: rc.Entry.ID}); err != nil {
			return rep, err
		}
		rep.Lots++
		rep.Points += n
	}
	return rep, nil
}
