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
		{Name: "shop", Help: "cmd.shop", Role: bots.RoleMember, Args: []bots.Arg{{Name: "proof", Kind: bots.ArgText}}, Handler: bots.HandlerFunc(c.linkShop)},
		{Name: "segments", Help: "cmd.segments", Role: bots.RoleManager, Handler: bots.HandlerFunc(c.segments)},
		{Name: "marketing", Help: "cmd.marketing", Role: bots.RoleMember, Args: []bots.Arg{{Name: "setting", Choices: []string{"on", "off"}}}, Handler: bots.HandlerFunc(c.marketing)},
		{Name: "member", Help: "cmd.member", Role: bots.RoleManager, Args: []bots.Arg{{Name: "member", Kind: bots.ArgMember}}, Handler: bots.HandlerFunc(c.memberValue)},
	} {
		r.Handle(cmd)
	}
}

// linkShop links the member's shop account by the code the shop showed
// after checkout, or the e-mail address or phone number used there.
func (c *Community) linkShop(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	customer, err := c.orders.Link(ctx, ev.Member, ev.Arg("proof"))
	if errors.Is(err, orders.ErrUnknown) {
		return bots.SayPrivately(ev, "shop.unknown"), nil
	}
	if err != nil {
		return nil, fmt.Errorf("link shop account: %w", err)
	}
	n := len(c.orders.Orders(ctx, customer))
	b, err := c.ledger.Balance(ctx, acct(ev))
	if err != nil {
		return nil, err
	}
	c.log.InfoContext(ctx, "shop account linked", "member", ev.Member, "orders", n)
	return bots.SayPrivately(ev, "shop.linked", n, points(b.Held), points(b.Balance)), nil
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
func (c *Community) analysis(ctx context.Context) *analysis {
	now := c.now()
	c.mu.Lock()
	cached := c.shop
	c.mu.Unlock()
	if cached != nil && now.Sub(cached.at) < analysisTTL {
		return cached
	}
	a := &analysis{at: now, sums: insights.Summarize(c.orders.Purchases(ctx), now)}
	a.rfm = insights.Score(a.sums, now)
	if a.bg, a.modelErr = insights.FitBGNBD(a.sums); a.modelErr == nil {
		a.gg, a.modelErr = insights.FitGammaGamma(a.sums)
	}
	c.mu.Lock()
	c.shop = a
	c.mu.Unlock()
	return a
}

// segments shows managers the RFM segments of all shop customers.
func (c *Community) segments(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	a := c.analysis(ctx)
	if len(a.sums) == 0 {
		return bots.Say(ev, "segments.empty"), nil
	}
	lines := []string{ev.T("segments.header", len(a.sums), date(a.at, c.loc))}
	for _, s := range insights.Table(a.rfm) {
		lines = append(lines, ev.T("segments.line", s.Segment, s.Customers, 100*s.Share))
	}
	return []bots.Reply{{Text: strings.Join(lines, "\n"), Card: true}}, nil
}

// memberValue shows a member's RFM scores, segment, P(alive) and 12-month CLV.
func (c *Community) memberValue(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	target := ev.ArgMember("member")
	customer, ok := c.orders.CustomerOf(ctx, target)
	if !ok {
		return bots.Say(ev, "member.no_shop"), nil
	}
	a := c.analysis(ctx)
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
	text := ev.T("member.rfm", rfm.R, rfm.F, rfm.M, rfm.Segment, rfm.RecencyDays, rfm.Frequency, rfm.Monetary)
	if a.modelErr == nil {
		text += "\n" + ev.T("member.clv", 100*a.bg.PAlive(mine), a.bg.ExpectedPurchases(mine, 52), insights.CLV(a.bg, a.gg, mine, 12, 0.01))
	}
	return []bots.Reply{{Text: text}}, nil
}

// broadcastSegment messages, privately, the members whose shop customer is
// in one RFM segment: "/broadcast --segment at-risk We miss you!". Members
// who turned marketing off are left out.
func (c *Community) broadcastSegment(ctx context.Context, ev *bots.Event, rest string) ([]bots.Reply, error) {
	toks, _ := bots.Tokenize(rest)
	if len(toks) < 2 {
		return bots.Say(ev, "segment.usage", strings.Join(insights.Segments, ", ")), nil
	}
	segment := matchSegment(toks[0])
	if segment == "" {
		return bots.Say(ev, "segment.usage", strings.Join(insights.Segments, ", ")), nil
	}
	text := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(rest), toks[0]))
	text = strings.Trim(text, `"' `)
	links := c.orders.Links(ctx)
	sent, optedOut := 0, 0
	for _, r := range c.analysis(ctx).rfm {
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
	c.log.InfoContext(ctx, "segment broadcast", "by", ev.Member, "segment", segment, "sent", sent, "opted_out", optedOut)
	return bots.Say(ev, "segment.sent", segment, sent, optedOut), nil
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
	for _, s := range insights.Segments {
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

var englishShop = map[string]string{
	"cmd.shop":         "link your shop account (code, e-mail or phone)",
	"cmd.segments":     "customer segments (RFM)",
	"cmd.member":       "a member's value: RFM, P(alive), CLV",
	"shop.unknown":     "I couldn't find a shop account with that. Use the code from your order confirmation, or the e-mail or phone you shop with.",
	"shop.linked":      "🛍️ Shop account linked: %d orders. %s points are pending through the return window. Balance: %s points.",
	"segments.empty":   "No shop orders yet.",
	"segments.header":  "Customer segments (%d customers, as of %s):",
	"segments.line":    "%s: %d customers, %.1f%% of revenue",
	"member.no_shop":   "That member has not linked a shop account.",
	"member.no_orders": "That member has no paid orders yet.",
	"member.rfm":       "RFM %d-%d-%d: %s (last order %d days ago, %d orders, %.2f spent)",
	"member.clv":       "P(alive) %.0f%%, expected orders next year %.1f, 12-month value %.2f",
	"cmd.marketing":    "turn offers from the brand on or off",
	"marketing.on":     "You'll hear about offers from us again.",
	"marketing.off":    "Done: no more offers. Points and service messages still reach you.",
	"segment.usage":    "Usage: /broadcast --segment <segment> <text>. Segments: %s",
	"segment.sent":     "Sent to %[2]d members in %[1]s (%[3]d opted out of offers).",
}

var chineseShop = map[string]string{
	"cmd.shop":         "绑定商城账号（兑换码、邮箱或手机号）",
	"cmd.segments":     "客户分群（RFM）",
	"cmd.member":       "成员价值：RFM、活跃概率、客户终身价值",
	"shop.unknown":     "没有找到对应的商城账号。请使用订单确认页上的代码，或你购物时用的邮箱、手机号。",
	"shop.linked":      "🛍️ 商城账号已绑定：%d 笔订单。%s 积分在退货期内待入账。余额：%s 积分。",
	"segments.empty":   "还没有商城订单。",
	"segments.header":  "客户分群（%d 位客户，截至 %s）：",
	"segments.line":    "%s：%d 位客户，占营收 %.1f%%",
	"member.no_shop":   "该成员还没有绑定商城账号。",
	"member.no_orders": "该成员还没有已付款订单。",
	"member.rfm":       "RFM %d-%d-%d：%s（上次下单 %d 天前，%d 笔订单，消费 %.2f）",
	"member.clv":       "活跃概率 %.0f%%，预计明年下单 %.1f 次，12 个月价值 %.2f",
	"cmd.marketing":    "开启或关闭品牌优惠消息",
	"marketing.on":     "好的，之后会继续给你发送优惠消息。",
	"marketing.off":    "已关闭优惠消息。积分和服务通知仍会照常发送。",
	"segment.usage":    "用法：/broadcast --segment <分群> <内容>。分群：%s",
	"segment.sent":     "已发送给 %[1]s 分群的 %[2]d 位成员（%[3]d 位已关闭优惠消息）。",
}
