package community

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/ugc"
)

// AmbassadorRow is an ambassador's level and activity over a period.
type AmbassadorRow struct {
	Member   uint64
	Name     string
	Level    ugc.Level
	Activity ugc.Activity
}

// Ambassadors returns every ambassador's level and activity since a time,
// most points first.
func (c *Community) Ambassadors(ctx context.Context, since time.Time) ([]AmbassadorRow, error) {
	ms, err := c.members.WithRole(ctx, bots.RoleAmbassador)
	if err != nil {
		return nil, err
	}
	rows := make([]AmbassadorRow, 0, len(ms))
	for _, m := range ms {
		lvl, _, err := c.ugc.Ambassadors().Level(ctx, m.ID)
		if err != nil {
			return nil, err
		}
		act, err := c.ugc.Ambassadors().Activity(ctx, m.ID, since)
		if err != nil {
			return nil, err
		}
		rows = append(rows, AmbassadorRow{Member: m.ID, Name: m.Name, Level: lvl, Activity: act})
	}
	slices.SortStableFunc(rows, func(a, b AmbassadorRow) int { return cmp.Compare(b.Activity.Points, a.Activity.Points) })
	return rows, nil
}
