package loyalty

import (
	"context"
	"fmt"
	"strconv"
	"time"
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

// Holds reserves a member's points for later: a hold is captured (the
// points move), captured in part, voided, or lapses at its TTL. It shares
// its Ledger's store, writer and cache; get it from Ledger.Holds.
type Holds struct{ *Ledger }

// Hold reserves amount points of member a for ttl. It returns an
// *InsufficientFundsError when the member's available points do not cover
// amount. The same key and request return the original hold.
func (l *Holds) Hold(ctx context.Context, key string, a AccountID, amount int64, ttl time.Duration, reason string) (Hold, error) {
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
func (l *Holds) HoldUntil(ctx context.Context, key string, a AccountID, amount int64, until time.Time, reason string) (Hold, error) {
	until = until.UTC()
	h := hashOf("hold-until", string(a), strconv.FormatInt(amount, 10), until.Format(time.RFC3339Nano), reason)
	return l.hold(ctx, key, a, amount, reason, h, func(time.Time) time.Time { return until })
}

func (l *Holds) hold(ctx context.Context, key string, a AccountID, amount int64, reason string, h [16]byte, end func(now time.Time) time.Time) (Hold, error) {
	switch {
	case key == "":
		return Hold{}, ErrEmptyKey
	case amount <= 0:
		return Hold{}, fmt.Errorf("%w: amount %d", ErrInvalidAmount, amount)
	case !a.IsMember():
		return Hold{}, fmt.Errorf("hold on %q: %w", a, ErrUnknownAccount)
	}
	out, err := l.w.do(ctx, func(s *wtx) (any, error) {
		if id, ok, err := s.replay(key, KeyHold, h); err != nil || ok {
			return replayHold(s, id, err)
		}
		a, err := s.resolve(a)
		if err != nil {
			return nil, err
		}
		now := l.cfg.Now().UTC()
		expires := end(now)
		if !expires.After(now) {
			return nil, fmt.Errorf("%w: hold ends %s, before now", ErrInvalidAmount, expires.Format(time.RFC3339))
		}
		hd, err := s.placeHold(key, a, amount, reason, now, expires)
		if err != nil {
			return nil, err
		}
		return hd, s.PutKey(key, KeyRecord{Kind: KeyHold, Hash: h, Ref: hd.ID})
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
func (l *Holds) Capture(ctx context.Context, key string, holdID uint64, sink AccountID, reason string) (Receipt, error) {
	if key == "" {
		return Receipt{}, ErrEmptyKey
	}
	if err := sink.Validate(); err != nil {
		return Receipt{}, err
	}
	h := hashOf("capture", strconv.FormatUint(holdID, 10), string(sink), reason)
	out, err := l.w.do(ctx, func(s *wtx) (any, error) {
		if id, ok, err := s.replay(key, KeyCapture, h); err != nil || ok {
			return replayReceipt(s, id, err)
		}
		hd, err := openHold(s, holdID, l.cfg.Now())
		if err != nil {
			return nil, err
		}
		rc, err := l.post(s, Entry{Key: key, From: hd.Account, To: sink, Amount: hd.Amount, Reason: reason}, postOpts{release: hd.Amount})
		if err != nil {
			return nil, err
		}
		hd.State, hd.Entry = HoldCaptured, rc.Entry.ID
		if err := s.PutHold(hd); err != nil {
			return nil, err
		}
		return rc, s.PutKey(key, KeyRecord{Kind: KeyCapture, Hash: h, Ref: rc.Entry.ID})
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
func (l *Holds) CapturePart(ctx context.Context, c PartialCapture) (Receipt, error) {
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
	out, err := l.w.do(ctx, func(s *wtx) (any, error) {
		if id, ok, err := s.replay(c.Key, KeyCapture, h); err != nil || ok {
			return replayReceipt(s, id, err)
		}
		hd, err := openHold(s, c.Hold, l.cfg.Now())
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
		}
		if err := s.PutHold(hd); err != nil {
			return nil, err
		}
		return rc, s.PutKey(c.Key, KeyRecord{Kind: KeyCapture, Hash: h, Ref: rc.Entry.ID})
	})
	return receiptOf(out, err)
}

// Void releases an open hold. It returns ErrHoldResolved when the hold was
// captured, or voided under another key, and ErrNotFound for an unknown hold.
// Voiding a hold whose TTL passed succeeds: it is void either way.
func (l *Holds) Void(ctx context.Context, key string, holdID uint64) (Hold, error) {
	if key == "" {
		return Hold{}, ErrEmptyKey
	}
	h := hashOf("void", strconv.FormatUint(holdID, 10))
	out, err := l.w.do(ctx, func(s *wtx) (any, error) {
		if id, ok, err := s.replay(key, KeyVoid, h); err != nil || ok {
			return replayHold(s, id, err)
		}
		now := l.cfg.Now()
		hd, err := getHold(s, holdID)
		switch {
		case err != nil:
			return nil, err
		case hd.State == HoldCaptured, hd.State == HoldVoided && !hd.Lapsed:
			return nil, fmt.Errorf("void hold %d: %w", holdID, ErrHoldResolved)
		case hd.State == HoldOpen:
			acc, err := s.Account(hd.Account)
			if err != nil {
				return nil, err
			}
			if err := s.voidHolds([]Hold{hd}, now, &acc); err != nil {
				return nil, err
			}
			if err := s.PutAccount(hd.Account, acc); err != nil {
				return nil, err
			}
			if hd, err = getHold(s, holdID); err != nil {
				return nil, err
			}
		}
		return hd, s.PutKey(key, KeyRecord{Kind: KeyVoid, Hash: h, Ref: holdID})
	})
	if err != nil {
		return Hold{}, err
	}
	return out.(Hold), nil
}

// OpenOf returns member a's open holds, oldest first: the points they
// reserve are released (become available) at their Expires unless
// captured first. Holds past their TTL are left out.
func (l *Holds) OpenOf(ctx context.Context, a AccountID) ([]Hold, error) {
	a = l.redirects.resolve(a)
	now := l.cfg.Now()
	var out []Hold
	err := l.store.View(ctx, func(tx ReadTx) error {
		return tx.HoldsOf(a, func(hd Hold) error {
			if now.Before(hd.Expires) {
				out = append(out, hd)
			}
			return nil
		})
	})
	return out, err
}

// HoldByID returns a hold, with an open hold past its TTL reported as voided.
func (l *Holds) HoldByID(ctx context.Context, id uint64) (Hold, error) {
	var hd Hold
	err := l.store.View(ctx, func(tx ReadTx) error {
		var err error
		hd, err = getHold(tx, id)
		if err == nil && hd.State == HoldOpen && !l.cfg.Now().Before(hd.Expires) {
			hd.State, hd.Lapsed = HoldVoided, true
		}
		return err
	})
	return hd, err
}

// voidExpiredHolds voids every open hold whose TTL passed by now.
func (l *Holds) voidExpiredHolds(ctx context.Context, now time.Time) (int, error) {
	out, err := l.w.do(ctx, func(s *wtx) (any, error) {
		var due []Hold
		if err := s.HoldsDue(now, func(hd Hold) error {
			due = append(due, hd)
			return nil
		}); err != nil {
			return nil, err
		}
		for _, hd := range due {
			acc, err := s.Account(hd.Account)
			if err != nil {
				return nil, err
			}
			if err := s.voidHolds([]Hold{hd}, now, &acc); err != nil {
				return nil, err
			}
			if err := s.PutAccount(hd.Account, acc); err != nil {
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
func (s *wtx) placeHold(key string, a AccountID, amount int64, reason string, now, expires time.Time) (Hold, error) {
	acc, err := s.Account(a)
	if err != nil {
		return Hold{}, err
	}
	held, expired := acc.Held, []Hold(nil)
	if held > 0 {
		if held, expired, err = liveHolds(s, a, now); err != nil {
			return Hold{}, err
		}
	}
	if acc.Balance-held < amount {
		return Hold{}, &InsufficientFundsError{Account: a, Available: acc.Balance - held, Required: amount}
	}
	id, err := s.NextHoldID()
	if err != nil {
		return Hold{}, err
	}
	if err := s.voidHolds(expired, now, &acc); err != nil {
		return Hold{}, err
	}
	acc.Held += amount
	hd := Hold{ID: id, Key: key, Account: a, Amount: amount, Reason: reason, Created: now, Expires: expires, State: HoldOpen}
	if err := s.PutHold(hd); err != nil {
		return Hold{}, err
	}
	return hd, s.PutAccount(a, acc)
}

// openHold returns hold id if it is open and within its TTL.
func openHold(tx ReadTx, id uint64, now time.Time) (Hold, error) {
	hd, err := getHold(tx, id)
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

func replayHold(tx ReadTx, id uint64, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	hd, err := getHold(tx, id)
	hd.Replay = true
	return hd, err
}

// liveHolds returns the points member a has in open, unexpired holds and the
// open holds whose TTL has passed.
func liveHolds(tx ReadTx, a AccountID, now time.Time) (held int64, expired []Hold, err error) {
	err = tx.HoldsOf(a, func(hd Hold) error {
		switch {
		case hd.State != HoldOpen:
		case now.Before(hd.Expires):
			held += hd.Amount
		default:
			expired = append(expired, hd)
		}
		return nil
	})
	return held, expired, err
}

// voidHolds marks open holds voided and releases their points from acc. A
// hold voided at or after its TTL is marked Lapsed.
func (s *wtx) voidHolds(hs []Hold, now time.Time, acc *Account) error {
	for _, hd := range hs {
		hd.State, hd.Lapsed = HoldVoided, !now.Before(hd.Expires)
		if err := s.PutHold(hd); err != nil {
			return err
		}
		acc.Held -= hd.Amount
	}
	return nil
}
