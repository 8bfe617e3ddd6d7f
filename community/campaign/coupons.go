package campaign

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Coupons are the codes offer steps gave members.
type Coupons struct{ *Engine }

// Coupon errors.
var (
	ErrNoCoupon   = errors.New("campaign: no such coupon")
	ErrCouponUsed = errors.New("campaign: the coupon was used already")
	ErrExpired    = errors.New("campaign: the coupon has expired")
)

// Coupon returns the coupon with code (any case).
func (e *Coupons) Coupon(ctx context.Context, code string) (Coupon, error) {
	var c Coupon
	err := e.store.View(ctx, func(tx ReadTx) error {
		var ok bool
		var err error
		c, ok, err = tx.Coupon(strings.ToUpper(strings.TrimSpace(code)))
		if err == nil && !ok {
			err = fmt.Errorf("%w: %s", ErrNoCoupon, code)
		}
		return err
	})
	return c, err
}

// UseCoupon marks a coupon used at now, once: a second use, or one past
// its expiry, is refused.
func (e *Coupons) UseCoupon(ctx context.Context, code string, now time.Time) (Coupon, error) {
	var c Coupon
	err := e.store.Update(ctx, func(tx Tx) error {
		var ok bool
		var err error
		if c, ok, err = tx.Coupon(strings.ToUpper(strings.TrimSpace(code))); err != nil {
			return err
		}
		switch {
		case !ok:
			return fmt.Errorf("%w: %s", ErrNoCoupon, code)
		case !c.Used.IsZero():
			return ErrCouponUsed
		case now.After(c.Expires):
			return ErrExpired
		}
		c.Used = now
		return tx.PutCoupon(c)
	})
	return c, err
}

// DuplicateGrants returns the ledger keys of the points from's runs were
// granted in a run that repeats one of to's — the same campaign and the
// same occurrence, such as both accounts' birthday gift this year — for
// when /link makes from and to one member.
func (e *Coupons) DuplicateGrants(ctx context.Context, from, to uint64) ([]string, error) {
	var repeats []Run
	err := e.store.View(ctx, func(tx ReadTx) error {
		return tx.RunsOf(from, func(r Run) error {
			theirs, ok, err := tx.Run(r.Campaign, to)
			if err == nil && ok && theirs.Occurrence == r.Occurrence {
				repeats = append(repeats, r)
			}
			return err
		})
	})
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, r := range repeats { // outside the read: version may read the store
		c, err := e.version(ctx, r.Campaign, r.Version)
		if err != nil || c == nil {
			return keys, err
		}
		for _, pc := range r.Reached {
			if pc < len(c.prog) && c.prog[pc].kind == opGrant {
				keys = append(keys, grantKey(r, pc))
			}
		}
	}
	return keys, nil
}
