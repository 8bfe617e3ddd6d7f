package loyalty

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/loyalbot/loyalbot/loyalty/code"
)

// Unlimited is the Stock of a reward that never runs out.
const Unlimited int64 = -1

// Reward is an item of the rewards catalogue.
type Reward struct {
	ID        string    `json:"id" yaml:"id"` // short lowercase slug members type: "tea-sample"
	Name      string    `json:"name" yaml:"name"`
	NameZH    string    `json:"name_zh,omitempty" yaml:"name_zh"`
	Cost      int64     `json:"cost" yaml:"cost"`
	Stock     int64     `json:"stock" yaml:"stock"`                     // Unlimited (-1) or the items left
	PerMember int       `json:"per_member,omitempty" yaml:"per_member"` // 0: no limit
	Start     time.Time `json:"start,omitzero" yaml:"start"`            // zero: available from the start
	End       time.Time `json:"end,omitzero" yaml:"end"`                // zero: no end
	Disabled  bool      `json:"disabled,omitempty" yaml:"disabled"`
}

// Validate returns an error for a reward that cannot be stored.
func (r Reward) Validate() error {
	switch {
	case r.ID == "" || len(r.ID) > 32 || strings.Trim(r.ID, "abcdefghijklmnopqrstuvwxyz0123456789-_") != "":
		return fmt.Errorf("reward id %q: want 1-32 of a-z 0-9 - _: %w", r.ID, ErrUnknownReward)
	case r.Cost <= 0:
		return fmt.Errorf("reward %s cost %d: %w", r.ID, r.Cost, ErrInvalidAmount)
	case r.Stock < Unlimited || r.PerMember < 0:
		return fmt.Errorf("reward %s stock %d, per-member %d: %w", r.ID, r.Stock, r.PerMember, ErrInvalidAmount)
	}
	return nil
}

// ActiveAt reports whether the reward can be redeemed at t.
func (r Reward) ActiveAt(t time.Time) bool {
	return !r.Disabled && (r.Start.IsZero() || !t.Before(r.Start)) && (r.End.IsZero() || t.Before(r.End))
}

// RedemptionState is where a redemption is in its life.
type RedemptionState string

// Redemption states.
const (
	RedemptionPending   RedemptionState = "pending"
	RedemptionFulfilled RedemptionState = "fulfilled"
	RedemptionCancelled RedemptionState = "cancelled"
)

// Redemption records a reward a member bought with points.
type Redemption struct {
	ID      uint64          `json:"id"`
	Code    string          `json:"code"` // human-friendly, unique: "K7QH-3MZT"
	Key     string          `json:"key"`
	Reward  string          `json:"reward"`
	Account AccountID       `json:"account"`
	Cost    int64           `json:"cost"`
	Entry   uint64          `json:"entry"`
	State   RedemptionState `json:"state"`
	Created time.Time       `json:"created"`
	Updated time.Time       `json:"updated"`
	Note    string          `json:"note,omitempty"`
	// Replay is true when this result comes from an earlier call with the same key.
	Replay bool `json:"-"`
}

// Catalog is the ledger's reward catalogue and its redemptions: rewards
// with stock and per-member limits, redemptions that take points and hand
// out codes, fulfilment and cancellation with refund. It shares its
// Ledger's store, writer and cache; get it from Ledger.Catalog.
type Catalog struct{ *Ledger }

// PutReward adds a reward to the catalogue or updates one. An existing
// reward keeps its current stock (stock is ledger state: use Restock); a new
// one starts with r.Stock.
func (l *Catalog) PutReward(ctx context.Context, r Reward) error {
	if err := r.Validate(); err != nil {
		return err
	}
	_, err := l.w.do(ctx, func(s *wtx) (any, error) {
		r := r
		old, ok, err := s.Reward(r.ID)
		if err != nil {
			return nil, err
		}
		if ok {
			r.Stock = old.Stock
		}
		return nil, s.PutReward(r)
	})
	return err
}

// Restock adds n items (negative to remove) to a reward's stock, or sets it
// unlimited when n is Unlimited. It returns the reward as stored.
func (l *Catalog) Restock(ctx context.Context, id string, n int64) (Reward, error) {
	out, err := l.w.do(ctx, func(s *wtx) (any, error) {
		r, err := getReward(s, id)
		if err != nil {
			return nil, err
		}
		switch {
		case n == Unlimited:
			r.Stock = Unlimited
		case r.Stock == Unlimited:
			r.Stock = max(n, 0)
		case r.Stock+n < 0:
			return nil, fmt.Errorf("restock %s by %d: %w", id, n, ErrInvalidAmount)
		default:
			r.Stock += n
		}
		return r, s.PutReward(r)
	})
	if err != nil {
		return Reward{}, err
	}
	return out.(Reward), nil
}

// Rewards returns the catalogue ordered by cost, then id.
func (l *Catalog) Rewards(ctx context.Context) ([]Reward, error) {
	var rs []Reward
	err := l.store.View(ctx, func(tx ReadTx) error {
		rs = nil
		return tx.Rewards(func(r Reward) error {
			rs = append(rs, r)
			return nil
		})
	})
	sortRewards(rs)
	return rs, err
}

// Reward returns one reward, or ErrUnknownReward.
func (l *Catalog) Reward(ctx context.Context, id string) (Reward, error) {
	var r Reward
	err := l.store.View(ctx, func(tx ReadTx) error {
		var err error
		r, err = getReward(tx, id)
		return err
	})
	return r, err
}

// Redeem buys reward id for member a in one atomic step: the cost is debited
// to RedemptionAccount, the stock decremented and a redemption recorded
// with a unique code. It returns ErrUnknownReward, ErrRewardInactive,
// ErrOutOfStock, ErrLimitReached or an *InsufficientFundsError, and writes
// nothing then. The same key returns the original redemption.
func (l *Catalog) Redeem(ctx context.Context, key string, a AccountID, id string) (Redemption, error) {
	if key == "" {
		return Redemption{}, ErrEmptyKey
	}
	if !a.IsMember() {
		return Redemption{}, fmt.Errorf("redeem for %q: %w", a, ErrUnknownAccount)
	}
	h := hashOf("redeem", string(a), id)
	out, err := l.w.do(ctx, func(s *wtx) (any, error) {
		if rid, ok, err := s.replay(key, KeyRedeem, h); err != nil || ok {
			return replayRedemption(s, rid, err)
		}
		a, err := s.resolve(a)
		if err != nil {
			return nil, err
		}
		now := l.cfg.Now().UTC()
		r, err := getReward(s, id)
		if err != nil {
			return nil, err
		}
		count, err := s.RedeemCount(a, id)
		if err != nil {
			return nil, err
		}
		switch {
		case !r.ActiveAt(now):
			return nil, fmt.Errorf("redeem %s: %w", id, ErrRewardInactive)
		case r.Stock == 0:
			return nil, fmt.Errorf("redeem %s: %w", id, ErrOutOfStock)
		case r.PerMember > 0 && count >= int64(r.PerMember):
			return nil, fmt.Errorf("redeem %s: %w", id, ErrLimitReached)
		}
		rc, err := l.post(s, Entry{Key: key, From: a, To: RedemptionAccount, Amount: r.Cost, Reason: "redeem " + r.ID}, postOpts{})
		if err != nil {
			return nil, err
		}
		rid, err := s.NextRedemptionID()
		if err != nil {
			return nil, err
		}
		code, err := newCode(s)
		if err != nil {
			return nil, err
		}
		if r.Stock != Unlimited {
			r.Stock--
			if err := s.PutReward(r); err != nil {
				return nil, err
			}
		}
		if err := s.SetRedeemCount(a, id, count+1); err != nil {
			return nil, err
		}
		rd := Redemption{ID: rid, Code: code, Key: key, Reward: r.ID, Account: a, Cost: r.Cost, Entry: rc.Entry.ID,
			State: RedemptionPending, Created: now, Updated: now}
		if err := s.PutRedemption(rd); err != nil {
			return nil, err
		}
		return rd, s.PutKey(key, KeyRecord{Kind: KeyRedeem, Hash: h, Ref: rid})
	})
	if err != nil {
		return Redemption{}, err
	}
	return out.(Redemption), nil
}

// Fulfil marks a pending redemption as handed over. Fulfilling it again is a
// replay; a cancelled one returns ErrRedemptionClosed; an unknown code ErrNotFound.
func (l *Catalog) Fulfil(ctx context.Context, code, note string) (Redemption, error) {
	return l.closeRedemption(ctx, code, RedemptionFulfilled, note)
}

// Cancel cancels a pending redemption: the points go back to the member
// through a reversal (with their original expiry), the stock is restored and
// the redemption no longer counts towards the per-member limit — all exactly
// once. Cancelling again is a replay; a fulfilled redemption returns
// ErrRedemptionClosed.
func (l *Catalog) Cancel(ctx context.Context, code, reason string) (Redemption, error) {
	return l.closeRedemption(ctx, code, RedemptionCancelled, reason)
}

func (l *Catalog) closeRedemption(ctx context.Context, code string, to RedemptionState, note string) (Redemption, error) {
	code = NormalizeCode(code)
	out, err := l.w.do(ctx, func(s *wtx) (any, error) {
		rd, err := redemptionByCode(s, code)
		if err != nil {
			return nil, err
		}
		switch rd.State {
		case to:
			rd.Replay = true
			return rd, nil
		case RedemptionPending:
		default:
			return nil, fmt.Errorf("%s redemption %s: %w", to, code, ErrRedemptionClosed)
		}
		if to == RedemptionCancelled {
			key := "redemption-cancel:" + code
			if _, err := l.reverse(s, key, rd.Entry, note); err != nil {
				return nil, err
			}
			if err := s.PutKey(key, KeyRecord{Kind: KeyCancel, Hash: hashOf(key), Ref: rd.ID}); err != nil {
				return nil, err
			}
			r, ok, err := s.Reward(rd.Reward)
			if err != nil {
				return nil, err
			}
			if ok && r.Stock != Unlimited {
				r.Stock++
				if err := s.PutReward(r); err != nil {
					return nil, err
				}
			}
			// The count moved with a merge: it is the survivor's now.
			owner, err := s.resolve(rd.Account)
			if err != nil {
				return nil, err
			}
			n, err := s.RedeemCount(owner, rd.Reward)
			if err != nil {
				return nil, err
			}
			if n > 0 {
				if err := s.SetRedeemCount(owner, rd.Reward, n-1); err != nil {
					return nil, err
				}
			}
		}
		rd.State, rd.Updated, rd.Note = to, l.cfg.Now().UTC(), note
		return rd, s.PutRedemption(rd)
	})
	if err != nil {
		return Redemption{}, err
	}
	return out.(Redemption), nil
}

// RedemptionByCode returns the redemption with the given code, or ErrNotFound.
func (l *Catalog) RedemptionByCode(ctx context.Context, code string) (Redemption, error) {
	var rd Redemption
	err := l.store.View(ctx, func(tx ReadTx) error {
		var err error
		rd, err = redemptionByCode(tx, NormalizeCode(code))
		return err
	})
	return rd, err
}

// Redemptions returns up to limit redemptions, newest first: only pending
// ones when pendingOnly, and only member a's when a is not empty (those of
// accounts merged into a included).
func (l *Catalog) Redemptions(ctx context.Context, a AccountID, pendingOnly bool, limit int) ([]Redemption, error) {
	if limit <= 0 {
		limit = 20
	}
	var out []Redemption
	collect := func(rd Redemption) error {
		if len(out) == limit {
			return errStop
		}
		if !pendingOnly || rd.State == RedemptionPending {
			out = append(out, rd)
		}
		return nil
	}
	err := l.store.View(ctx, func(tx ReadTx) error {
		out = nil
		switch {
		case a == "" && pendingOnly:
			return stopped(tx.PendingRedemptions(collect))
		case a == "":
			return stopped(tx.Redemptions(collect))
		}
		// A member's own redemptions and those of the accounts merged
		// into it, each newest first: merge them by id.
		var all []Redemption
		for _, acct := range l.redirects.into(l.redirects.resolve(a)) {
			out = nil
			if err := stopped(tx.RedemptionsOf(acct, collect)); err != nil {
				return err
			}
			all = append(all, out...)
		}
		slices.SortFunc(all, func(x, y Redemption) int { return cmp.Compare(y.ID, x.ID) })
		out = all[:min(len(all), limit)]
		return nil
	})
	return out, err
}

// NormalizeCode upper-cases a redemption code and drops spaces and dashes, so
// "k7qh 3mzt" and "K7QH-3MZT" name the same redemption.
func NormalizeCode(code string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToUpper(code))
}

// newCode returns a redemption code no redemption has.
func newCode(tx ReadTx) (string, error) {
	var err error
	c, cerr := code.New(8, func(c string) bool {
		var taken bool
		_, taken, err = tx.RedemptionByCode(c)
		return !taken || err != nil // a failed read ends the draw
	})
	if err != nil {
		return "", err
	}
	return c, cerr
}

// FormatCode shows a code as two groups of four: "K7QH-3MZT".
func FormatCode(code string) string {
	if len(code) == 8 {
		return code[:4] + "-" + code[4:]
	}
	return code
}

func redemptionByCode(tx ReadTx, code string) (Redemption, error) {
	rd, ok, err := tx.RedemptionByCode(code)
	if err == nil && !ok {
		err = fmt.Errorf("redemption %q: %w", code, ErrNotFound)
	}
	return rd, err
}

func replayRedemption(tx ReadTx, id uint64, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	rd, err := getRedemption(tx, id)
	rd.Replay = true
	return rd, err
}

func sortRewards(rs []Reward) {
	slices.SortFunc(rs, func(a, b Reward) int {
		return cmp.Or(cmp.Compare(a.Cost, b.Cost), strings.Compare(a.ID, b.ID))
	})
}
