package chat

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/loyalty"
)

// Points is /points and /history.
type Points struct{ *base }

// Register adds the commands to r.
func (c *Points) Register(r *bots.Router) {
	r.Handle(bots.Command{Name: "points", Aliases: []string{"balance", "积分"}, Help: "cmd.points", Role: bots.RoleMember, Handler: bots.HandlerFunc(c.points)})
	r.Handle(bots.Command{Name: "history", Help: "cmd.history", Role: bots.RoleMember, Args: []bots.Arg{{Name: "page", Kind: bots.ArgInt, Min: 1, Max: 1000, Optional: true}}, Handler: bots.HandlerFunc(c.history)})
}

// points shows balance, available points, tier and progress, and next expiry.
func (c *Points) points(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	a := acct(ev)
	b, err := c.ledger.Balance(ctx, a)
	if err != nil {
		return nil, fmt.Errorf("balance: %w", err)
	}
	st, err := c.ledger.TierOf(ctx, a)
	if err != nil {
		return nil, fmt.Errorf("tier: %w", err)
	}
	lines := []string{ev.T("points.balance", pts(ev, b.Balance))}
	if b.Held > 0 {
		lines = append(lines, ev.T("points.available", pts(ev, b.Available), pts(ev, b.Held)))
	}
	lines = append(lines, ev.T("points.tier", tierName(ev, st.Tier), pts(ev, st.Earned)))
	if st.Next != nil {
		lines = append(lines, ev.TN("points.next_tier", st.ToNext, points(st.ToNext), tierName(ev, *st.Next)))
	} else {
		lines = append(lines, ev.T("points.top_tier"))
	}
	lot, ok, err := c.ledger.NextExpiry(ctx, a)
	if err != nil {
		return nil, fmt.Errorf("next expiry: %w", err)
	}
	if ok {
		lines = append(lines, ev.TN("points.expiry", lot.Remaining, points(lot.Remaining), date(lot.Expires.Add(-time.Second), c.loc)))
	}
	return c.personal(ev, []bots.Reply{{Text: strings.Join(lines, "\n")}}), nil
}

// history lists the member's ledger entries, newest first, a page at a time.
func (c *Points) history(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	page := max(ev.ArgInt("page"), 1)
	var cursor uint64
	var entries []loyalty.Entry
	for p := int64(1); p <= page; p++ {
		var err error
		if entries, cursor, err = c.ledger.History(ctx, acct(ev), cursor, historyPage); err != nil {
			return nil, fmt.Errorf("history: %w", err)
		}
		if cursor == 0 && p < page {
			entries = nil // asked for a page past the end
			break
		}
	}
	if len(entries) == 0 {
		return c.personal(ev, bots.Say(ev, "history.empty")), nil
	}
	lines := []string{ev.T("history.header", page)}
	for _, e := range entries {
		amt, counter := e.For(acct(ev))
		sign := "+"
		if amt < 0 {
			sign = ""
		}
		label := ev.T("account." + string(counter))
		if src, ok := strings.CutPrefix(string(counter), "issuance:"); ok {
			label = src
			if ev.HasMessage("source." + src) {
				label = ev.T("source." + src)
			}
		}
		if counter.IsMember() {
			label = ev.T("account.transfer")
		}
		if e.Reverses != 0 {
			label = ev.T("history.reversal", label)
		}
		line := fmt.Sprintf("%s  %s%s  %s", date(e.Time, c.loc), sign, points(amt), label)
		if e.Reason != "" && (counter == loyalty.AdjustmentAccount || e.Reverses != 0) {
			line += " — " + e.Reason
		}
		lines = append(lines, line)
	}
	if cursor != 0 {
		lines = append(lines, ev.T("history.more", page+1))
	}
	return c.personal(ev, []bots.Reply{{Text: strings.Join(lines, "\n")}}), nil
}
