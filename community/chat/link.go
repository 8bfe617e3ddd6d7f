package chat

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/community"
	"github.com/loyalbot/loyalbot/loyalty"
)

// link gives the member a one-time code, or with a code joins this
// platform account to the member who asked for it (one wallet).
func (c *handlers) link(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	if code := ev.Arg("code"); code != "" {
		return c.linkWith(ctx, ev, code)
	}
	code, err := c.community.NewLinkCode(ctx, ev.Member)
	if err != nil {
		return nil, fmt.Errorf("link code: %w", err)
	}
	return []bots.Reply{{Text: ev.TN("link.code", int64(c.cfg.LinkTTL.Minutes()), code, int(c.cfg.LinkTTL.Minutes())), Private: true}}, nil
}

// linkWith is "/link <code>" and "/start link_<code>".
func (c *handlers) linkWith(ctx context.Context, ev *bots.Event, code string) ([]bots.Reply, error) {
	res, err := c.community.Link(ctx, community.ActorOf(ev), code)
	switch {
	case errors.Is(err, community.ErrBadLinkCode):
		return bots.Say(ev, "link.bad_code"), nil
	case errors.Is(err, community.ErrSameMember):
		return bots.Say(ev, "link.same"), nil
	case errors.Is(err, community.ErrRoleRise):
		return bots.Say(ev, "link.role_rise"), nil
	case errors.Is(err, community.ErrLinkGranted):
		return bots.Say(ev, "link.granted"), nil
	case err != nil:
		return nil, fmt.Errorf("link accounts: %w", err)
	}
	var platforms []string
	for _, id := range res.Member.Identities {
		platforms = append(platforms, id.Platform)
	}
	ev.Member = res.Member.ID
	total, err := c.ledger.Balance(ctx, loyalty.Member(res.Member.ID))
	if err != nil {
		return nil, err
	}
	return bots.Say(ev, "link.ok", res.Member.Name, strings.Join(platforms, ", "), pts(ev, total.Balance)), nil
}
