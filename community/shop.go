package community

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/loyalty/insights"
	"github.com/loyalbot/loyalbot/loyalty/orders"
)

// WithOrders connects the shop: members link their shop account, and
// managers see segments and customer value.
func WithOrders(s *orders.Service) Option { return func(c *Community) { c.orders = s } }

func (c *Community) registerShop(r *bots.Router) {
	r.Catalog().Add(bots.English, englishShop)
	r.Catalog().Add(bots.Chinese, chineseShop)
	for _, cmd := range []bots.Command{
		{Name: "shop", Help: "cmd.shop", Role: bots.RoleMember, Args: []bots.Arg{{Name: "proof", Kind: bots.ArgText}}, Handler: bots.HandlerFunc(c.shopCmd)},
		{Name: "segments", Help: "cmd.segments", Role: bots.RoleManager, Handler: bots.HandlerFunc(c.segments)},
		{Name: "marketing", Help: "cmd.marketing", Role: bots.RoleMember, Args: []bots.Arg{{Name: "setting", Choices: []string{"on", "off"}}}, Handler: bots.HandlerFunc(c.marketing)},
		{Name: "member", Help: "cmd.member", Role: bots.RoleManager, Args: []bots.Arg{{Name: "member", Kind: bots.ArgMember}}, Handler: bots.HandlerFunc(c.memberValue)},
	} {
		r.Handle(cmd)
	}
}

// shop is "/shop <code, e-mail or phone>" for members and
// "/shop unlink @member" for managers.
func (c *Community) shopCmd(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
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

// UnlinkShop removes a member's shop links, as a manager (so another
// member can link that customer), and takes back the points those
// customers' orders earned the member (orders.Service.Unlink). It returns a
// *ForbiddenError below manager. It is audited: done, with the points taken
// back as the entry's Amount and Effect, or refused when the member had no
// shop link. When taking the points back stops midway, the links are gone
// and the orders marked: the error is returned with what was done, and the
// orders' Resume finishes the rest at start-up.
func (c *Community) UnlinkShop(ctx context.Context, actor Actor, member uint64) (orders.UnlinkResult, error) {
	if err := actor.require("shop unlink", bots.RoleManager); err != nil {
		return orders.UnlinkResult{}, err
	}
	m, err := c.members.Get(ctx, member)
	if err != nil {
		return orders.UnlinkResult{}, fmt.Errorf("shop unlink member %d: %w", member, err)
	}
	res, uerr := c.orders.Unlink(ctx, m.ID, m.Merged...)
	if uerr != nil && len(res.Customers) == 0 {
		return res, uerr
	}
	e := actor.entry("shop", m.ID)
	e.Args = map[string]string{"unlink": strings.Join(res.Customers, ",")}
	if len(res.Customers) == 0 {
		e.Outcome, e.Note = OutcomeRefused, "no shop account linked"
	} else {
		e.Amount = res.Taken
		e.Effect = fmt.Sprintf("points taken back: %d", res.Taken)
		if res.Short > 0 {
			e.Effect += fmt.Sprintf(", already spent: %d", res.Short)
		}
		if uerr != nil {
			e.Note = "interrupted while taking points back (finished at start-up): " + uerr.Error()
		}
	}
	if _, _, err := c.audit(ctx, e, 0); err != nil {
		return res, errors.Join(uerr, err)
	}
	return res, uerr
}

func (c *Community) shopUnlink(ctx context.Context, ev *bots.Event, mention string) ([]bots.Reply, error) {
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
	res, err := c.UnlinkShop(ctx, ActorOf(ev), target)
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

// analysis is the shop's RFM scoring and fitted models at one moment.
type analysis struct {
	at       time.Time
	sums     []insights.Summary
	rfm      []insights.RFM // same order as sums
	bg       insights.BGNBD
	gg       insights.GammaGamma
	modelErr error
}

// analysisTTL is how long an analysis serves before it is recomputed:
// fitting the models takes seconds on a large shop.
const analysisTTL = 10 * time.Minute

// analysis returns the shop analysis, recomputed at most every analysisTTL.
func (c *Community) analysis(ctx context.Context) (*analysis, error) {
	now := c.now()
	c.mu.Lock()
	cached := c.shop
	c.mu.Unlock()
	if cached != nil && now.Sub(cached.at) < analysisTTL {
		return cached, nil
	}
	ps, err := c.orders.Purchases(ctx)
	if err != nil {
		return nil, err
	}
	a := &analysis{at: now, sums: insights.Summarize(ps, now)}
	a.rfm = insights.Score(a.sums, now)
	if a.bg, a.modelErr = insights.FitBGNBD(a.sums); a.modelErr == nil {
		a.gg, a.modelErr = insights.FitGammaGamma(a.sums)
	}
	c.mu.Lock()
	c.shop = a
	c.mu.Unlock()
	return a, nil
}

// segments shows managers the RFM segments of all shop customers.
func (c *Community) segments(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	a, err := c.analysis(ctx)
	if err != nil {
		return nil, err
	}
	if len(a.sums) == 0 {
		return bots.Say(ev, "segments.empty"), nil
	}
	lines := []string{ev.TN("segments.header", int64(len(a.sums)), len(a.sums), date(a.at, c.loc))}
	for _, s := range insights.Table(a.rfm) {
		lines = append(lines, ev.TN("segments.line", int64(s.Customers), segmentName(ev, s.Segment), s.Customers, 100*s.Share))
	}
	return []bots.Reply{{Text: strings.Join(lines, "\n"), Card: true}}, nil
}

// segmentCode is how a segment is typed: "At Risk" is at-risk.
func segmentCode(name string) string {
	name = strings.ToLower(strings.ReplaceAll(name, "'", ""))
	return strings.ReplaceAll(name, " ", "-")
}

// segmentName is a segment's name in the event's language.
func segmentName(ev *bots.Event, name string) string { return ev.T("segment." + segmentCode(name)) }

// memberValue shows a member's RFM scores, segment, P(alive) and 12-month CLV.
func (c *Community) memberValue(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	target := ev.ArgMember("member")
	customer, ok, err := c.orders.CustomerOf(ctx, target)
	if err != nil {
		return nil, err
	}
	if !ok {
		return bots.Say(ev, "member.no_shop"), nil
	}
	a, err := c.analysis(ctx)
	if err != nil {
		return nil, err
	}
	var mine insights.Summary
	var rfm insights.RFM
	for i, r := range a.rfm {
		if r.Customer == customer {
			rfm, mine = r, a.sums[i]
		}
	}
	if rfm.Customer == "" {
		return bots.Say(ev, "member.no_orders"), nil
	}
	text := ev.T("member.rfm", rfm.R, rfm.F, rfm.M, segmentName(ev, rfm.Segment), ev.TN("n.days", int64(rfm.RecencyDays), rfm.RecencyDays),
		ev.TN("n.orders", int64(rfm.Frequency), rfm.Frequency), rfm.Monetary)
	if a.modelErr == nil {
		text += "\n" + ev.T("member.clv", 100*a.bg.PAlive(mine), a.bg.ExpectedPurchases(mine, 52), insights.CLV(a.bg, a.gg, mine, 12, 0.01))
	}
	return []bots.Reply{{Text: text}}, nil
}

// segmentUsage lists the segments as typed, with their names.
func (c *Community) segmentUsage(ev *bots.Event) []bots.Reply {
	var names []string
	for _, s := range insights.Segments() {
		names = append(names, ev.T("segment.usage_item", segmentCode(s), segmentName(ev, s)))
	}
	return bots.Say(ev, "segment.usage", strings.Join(names, ", "))
}

// broadcastSegment messages, privately, the members whose shop customer is
// in one RFM segment: "/broadcast --segment at-risk We miss you!". Members
// who turned marketing off are left out.
func (c *Community) broadcastSegment(ctx context.Context, ev *bots.Event, rest string) ([]bots.Reply, error) {
	if err := ActorOf(ev).require("broadcast", bots.RoleManager); err != nil {
		return nil, err
	}
	toks, _ := bots.Tokenize(rest)
	if len(toks) < 2 {
		return c.segmentUsage(ev), nil
	}
	segment := matchSegment(toks[0])
	if segment == "" {
		return c.segmentUsage(ev), nil
	}
	text := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(rest), toks[0]))
	text = strings.Trim(text, `"' `)
	links, err := c.orders.Links(ctx)
	if err != nil {
		return nil, err
	}
	a, err := c.analysis(ctx)
	if err != nil {
		return nil, err
	}
	sent, optedOut := 0, 0
	for _, r := range a.rfm {
		member, ok := links[r.Customer]
		if !ok || r.Segment != segment {
			continue
		}
		m, err := c.members.Get(ctx, member)
		if err != nil || len(m.Identities) == 0 {
			continue
		}
		if m.NoMarketing {
			optedOut++
			continue
		}
		idt := m.Identities[0]
		if err := c.notify.Send(ctx, idt.Platform, bots.Address{UserID: idt.UserID}, bots.Reply{Text: text, Private: true}); err != nil {
			c.log.WarnContext(ctx, "segment message not delivered", "member", member, "err", err)
			continue
		}
		sent++
	}
	e := ActorOf(ev).entry("broadcast", 0)
	e.Args = map[string]string{"segment": segmentCode(segment), "text": text}
	if _, _, err := c.audit(ctx, e, 0); err != nil {
		return nil, err
	}
	c.log.InfoContext(ctx, "segment broadcast", "by", ev.Member, "segment", segment, "sent", sent, "opted_out", optedOut)
	return []bots.Reply{{Text: ev.TN("segment.sent", int64(sent), segmentName(ev, segment), sent, optedOut)}}, nil
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

// marketing turns segment broadcasts to the member on or off.
func (c *Community) marketing(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	off := ev.Arg("setting") == "off"
	if _, err := c.members.Update(ctx, ev.Member, func(m *Member) error { m.NoMarketing = off; return nil }); err != nil {
		return nil, err
	}
	if off {
		return bots.Say(ev, "marketing.off"), nil
	}
	return bots.Say(ev, "marketing.on"), nil
}
