package loyalty

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Lot is a parcel of a member's points that expires together. Every credit
// to a member adds to the lot of its expiry day; spending takes points from
// the lot that expires first. The lots of a member always sum to its balance.
type Lot struct {
	Expires   time.Time // zero: never expires
	Remaining int64
}

const neverExpires = math.MaxUint64

func expKey(t time.Time) uint64 {
	if t.IsZero() {
		return neverExpires
	}
	return uint64(t.Unix())
}

func expTime(k uint64) time.Time {
	if k == neverExpires {
		return time.Time{}
	}
	return time.Unix(int64(k), 0).UTC()
}

// lotUse records how many points a debit took from one lot, so a reversal
// can put them back where they came from.
type lotUse struct {
	exp    uint64
	amount int64
}

func encodeUses(uses []lotUse) []byte {
	b := make([]byte, 0, 16*len(uses))
	for _, u := range uses {
		b = binary.BigEndian.AppendUint64(b, u.exp)
		b = binary.BigEndian.AppendUint64(b, uint64(u.amount))
	}
	return b
}

func decodeUses(b []byte) []lotUse {
	uses := make([]lotUse, 0, len(b)/16)
	for ; len(b) >= 16; b = b[16:] {
		uses = append(uses, lotUse{exp: binary.BigEndian.Uint64(b), amount: int64(binary.BigEndian.Uint64(b[8:]))})
	}
	return uses
}

func (s *store) lot(a AccountID, exp uint64) int64 {
	v := s.lots().Get(acctKey(a, u64(exp)))
	if len(v) != 8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(v))
}

// setLot changes a lot from old to remaining points, deleting it when none
// remain. The expiry index names each non-empty lot that can expire.
func (s *store) setLot(a AccountID, exp uint64, old, remaining int64) error {
	k := acctKey(a, u64(exp))
	ik := append(u64(exp), a...)
	switch {
	case remaining == 0:
		if err := s.lots().Delete(k); err != nil {
			return err
		}
		return s.lotExpiry().Delete(ik)
	case old == 0 && exp != neverExpires:
		if err := s.lotExpiry().Put(ik, nil); err != nil {
			return err
		}
	}
	return s.lots().Put(k, u64(uint64(remaining)))
}

// addLot adds amount points to member a's lot expiring at exp.
func (s *store) addLot(a AccountID, exp uint64, amount int64) error {
	old := s.lot(a, exp)
	return s.setLot(a, exp, old, old+amount)
}

// consumeLots takes amount points from member a's lots, earliest expiry
// first. When reversing a credit to a, the lot that credit went into is used
// first. The caller has checked that the balance covers amount.
func (s *store) consumeLots(a AccountID, amount int64, original *Entry) ([]lotUse, error) {
	var uses []lotUse
	take := func(exp uint64, have int64) error {
		n := min(have, amount)
		if n <= 0 {
			return nil
		}
		amount -= n
		uses = append(uses, lotUse{exp: exp, amount: n})
		return s.setLot(a, exp, have, have-n)
	}
	if original != nil && original.To == a {
		exp := expKey(original.Expires)
		if err := take(exp, s.lot(a, exp)); err != nil {
			return nil, err
		}
	}
	prefix := acctKey(a)
	for amount > 0 {
		// Seek afresh each round: setLot may delete the key under the cursor.
		k, v := s.lots().Cursor().Seek(prefix)
		if k == nil || !bytes.HasPrefix(k, prefix) {
			return nil, fmt.Errorf("consume %s: lots short by %d: %w", a, amount, errCorrupt)
		}
		if err := take(binary.BigEndian.Uint64(k[len(prefix):]), int64(binary.BigEndian.Uint64(v))); err != nil {
			return nil, err
		}
	}
	return uses, nil
}

// restoreLots gives member a back the points debit entry id took from its lots.
func (s *store) restoreLots(a AccountID, id uint64) error {
	for _, u := range decodeUses(s.consumed().Get(u64(id))) {
		if err := s.addLot(a, u.exp, u.amount); err != nil {
			return err
		}
	}
	return nil
}

// Lots returns member a's open lots, earliest expiry first.
func (l *Ledger) Lots(ctx context.Context, a AccountID) ([]Lot, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	a = l.redirects.resolve(a)
	var lots []Lot
	err := l.db.View(func(tx *bolt.Tx) error {
		prefix := acctKey(a)
		c := tx.Bucket(bucketNames[bLots]).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			lots = append(lots, Lot{Expires: expTime(binary.BigEndian.Uint64(k[len(prefix):])), Remaining: int64(binary.BigEndian.Uint64(v))})
		}
		return nil
	})
	return lots, err
}

// NextExpiry returns the points of member a that expire first and when, with
// ok false when none of the member's points expire.
func (l *Ledger) NextExpiry(ctx context.Context, a AccountID) (lot Lot, ok bool, err error) {
	lots, err := l.Lots(ctx, a)
	if err != nil || len(lots) == 0 || lots[0].Expires.IsZero() {
		return Lot{}, false, err
	}
	return lots[0], true, nil
}

// ExpiryReport says what one ExpireDue run did.
type ExpiryReport struct {
	Lots   int   // lots (fully or partly) expired
	Points int64 // points expired
	Holds  int   // holds voided because their TTL passed
}

// ExpireDue posts an expiry entry for every lot whose expiry time is at or
// before now, and voids holds past their TTL. It is idempotent and safe to run
// from several goroutines at once: each lot is re-read inside the write
// transaction, so a lot is never expired twice. Held points are not expired
// while their hold is open; they expire in the first run after it resolves.
func (l *Ledger) ExpireDue(ctx context.Context, now time.Time) (ExpiryReport, error) {
	var rep ExpiryReport
	var after []byte
	for {
		var due [][]byte
		err := l.db.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(bucketNames[bLotExpiry]).Cursor()
			k, _ := c.Seek(after)
			if after != nil && k != nil && string(k) == string(after) {
				k, _ = c.Next()
			}
			for ; k != nil && len(due) < 256 && binary.BigEndian.Uint64(k) <= uint64(now.Unix()); k, _ = c.Next() {
				due = append(due, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil || len(due) == 0 {
			break
		}
		after = due[len(due)-1]
		out, err := l.w.do(ctx, func(s *store) (any, error) { return l.expireLots(s, due, now) })
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

func (l *Ledger) expireLots(s *store, due [][]byte, now time.Time) (ExpiryReport, error) {
	var rep ExpiryReport
	for _, k := range due {
		exp, a := binary.BigEndian.Uint64(k), AccountID(k[8:])
		remaining := s.lot(a, exp)
		if remaining == 0 {
			continue // expired or spent by an earlier run
		}
		acc := s.account(a)
		held := acc.Held
		if held > 0 {
			held, _ = s.liveHolds(a, now)
		}
		n := min(remaining, acc.Balance-held)
		if n <= 0 {
			continue
		}
		key := fmt.Sprintf("expire:%s:%d", a, exp)
		for i := 2; s.keys().Get([]byte(key)) != nil; i++ {
			key = fmt.Sprintf("expire:%s:%d:%d", a, exp, i)
		}
		rc, err := l.post(s, Entry{Key: key, From: a, To: ExpiryAccount, Amount: n, Reason: "points expired"}, postOpts{})
		if err != nil {
			// %v, not %w: n was checked above, so any failure here must abort
			// the whole transaction rather than pass as a rejection.
			return rep, fmt.Errorf("expire lot %s@%d: %v", a, exp, err)
		}
		if err := s.putKey(key, kindExpire, hashOf(key), rc.Entry.ID); err != nil {
			return rep, err
		}
		rep.Lots++
		rep.Points += n
	}
	return rep, nil
}
