package community

import (
	"cmp"
	"context"
	"errors"
	"slices"

	"github.com/loyalbot/loyalbot/loyalty"
)

// Standing is a leaderboard row: one person, whatever accounts they linked.
type Standing struct {
	Member uint64
	Name   string
	Earned int64
}

// TopEarners returns the top ten members by points earned in period (this
// week or month in the community's time zone, or all time). Accounts /link
// folded together count as one member, and members who erased their data
// leave no row.
func (c *Community) TopEarners(ctx context.Context, period loyalty.Period) ([]Standing, error) {
	raw, err := c.ledger.Leaderboard(ctx, period, 50)
	if err != nil {
		return nil, err
	}
	byMember := map[uint64]*Standing{}
	for _, s := range raw {
		id, _ := s.Account.MemberID()
		m, err := c.members.Get(ctx, id)
		if errors.Is(err, ErrNoMember) || err == nil && !m.Erased.IsZero() {
			continue
		}
		if err != nil {
			return nil, err
		}
		if st := byMember[m.ID]; st != nil {
			st.Earned += s.Earned
			continue
		}
		byMember[m.ID] = &Standing{Member: m.ID, Name: m.Name, Earned: s.Earned}
	}
	var top []Standing
	for _, st := range byMember {
		top = append(top, *st)
	}
	slices.SortFunc(top, func(a, b Standing) int {
		return cmp.Or(cmp.Compare(b.Earned, a.Earned), cmp.Compare(a.Member, b.Member))
	})
	if len(top) > 10 {
		top = top[:10]
	}
	return top, nil
}
