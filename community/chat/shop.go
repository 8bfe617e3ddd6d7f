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
	shopMessages.addTo(r)
	r.Handle(bots.Command{
		Name: "shop", Help: "cmd.shop", Role: bots.RoleMember, Args: []bots.Arg{{Name: "proof", Kind: bots.ArgText}},
		Variants: []bots.Variant{{Args: []bots.Arg{bots.Literal("unlink"), {Name: "member", Kind: bots.ArgMember}}, Help: "cmd.shop_unlink", Role: bots.RoleManager}},
		Handler:  bots.HandlerFunc(c.shopCmd),
	})
	r.Handle(bots.Command{Name: "segments", Help: "cmd.segments", Role: bots.RoleManager, Handler: bots.HandlerFunc(c.segments)})
	if c.lifecycle == nil { // else Campaigns has /marketing, which also records consent
		r.Handle(bots.Command{Name: "marketing", Help: "cmd.marketing", Role: bots.RoleMember, Args: []bots.Arg{{Name: "setting", Choices: []string{"on", "off"}}}, Handler: bots.HandlerFunc(c.marketing)})
	}
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
	if errors.Is(a.ModelErr, community.ErrModelPending) {
		text += "\n" + ev.TN("member.clv_pending", int64(len(a.Summaries)), len(a.Summaries))
	}
	if a.ModelErr == nil {
		text += "\n" + ev.T("member.clv", 100*a.BG.PAlive(mine), a.BG.ExpectedPurchases(mine, 52), insights.CLV(a.BG, a.GG, mine, 12, 0.01))
	}
	return []bots.Reply{{Text: text}}, nil
}

// marketing turns segment broadcasts to the member on or off.
func (c *Shop) marketing(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	off := ev.Arg("setting") == "off"
	if err := community.SetConsent(ctx, c.members, ev.Member, !off); err != nil {
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

// shopMessages are the messages shop.go renders.
var shopMessages = messages{
	bots.English: {
		"cmd.shop_unlink":            "unlink a member's shop account and take back the points its orders earned",
		"shop.unknown":               "I couldn't find a shop account with that. Use the code from your order confirmation, or an e-mail or phone the shop has confirmed.",
		"shop.linked_elsewhere":      "That shop account is already linked to another member. If it is yours, ask a manager to unlink it.",
		"shop.unlinked_by_manager":   "A manager unlinked that shop account from you, so an e-mail or phone number no longer links it. If it is yours, use the one-time code the shop gives you.",
		"shop.linked#one":            "🛍️ Shop account linked: %d order. Pending through the return window: %s. Balance: %s.",
		"shop.linked#other":          "🛍️ Shop account linked: %d orders. Pending through the return window: %s. Balance: %s.",
		"shop.unlinked#one":          "%s's shop account is unlinked and %s point its orders earned was taken back; it can be linked again.",
		"shop.unlinked#other":        "%s's shop account is unlinked and %s points its orders earned were taken back; it can be linked again.",
		"shop.unlinked_short#one":    "%s more point was spent already and could not be taken back.",
		"shop.unlinked_short#other":  "%s more points were spent already and could not be taken back.",
		"segments.empty":             "No shop orders yet.",
		"segments.header#one":        "Customer segments (%d customer, as of %s):",
		"segments.header#other":      "Customer segments (%d customers, as of %s):",
		"segments.line#one":          "%s: %d customer, %.1f%% of revenue",
		"segments.line#other":        "%s: %d customers, %.1f%% of revenue",
		"member.no_shop":             "That member has not linked a shop account.",
		"member.no_orders":           "That member has no paid orders yet.",
		"member.rfm":                 "RFM %d-%d-%d: %s (last order %s ago, %s, %.2f spent)",
		"member.clv":                 "P(alive) %.0f%%, expected orders next year %.1f, 12-month value %.2f",
		"member.clv_pending#one":     "Customer value is being worked out for %d customer; ask again in a few minutes.",
		"member.clv_pending#other":   "Customer value is being worked out for %d customers; ask again in a few minutes.",
		"marketing.on":               "Thanks! We'll send you offers now and then. /marketing off stops them.",
		"marketing.off":              "Done: no more offers. Points and service messages still reach you.",
		"segment.usage":              "Usage: /broadcast --segment <segment> <text>. Segments: %s",
		"segment.usage_item":         "%s (%s)",
		"segment.no_shop":            "Segments need the shop connected (orders webhook or import).",
		"segment.sent#one":           "Sent to %[2]d member in %[1]s (%[3]d without consent to offers).",
		"segment.sent#other":         "Sent to %[2]d members in %[1]s (%[3]d without consent to offers).",
		"segment.champions":          "Champions",
		"segment.loyal":              "Loyal",
		"segment.potential-loyalist": "Potential Loyalist",
		"segment.new":                "New",
		"segment.promising":          "Promising",
		"segment.need-attention":     "Need Attention",
		"segment.about-to-sleep":     "About To Sleep",
		"segment.at-risk":            "At Risk",
		"segment.cant-lose-them":     "Can't Lose Them",
		"segment.hibernating":        "Hibernating",
		"segment.lost":               "Lost",
	},
	bots.Chinese: {
		"cmd.shop_unlink":            "解绑成员的商城账号，并收回其订单所得的积分",
		"shop.unknown":               "没有找到对应的商城账号。请使用订单确认页上的代码，或商城已验证的邮箱、手机号。",
		"shop.linked_elsewhere":      "这个商城账号已经绑定了另一位成员。如果是你的账号，请联系管理员解绑。",
		"shop.unlinked_by_manager":   "管理员已为你解绑这个商城账号，邮箱或手机号不能再绑定它。如果是你的账号，请使用商城提供的一次性绑定码。",
		"shop.linked#other":          "🛍️ 商城账号已绑定：%d 笔订单。退货期内待入账：%s。余额：%s。",
		"shop.unlinked#other":        "%s 的商城账号已解绑，其订单所得的 %s 积分已收回，可以重新绑定。",
		"shop.unlinked_short#other":  "另有 %s 积分已被使用，无法收回。",
		"segments.empty":             "还没有商城订单。",
		"segments.header#other":      "客户分群（%d 位客户，截至 %s）：",
		"segments.line#other":        "%s：%d 位客户，占营收 %.1f%%",
		"member.no_shop":             "该成员还没有绑定商城账号。",
		"member.no_orders":           "该成员还没有已付款订单。",
		"member.rfm":                 "RFM %d-%d-%d：%s（上次下单 %s 前，%s，消费 %.2f）",
		"member.clv":                 "活跃概率 %.0f%%，预计明年下单 %.1f 次，12 个月价值 %.2f",
		"member.clv_pending#other":   "正在为 %d 位顾客计算顾客价值，请过几分钟再问。",
		"marketing.on":               "谢谢！我们会偶尔给你发送优惠消息。发送 /marketing off 即可停止。",
		"marketing.off":              "已关闭优惠消息。积分和服务通知仍会照常发送。",
		"segment.usage":              "用法：/broadcast --segment <分群> <内容>。分群：%s",
		"segment.usage_item":         "%s（%s）",
		"segment.no_shop":            "客户分群需要先连接商城（订单 webhook 或导入）。",
		"segment.sent#other":         "已发送给%[1]s分群的 %[2]d 位成员（%[3]d 位未同意接收优惠消息）。",
		"segment.champions":          "冠军客户",
		"segment.loyal":              "忠诚客户",
		"segment.potential-loyalist": "潜力忠诚客户",
		"segment.new":                "新客户",
		"segment.promising":          "有望客户",
		"segment.need-attention":     "需要关注",
		"segment.about-to-sleep":     "即将沉睡",
		"segment.at-risk":            "流失风险",
		"segment.cant-lose-them":     "不能失去",
		"segment.hibernating":        "休眠客户",
		"segment.lost":               "已流失",
	},
}
