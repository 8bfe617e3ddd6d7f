package loyalty

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// HoldState is where a hold is in its life.
type HoldState string

// Hold states.
const (
	HoldOpen     HoldState = "open"
	HoldCaptured HoldState = "captured"
	HoldVoided   HoldState = "voided"
)

// Hold reserves points of a member, for example for a reward waiting for
// confirmation. Held points count in the balance but not in what the member
// can spend. A hold is captured (the points are debited) or voided (released)
// exactly once; an open hold past its Expires time counts as voided.
type Hold struct {
	ID      uint64    `json:"id"`
	Key     string    `json:"key"`
	Account AccountID `json:"account"`
	Amount  int64     `json:"amount"` // points it still reserves (a partial capture lowers it)
	Reason  string    `json:"reason,omitempty"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
	State   HoldState `json:"state"`
	Lapsed  bool      `json:"lapsed,omitempty"` // voided because its TTL passed
	Entry   uint64    `json:"entry,omitempty"`  // the capture's entry
	// Replay is true when this result comes from an earlier call with the same key.
	Replay bool `json:"-"`
}

// Hold reserves amount points of member a for ttl. It returns an
// *InsufficientFundsError when the member's available points do not cover
// amount. The same key and request return the original hold.
func (l *Ledger) Hold(ctx context.Context, key string, a AccountID, amount int64, ttl time.Duration, reason string) (Hold, error) {
	if ttl <= 0 {
		return Hold{}, fmt.Errorf("%w: ttl %s", ErrInvalidAmount, ttl)
	}
	h := hashOf("hold", string(a), strconv.FormatInt(amount, 10), ttl.String(), reason)
	return l.hold(ctx, key, a, amount, reason, h, func(now time.Time) time.Time { return now.Add(ttl) })
}

// HoldUntil is Hold with an absolute end instead of a TTL. Its idempotency
// payload is that end, so a retry computed later (a redelivered order whose
// return window ends at a fixed time) replays instead of conflicting. An end
// that is not after now returns an error wrapping ErrInvalidAmount.
func (l *Ledger) HoldUntil(ctx context.Context, key string, a AccountID, amount int64, until time.Time, reason string) (Hold, error) {
	until = until.UTC()
	h := hashOf("hold-until", string(a), strconv.FormatInt(amount, 10), until.Format(time.RFC3339Nano), reason)
	return l.hold(ctx, key, a, amount, reason, h, func(time.Time) time.Time { return until })
}

func (l *Ledger) hold(ctx context.Context, key string, a AccountID, amount int64, reason string, h [16]byte, end func(now time.Time) time.Time) (Hold, error) {
	switch {
	case key == "":
		return Hold{}, ErrEmptyKey
	case amount <= 0:
		return Hold{}, fmt.Errorf("%w: amount %d", ErrInvalidAmount, amount)
	case !a.IsMember():
		return Hold{}, fmt.Errorf("hold on %q: %w", a, ErrUnknownAccount)
	}
	out, err := l.w.do(ctx, func(s *store) (any, error) {
		if id, ok, err := s.replay(key, kindHold, h); err != nil || ok {
			return s.replayHold(id, err)
		}
		a := s.resolve(a)
		now := l.cfg.Now().UTC()
		expires := end(now)
		if !expires.After(now) {
			return nil, fmt.Errorf("%w: hold ends %s, before now", ErrInvalidAmount, expires.Format(time.RFC3339))
		}
		hd, err := s.placeHold(key, a, amount, reason, now, expires)
		if err != nil {
			return nil, err
		}
		return hd, s.putKey(key, kindHold, h, hd.ID)
	})
	if err != nil {
		return Hold{}, err
	}
	return out.(Hold), nil
}

// Capture debits the points of an open hold to the system account sink. It
// returns ErrHoldExpired when the hold's TTL has passed, ErrHoldResolved when
// it was captured or voided under another key, and ErrNotFound for an unknown
// hold. The same key returns the original receipt.
func (l *Ledger) Capture(ctx context.Context, key string, holdID uint64, sink AccountID, reason string) (Receipt, error) {
	if key == "" {
		return Receipt{}, ErrEmptyKey
	}
	if err := sink.Validate(); err != nil {
		return Receipt{}, err
	}
	h := hashOf("capture", strconv.FormatUint(holdID, 10), string(sink), reason)
	out, err := l.w.do(ctx, func(s *store) (any, error) {
		if id, ok, err := s.replay(key, kindCapture, h); err != nil || ok {
			return s.replayReceipt(id, err)
		}
		hd, err := s.openHold(holdID, l.cfg.Now())
		if err != nil {
			return nil, err
		}
		rc, err := l.post(s, Entry{Key: key, From: hd.Account, To: sink, Amount: hd.Amount, Reason: reason}, postOpts{release: hd.Amount})
		if err != nil {
			return nil, err
		}
		hd.State, hd.Entry = HoldCaptured, rc.Entry.ID
		if err := s.closeHold(hd); err != nil {
			return nil, err
		}
		return rc, s.putKey(key, kindCapture, h, rc.Entry.ID)
	})
	return receiptOf(out, err)
}

// PartialCapture asks to debit part of an open hold: Amount of the points
// it holds go to Sink; the rest stays held until the hold's end.
type PartialCapture struct {
	Key    string // idempotency key, required
	Hold   uint64
	Amount int64
	Sink   AccountID
	Reason string
	// Spend is the purchase value, in currency units, the debit takes back
	// (a refund's share), for tiers by spend.
	Spend int64
}

// CapturePart debits part of an open hold's points and keeps the rest held
// until the hold's end: a partial refund inside a return window takes back
// its share and leaves the remainder pending, in one step, so no released
// point can be spent in between. Capturing the whole remainder closes the
// hold. It returns the errors Capture does, and an error wrapping
// ErrInvalidAmount when Amount exceeds what the hold still holds.
func (l *Ledger) CapturePart(ctx context.Context, c PartialCapture) (Receipt, error) {
	if c.Key == "" {
		return Receipt{}, ErrEmptyKey
	}
	if c.Amount <= 0 {
		return Receipt{}, fmt.Errorf("%w: %d", ErrInvalidAmount, c.Amount)
	}
	if err := c.Sink.Validate(); err != nil {
		return Receipt{}, err
	}
	h := hashOf("capture-part", strconv.FormatUint(c.Hold, 10), strconv.FormatInt(c.Amount, 10), string(c.Sink), c.Reason, strconv.FormatInt(c.Spend, 10))
	out, err := l.w.do(ctx, func(s *store) (any, error) {
		if id, ok, err := s.replay(c.Key, kindCapture, h); err != nil || ok {
			return s.replayReceipt(id, err)
		}
		hd, err := s.openHold(c.Hold, l.cfg.Now())
		if err != nil {
			return nil, err
		}
		if c.Amount > hd.Amount {
			return nil, fmt.Errorf("%w: capture %d of hold %d holding %d", ErrInvalidAmount, c.Amount, c.Hold, hd.Amount)
		}
		rc, err := l.post(s, Entry{Key: c.Key, From: hd.Account, To: c.Sink, Amount: c.Amount, Reason: c.Reason, Spend: c.Spend}, postOpts{release: c.Amount})
		if err != nil {
			return nil, err
		}
		hd.Amount -= c.Amount
		if hd.Amount == 0 {
			hd.State, hd.Entry = HoldCaptured, rc.Entry.ID
			err = s.closeHold(hd)
		} else {
			err = s.putHold(hd)
		}
		if err != nil {
			return nil, err
		}
		return rc, s.putKey(c.Key, kindCapture, h, rc.Entry.ID)
	})
	return receiptOf(out, err)
}

// Void releases an open hold. It returns ErrHoldResolved when the hold was
// captured, or voided under another key, and ErrNotFound for an unknown hold.
// Voiding a hold whose TTL passed succeeds: it is void either way.
func (l *Ledger) Void(ctx context.Context, key string, holdID uint64) (Hold, error) {
	if key == "" {
		return Hold{}, ErrEmptyKey
	}
	h := hashOf("void", strconv.FormatUint(holdID, 10))
	out, err := l.w.do(ctx, func(s *store) (any, error) {
		if id, ok, err := s.replay(key, kindVoid, h); err != nil || ok {
			return s.replayHold(id, err)
		}
		now := l.cfg.Now()
		hd, err := s.hold(holdID)
		switch {
		case err != nil:
			return nil, err
		case hd.State == HoldCaptured, hd.State == HoldVoided && !hd.Lapsed:
			return nil, fmt.Errorf("void hold %d: %w", holdID, ErrHoldResolved)
		case hd.State == HoldOpen:
			acc := s.account(hd.Account)
			if err := s.voidHolds([]Hold{hd}, now, &acc); err != nil {
				return nil, err
			}
			if err := s.putAccount(hd.Account, acc); err != nil {
				return nil, err
			}
			if hd, err = s.hold(holdID); err != nil {
				return nil, err
			}
		}
		return hd, s.putKey(key, kindVoid, h, holdID)
	})
	if err != nil {
		return Hold{}, err
	}
	return out.(Hold), nil
}

// HoldByID returns a hold, with an open hold past its TTL reported as voided.
func (l *Ledger) HoldByID(ctx context.Context, id uint64) (Hold, error) {
	if err := ctx.Err(); err != nil {
		return Hold{}, err
	}
	var hd Hold
	err := l.db.View(func(tx *bolt.Tx) error {
		var err error
		hd, err = newStore(tx).hold(id)
		if err == nil && hd.State == HoldOpen && !l.cfg.Now().Before(hd.Expires) {
			hd.State, hd.Lapsed = HoldVoided, true
		}
		return err
	})
	return hd, err
}

// voidExpiredHolds voids every open hold whose TTL passed by now.
func (l *Ledger) voidExpiredHolds(ctx context.Context, now time.Time) (int, error) {
	out, err := l.w.do(ctx, func(s *store) (any, error) {
		var due []Hold
		c := s.holdExpiry().Cursor()
		for k, _ := c.First(); k != nil && binary.BigEndian.Uint64(k) <= uint64(now.Unix()); k, _ = c.Next() {
			hd, err := s.hold(binary.BigEndian.Uint64(k[8:]))
			if err != nil {
				return nil, err
			}
			due = append(due, hd)
		}
		for _, hd := range due {
			acc := s.account(hd.Account)
			if err := s.voidHolds([]Hold{hd}, now, &acc); err != nil {
				return nil, err
			}
			if err := s.putAccount(hd.Account, acc); err != nil {
				return nil, err
			}
		}
		return len(due), nil
	})
	if err != nil {
		return 0, fmt.Errorf("void expired holds: %w", err)
	}
	return out.(int), nil
}

// placeHold reserves amount points of member a from now until expires.
func (s *store) placeHold(key string, a AccountID, amount int64, reason string, now, expires time.Time) (Hold, error) {
	acc := s.account(a)
	held, expired := acc.Held, []Hold(nil)
	if held > 0 {
		held, expired = s.liveHolds(a, now)
	}
	if acc.Balance-held < amount {
		return Hold{}, &InsufficientFundsError{Account: a, Available: acc.Balance - held, Required: amount}
	}
	id, err := s.holds().NextSequence()
	if err != nil {
		return Hold{}, err
	}
	if err := s.voidHolds(expired, now, &acc); err != nil {
		return Hold{}, err
	}
	acc.Held += amount
	hd := Hold{ID: id, Key: key, Account: a, Amount: amount, Reason: reason, Created: now, Expires: expires, State: HoldOpen}
	if err := s.putHold(hd); err != nil {
		return Hold{}, err
	}
	if err := s.holdIndex().Put(acctKey(a, u64(id)), nil); err != nil {
		return Hold{}, err
	}
	if err := s.holdExpiry().Put(append(u64(uint64(hd.Expires.Unix())), u64(id)...), nil); err != nil {
		return Hold{}, err
	}
	return hd, s.putAccount(a, acc)
}

func (s *store) hold(id uint64) (Hold, error) {
	v := s.holds().Get(u64(id))
	if v == nil {
		return Hold{}, fmt.Errorf("hold %d: %w", id, ErrNotFound)
	}
	var hd Hold
	if err := json.Unmarshal(v, &hd); err != nil {
		return Hold{}, fmt.Errorf("decode hold %d: %w", id, err)
	}
	return hd, nil
}

// openHold returns hold id if it is open and within its TTL.
func (s *store) openHold(id uint64, now time.Time) (Hold, error) {
	hd, err := s.hold(id)
	switch {
	case err != nil:
		return Hold{}, err
	case hd.State == HoldCaptured, hd.State == HoldVoided && !hd.Lapsed:
		return Hold{}, fmt.Errorf("hold %d: %w", id, ErrHoldResolved)
	case hd.Lapsed || !now.Before(hd.Expires):
		return Hold{}, fmt.Errorf("hold %d: %w", id, ErrHoldExpired)
	}
	return hd, nil
}

func (s *store) replayHold(id uint64, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	hd, err := s.hold(id)
	hd.Replay = true
	return hd, err
}

func (s *store) putHold(hd Hold) error {
	v, err := json.Marshal(hd)
	if err != nil {
		return err
	}
	return s.holds().Put(u64(hd.ID), v)
}

// closeHold stores a hold that left the open state and drops its indexes.
func (s *store) closeHold(hd Hold) error {
	if err := s.putHold(hd); err != nil {
		return err
	}
	if err := s.holdIndex().Delete(acctKey(hd.Account, u64(hd.ID))); err != nil {
		return err
	}
	return s.holdExpiry().Delete(append(u64(uint64(hd.Expires.Unix())), u64(hd.ID)...))
}

// liveHolds returns the points member a has in open, unexpired holds and the
// open holds whose TTL has passed.
func (s *store) liveHolds(a AccountID, now time.Time) (held int64, expired []Hold) {
	prefix := acctKey(a)
	c := s.holdIndex().Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		hd, err := s.hold(binary.BigEndian.Uint64(k[len(prefix):]))
		if err != nil || hd.State != HoldOpen {
			continue
		}
		if now.Before(hd.Expires) {
			held += hd.Amount
		} else {
			expired = append(expired, hd)
		}
	}
	return held, expired
}

// voidHolds marks open holds voided and releases their points from acc. A
// hold voided at or after its TTL is marked Lapsed.
func (s *store) voidHolds(hs []Hold, now time.Time, acc *account) error {
	for _, hd := range hs {
		hd.State, hd.Lapsed = HoldVoided, !now.Before(hd.Expires)
		if err := s.closeHold(hd); err != nil {
			return err
		}
		acc.Held -= hd.Amount
	}
	return nil
}
