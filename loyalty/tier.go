package loyalty

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"
)

// Tier is one level of the tier table. A member is in the highest tier whose
// Threshold their points earned in the tier window reach.
type Tier struct {
	Name       string `json:"name" yaml:"name"`
	NameZH     string `json:"name_zh,omitempty" yaml:"name_zh"`
	Threshold  int64  `json:"threshold" yaml:"threshold"`           // points earned in the last 12 months
	Multiplier int64  `json:"multiplier_pct" yaml:"multiplier_pct"` // 110 earns 1.1 points per point
	Benefits   string `json:"benefits,omitempty" yaml:"benefits"`
	BenefitsZH string `json:"benefits_zh,omitempty" yaml:"benefits_zh"`
}

// DefaultTiers returns Leaf, Bud, Blossom and Jade.
func DefaultTiers() []Tier {
	return []Tier{
		{Name: "Leaf", NameZH: "青叶", Threshold: 0, Multiplier: 100, Benefits: "Earn points on everything you do.", BenefitsZH: "所有活动都能赚积分。"},
		{Name: "Bud", NameZH: "新芽", Threshold: 1_000, Multiplier: 110, Benefits: "10% bonus on earned points.", BenefitsZH: "赚取积分额外 10%。"},
		{Name: "Blossom", NameZH: "繁花", Threshold: 5_000, Multiplier: 125, Benefits: "25% bonus, early access to drops.", BenefitsZH: "额外 25% 积分，新品抢先体验。"},
		{Name: "Jade", NameZH: "翡翠", Threshold: 20_000, Multiplier: 150, Benefits: "50% bonus, members-only rewards.", BenefitsZH: "额外 50% 积分，专属会员奖励。"},
	}
}

// ErrBadTiers is returned by Open for a tier table that is not usable.
var ErrBadTiers = errors.New("loyalty: bad tier table")

func validateTiers(ts []Tier) error {
	for i, t := range ts {
		switch {
		case t.Name == "":
			return fmt.Errorf("%w: tier %d has no name", ErrBadTiers, i)
		case t.Multiplier < 100 || t.Multiplier > 1000:
			return fmt.Errorf("%w: tier %s multiplier %d%% not in 100..1000", ErrBadTiers, t.Name, t.Multiplier)
		case i == 0 && t.Threshold != 0:
			return fmt.Errorf("%w: first tier %s must start at 0", ErrBadTiers, t.Name)
		case i > 0 && t.Threshold <= ts[i-1].Threshold:
			return fmt.Errorf("%w: tier %s threshold not above %s", ErrBadTiers, t.Name, ts[i-1].Name)
		}
	}
	return nil
}

// TierStatus is a member's tier and progress towards the next.
type TierStatus struct {
	Tier   Tier
	Next   *Tier // nil at the top tier
	Earned int64 // points earned in the tier window
	ToNext int64 // points still needed for Next
}

// TierChange reports that a write moved a member from one tier to another.
type TierChange struct {
	Account  AccountID
	From, To Tier
}

// Up reports whether the change is a promotion.
func (c TierChange) Up() bool { return c.To.Threshold > c.From.Threshold }

// tierWindow is 12 calendar months: the current UTC month and the 11 before.
const tierWindow = 12

func monthIndex(t time.Time) uint32 {
	t = t.UTC()
	return uint32(t.Year()*12 + int(t.Month()) - 1)
}

func (l *Ledger) tierFor(earned int64) (Tier, *Tier) {
	ts := l.cfg.Tiers
	i := sort.Search(len(ts), func(i int) bool { return ts[i].Threshold > earned }) - 1
	if i < 0 {
		i = 0
	}
	if i+1 < len(ts) {
		return ts[i], &ts[i+1]
	}
	return ts[i], nil
}

// addEarned records delta earned points for member a on the date at in the
// account's monthly ring (acc, written by the caller), and reports a tier
// change as of now.
func (l *Ledger) addEarned(a AccountID, acc *Account, at time.Time, delta int64, now time.Time) *TierChange {
	before := acc.window(now)
	acc.addMonth(monthIndex(at), delta)
	from, _ := l.tierFor(before)
	to, _ := l.tierFor(acc.window(now))
	if from.Name == to.Name {
		return nil
	}
	return &TierChange{Account: a, From: from, To: to}
}

// multiply applies member a's tier multiplier to amount.
func (l *Ledger) multiply(s *wtx, a AccountID, amount int64) (int64, error) {
	acc, err := s.Account(a)
	if err != nil {
		return 0, err
	}
	t, _ := l.tierFor(acc.window(l.cfg.Now()))
	if amount > math.MaxInt64/t.Multiplier {
		return 0, ErrOverflow
	}
	return amount * t.Multiplier / 100, nil
}

// TierOf returns member a's tier and progress to the next one.
func (l *Ledger) TierOf(ctx context.Context, a AccountID) (TierStatus, error) {
	if err := ctx.Err(); err != nil {
		return TierStatus{}, err
	}
	a = l.redirects.resolve(a)
	now := l.cfg.Now()
	var st TierStatus
	var err error
	if c, ok := l.cache.get(a); ok && c.month == monthIndex(now) {
		st.Earned = c.window
	} else {
		ver := l.cache.version()
		err = l.store.View(ctx, func(tx ReadTx) error {
			acc, err := tx.Account(a)
			if err != nil {
				return err
			}
			l.cache.put(a, acc, ver)
			st.Earned = acc.window(now)
			return nil
		})
	}
	var next *Tier
	st.Tier, next = l.tierFor(st.Earned)
	if next != nil {
		n := *next
		st.Next, st.ToNext = &n, n.Threshold-st.Earned
	}
	return st, err
}
