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
