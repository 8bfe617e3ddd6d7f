package chat

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/community"
	"github.com/loyalbot/loyalbot/loyalty/insights"
	"github.com/loyalbot/loyalbot/loyalty/orders"
)

// Shop is the shop link and its insights: /shop and /marketing for members, /segments and /member for managers.
type Shop struct{ *base }

// Register adds the commands to r.
func (c *Shop) Register(r *bots.Router) {
	r.Handle(bots.Command{Name: "shop", Help: "cmd.shop", Role: bots.RoleMember, Args: []bots.Arg{{Name: "proof", Kind: bots.ArgText}}, Handler: bots.HandlerFunc(c.shopCmd)})
	r.Handle(bots.Command{Name: "segments", Help: "cmd.segments", Role: bots.RoleManager, Handler: bots.HandlerFunc(c.segments)})
	r.Handle(bots.Command{Name: "marketing", Help: "cmd.marketing", Role: bots.RoleMember, Args: []bots.Arg{{Name: "setting", Choices: []string{"on", "off"}}}, Handler: bots.HandlerFunc(c.marketing)})
	r.Handle(bots.Command{Name: "member", Help: "cmd.member", Role: bots.RoleManager, Args: []bots.Arg{{Name: "member", Kind: bots.ArgMember}}, Handler: bots.HandlerFunc(c.memberValue)})
}

// shop is "/shop <code, e-mail or phone>" for members and
// "/shop unlink @member" for managers.
func (c *Shop) shopCmd(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	proof := strings.TrimSpace(ev.Arg("proof"))
	if rest, ok := strings.CutPrefix(proof, "unlink"); ok && (rest == "" || rest[0] == ' ') {
		return c.shopUnlink(ctx, ev, strings.TrimSpace(rest))
	}
	res, err := c.orders.Link(ctx, ev.Member, proof)
	switch {
	case errors.Is(err, orders.ErrUnknown):
		return bots.SayPrivately(ev, "shop.unknown"), nil
	case errors.Is(err, orders.ErrLinkedElsewhere):
		c.log.WarnContext(ctx, "shop account claimed by a second member", "member", ev.Member)
		return bots.SayPrivately(ev, "shop.linked_elsewhere"), nil
	case errors.Is(err, orders.ErrUnlinkedByManager):
		c.log.WarnContext(ctx, "shop account offered again after a manager unlinked it", "member", ev.Member)
		return bots.SayPrivately(ev, "shop.unlinked_by_manager"), nil
	case err != nil:
		return nil, fmt.Errorf("link shop account: %w", err)
	}
	b, err := c.ledger.Balance(ctx, acct(ev))
	if err != nil {
		return nil, err
	}
	c.log.InfoContext(ctx, "shop account linked", "member", ev.Member, "orders", res.Orders)
	return []bots.Reply{{Text: ev.TN("shop.linked", int64(res.Orders), res.Orders, pts(ev, b.Held), pts(ev, b.Balance)), Private: true}}, nil
}

func (c *Shop) shopUnlink(ctx context.Context, ev *bots.Event, mention string) ([]bots.Reply, error) {
	if ev.Role < bots.RoleManager {
		return nil, bots.Errorf("error.forbidden", "shop unlink", ev.T("role.manager"))
	}
	if mention == "" {
		return nil, bots.Errorf("error.missing_arg", "shop unlink", ev.T("arg.member"), "/shop unlink @"+ev.T("arg.member"))
	}
	target, err := c.members.LookupMention(ctx, ev.Platform, mention)
	if err != nil {
		return nil, bots.Errorf("error.unknown_member", mention)
	}
	res, err := c.admin.UnlinkShop(ctx, community.ActorOf(ev), target)
	if err != nil {
		return nil, err
	}
	if len(res.Customers) == 0 {
		return bots.Say(ev, "member.no_shop"), nil
	}
	text := ev.TN("shop.unlinked", res.Taken, mention, points(res.Taken))
	if res.Short > 0 {
		text += " " + ev.TN("shop.unlinked_short", res.Short, points(res.Short))
	}
	c.log.InfoContext(ctx, "shop account unlinked", "by", ev.Member, "member", target, "taken", res.Taken, "short", res.Short)
	return []bots.Reply{{Text: text}}, nil
}

// segments shows managers the RFM segments of all shop customers.
func (c *Shop) segments(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	a, err := c.community.ShopInsights(ctx)
	if err != nil {
		return nil, err
	}
	if len(a.Summaries) == 0 {
		return bots.Say(ev, "segments.empty"), nil
	}
	lines := []string{ev.TN("segments.header", int64(len(a.Summaries)), len(a.Summaries), date(a.At, c.loc))}
	for _, s := range insights.Table(a.RFM) {
		lines = append(lines, ev.TN("segments.line", int64(s.Customers), segmentName(ev, s.Segment), s.Customers, 100*s.Share))
	}
	return []bots.Reply{{Text: strings.Join(lines, "\n"), Card: true}}, nil
}

// memberValue shows a member's RFM scores, segment, P(alive) and 12-month CLV.
func (c *Shop) memberValue(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	target := ev.ArgMember("member")
	customer, ok, err := c.orders.CustomerOf(ctx, target)
	if err != nil {
		return nil, err
	}
	if !ok {
		return bots.Say(ev, "member.no_shop"), nil
	}
	a, err := c.community.ShopInsights(ctx)
	if err != nil {
		return nil, err
	}
	var mine insights.Summary
	var rfm insights.RFM
	for i, r := range a.RFM {
		if r.Customer == customer {
			rfm, mine = r, a.Summaries[i]
		}
	}
	if rfm.Customer == "" {
		return bots.Say(ev, "member.no_orders"), nil
	}
	text := ev.T("member.rfm", rfm.R, rfm.F, rfm.M, segmentName(ev, rfm.Segment), ev.TN("n.days", int64(rfm.RecencyDays), rfm.RecencyDays),
		ev.TN("n.orders", int64(rfm.Frequency), rfm.Frequency), rfm.Monetary)
	if a.ModelErr == nil {
		text += "\n" + ev.T("member.clv", 100*a.BG.PAlive(mine), a.BG.ExpectedPurchases(mine, 52), insights.CLV(a.BG, a.GG, mine, 12, 0.01))
	}
	return []bots.Reply{{Text: text}}, nil
}

// marketing turns segment broadcasts to the member on or off.
func (c *Shop) marketing(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	off := ev.Arg("setting") == "off"
	if _, err := c.members.Update(ctx, ev.Member, func(m *community.Member) error { m.NoMarketing = off; return nil }); err != nil {
		return nil, err
	}
	if off {
		return bots.Say(ev, "marketing.off"), nil
	}
	return bots.Say(ev, "marketing.on"), nil
}

// segmentName is a segment's name in the event's language.
func segmentName(ev *bots.Event, name string) string { return ev.T("segment." + segmentCode(name)) }

// segmentCode is how a segment is typed: "At Risk" is at-risk.
func segmentCode(name string) string {
	name = strings.ToLower(strings.ReplaceAll(name, "'", ""))
	return strings.ReplaceAll(name, " ", "-")
}

// matchSegment finds a segment by a loose name: "at-risk", "cant_lose_them".
func matchSegment(name string) string {
	norm := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' {
				return r
			}
			return -1
		}, strings.ToLower(s))
	}
	for _, s := range insights.Segments() {
		if norm(s) == norm(name) {
			return s
		}
	}
	return ""
}
