package community

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"
	"time"
)

// boardTTL is how long a leaderboard is served from memory: a week's or
// month's board reads every entry since the period began.
const boardTTL = time.Minute

// Standing is a leaderboard row: one person, whatever accounts they linked.
type Standing struct {
	Member uint64
	Name   string
	Earned int64
}

// boards remembers each period's leaderboard for boardTTL. It is safe for
// concurrent use.
type boards struct {
	mu  sync.Mutex
	got map[string]board
}

type board struct {
	at    time.Time
	since time.Time
	top   []Standing
}

// TopEarners returns the top ten members by points earned since a time,
// computed at most once a minute per period (a name for the cache: week,
// month, all). Accounts /link folded together count as one member, and
// members who erased their data leave no row.
func (c *Community) TopEarners(ctx context.Context, period string, since time.Time) ([]Standing, error) {
	now := c.now()
	c.boards.mu.Lock()
	b, ok := c.boards.got[period]
	c.boards.mu.Unlock()
	if ok && now.Sub(b.at) < boardTTL && b.since.Equal(since) {
		return b.top, nil
	}
	raw, err := c.ledger.Leaderboard(ctx, since, 50)
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
	c.boards.mu.Lock()
	if c.boards.got == nil {
		c.boards.got = map[string]board{}
	}
	c.boards.got[period] = board{at: now, since: since, top: top}
	c.boards.mu.Unlock()
	return top, nil
}
