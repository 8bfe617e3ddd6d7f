package ugc

import (
	"context"
	"errors"
	"fmt"

	"github.com/loyalbot/loyalbot/loyalty"
)

// A paying decision (an approval, a feature, a qualified referral) records
// its payments in the transaction that makes it and posts them after, so a
// retry or Resume pays exactly once whichever part of the programme made it.

// pay posts the payment recorded under key and forgets it. A payment
// posted before (a crash after posting) replays; with no payment recorded
// the entry already posted under key is returned.
func (p *programme) pay(ctx context.Context, key string) (loyalty.Receipt, error) {
	var posting loyalty.Posting
	var found bool
	if err := p.store.View(ctx, func(tx ReadTx) error {
		var err error
		posting, found, err = tx.Payment(key)
		return err
	}); err != nil {
		return loyalty.Receipt{}, err
	}
	if !found {
		e, err := p.ledger.EntryByKey(ctx, key)
		if errors.Is(err, loyalty.ErrNotFound) {
			return loyalty.Receipt{}, nil
		}
		return loyalty.Receipt{Entry: e, Replay: true}, err
	}
	rc, err := p.ledger.Post(ctx, posting)
	if err != nil {
		return loyalty.Receipt{}, err
	}
	// Posted: forgetting it is not stopped by a caller giving up now.
	return rc, p.store.Update(context.WithoutCancel(ctx), func(tx Tx) error { return tx.DeletePayment(key) })
}

// step calls Config.StepHook, if set, between the steps of a paying decision.
func (p *programme) step(op string, n int) error {
	if p.cfg.StepHook == nil {
		return nil
	}
	return p.cfg.StepHook(op, n)
}

// Resume posts every payment a crash left recorded but unpaid, from
// submissions and referrals alike. Run it at start-up. It returns how many
// it posted.
func (s *Service) Resume(ctx context.Context) (int, error) {
	var keys []string
	if err := s.store.View(ctx, func(tx ReadTx) error {
		return tx.Payments(func(p loyalty.Posting) error {
			keys = append(keys, p.Key)
			return nil
		})
	}); err != nil {
		return 0, err
	}
	for i, k := range keys {
		if _, err := s.pay(ctx, k); err != nil {
			return i, fmt.Errorf("resume payment %s: %w", k, err)
		}
	}
	if len(keys) > 0 {
		s.log.InfoContext(ctx, "posted payments a crash interrupted", "payments", len(keys))
	}
	return len(keys), nil
}

// Pending returns how many payments wait to be posted (a crash came
// between a decision and its payment; Resume posts them).
func (s *Service) Pending(ctx context.Context) (int, error) {
	n := 0
	err := s.store.View(ctx, func(tx ReadTx) error {
		return tx.Payments(func(loyalty.Posting) error { n++; return nil })
	})
	return n, err
}
