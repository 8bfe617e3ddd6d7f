package chat

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/community/support"
	"github.com/loyalbot/loyalbot/loyalty/orders"
	"github.com/loyalbot/loyalbot/ugc"
)

// ownAnswer answers a question about the asker's own account (see
// support.OwnTopic) from their data: always the member who asked,
// whatever the question names.
func (c *Helpdesk) ownAnswer(ctx context.Context, ev *bots.Event, question string, topic support.Topic) ([]bots.Reply, error) {
	m, err := c.members.Get(ctx, ev.Member)
	if err != nil {
		return nil, err
	}
	if m.Locale == "" { // answer in the language of the question, unless the member chose one
		ev.Locale = support.LangOf(question)
	}
	a := acct(ev)
	var lines []string
	switch topic {
	case support.TopicBalance, support.TopicPending:
		b, err := c.ledger.Balance(ctx, a)
		if err != nil {
			return nil, fmt.Errorf("balance: %w", err)
		}
		lines = append(lines, ev.T("points.balance", pts(ev, b.Balance)))
		if b.Held == 0 {
			if topic == support.TopicPending {
				lines = append(lines, ev.T("own.none_pending"))
			}
			break
		}
		lines = append(lines, ev.T("points.available", pts(ev, b.Available), pts(ev, b.Held)))
		holds, err := c.ledger.OpenOf(ctx, a)
		if err != nil {
			return nil, fmt.Errorf("holds: %w", err)
		}
		for _, hd := range holds {
			lines = append(lines, ev.T("own.pending_until", pts(ev, hd.Amount), date(hd.Expires, c.loc)))
		}
	case support.TopicExpiry:
		lot, ok, err := c.ledger.NextExpiry(ctx, a)
		if err != nil {
			return nil, fmt.Errorf("next expiry: %w", err)
		}
		if !ok {
			lines = append(lines, ev.T("own.no_expiry"))
			break
		}
		lines = append(lines, ev.TN("points.expiry", lot.Remaining, points(lot.Remaining), date(lot.Expires.Add(-time.Second), c.loc)))
	case support.TopicTier:
		st, err := c.ledger.TierOf(ctx, a)
		if err != nil {
			return nil, fmt.Errorf("tier: %w", err)
		}
		lines = append(lines, ev.T("points.tier", tierName(ev, st.Tier), pts(ev, st.Earned)))
		if st.Next != nil {
			lines = append(lines, ev.TN("points.next_tier", st.ToNext, points(st.ToNext), tierName(ev, *st.Next)))
		} else {
			lines = append(lines, ev.T("points.top_tier"))
		}
	case support.TopicStreak:
		now := c.now().In(c.loc)
		switch m.LastCheck {
		case now.Format(time.DateOnly):
			lines = append(lines, ev.TN("own.streak_today", int64(m.Streak), m.Streak))
		case now.AddDate(0, 0, -1).Format(time.DateOnly):
			lines = append(lines, ev.TN("own.streak_keep", int64(m.Streak), m.Streak))
		default:
			lines = append(lines, ev.T("own.streak_none"))
		}
	case support.TopicReferrals:
		if c.ugc == nil {
			return nil, nil
		}
		refs, err := c.ugc.Referrals().By(ctx, ev.Member)
		if err != nil {
			return nil, err
		}
		var qualified, pending int
		var paid int64
		for _, r := range refs {
			switch r.Status {
			case ugc.RefQualified:
				qualified++
				paid += r.Paid
			case ugc.RefPending:
				pending++
			}
		}
		if qualified+pending == 0 {
			lines = append(lines, ev.T("own.no_referrals"))
		} else {
			lines = append(lines, ev.TN("own.referrals", int64(qualified+pending), qualified+pending, qualified, pending, pts(ev, paid)))
		}
		code, err := c.ugc.Referrals().Code(ctx, ev.Member)
		if err != nil {
			return nil, err
		}
		lines = append(lines, ev.T("own.referral_code", code))
	case support.TopicTicket:
		tk, ok, err := c.tickets.OpenFor(ctx, ev.Member)
		if err != nil {
			return nil, err
		}
		if !ok {
			lines = append(lines, ev.T("own.no_ticket"))
			break
		}
		lines = append(lines, ev.TN("support.ticket_status", int64(len(tk.Turns)), tk.ID, len(tk.Turns), date(tk.Updated, c.loc)))
	case support.TopicOrders:
		if c.orders == nil {
			return nil, nil
		}
		recent, n, err := c.recentOrders(ctx, ev.Member, 3)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			lines = append(lines, ev.T("own.no_orders"))
			break
		}
		lines = append(lines, ev.TN("own.orders", int64(n), n))
		for _, o := range recent {
			lines = append(lines, ev.T("own.order_line", date(o.Created, c.loc), o.ID, strings.TrimSpace(orders.Units(o.Amount-o.Refunded)+" "+o.Currency), ev.T("order.status."+string(o.Status))))
		}
	default:
		return nil, nil
	}
	// Asked in a group, the answer about their own account (orders, an open
	// request) reaches only them.
	return []bots.Reply{{Text: strings.Join(lines, "\n"), ReplyTo: ev.MessageID, Private: !ev.Private()}}, nil
}

// recentOrders returns the member's newest limit orders across the shop
// accounts they linked, and how many they have.
func (c *Helpdesk) recentOrders(ctx context.Context, member uint64, limit int) ([]orders.Order, int, error) {
	customers, err := c.orders.CustomersOf(ctx, member)
	if err != nil {
		return nil, 0, err
	}
	var all []orders.Order
	for _, cu := range customers {
		os, err := c.orders.Orders(ctx, cu)
		if err != nil {
			return nil, 0, err
		}
		all = append(all, os...)
	}
	slices.SortFunc(all, func(a, b orders.Order) int { return b.Created.Compare(a.Created) })
	return all[:min(limit, len(all))], len(all), nil
}

// ownMessages are the messages own.go renders (with points.go's).
var ownMessages = messages{
	bots.English: {
		"own.none_pending":       "None of your points are pending: all of them are yours to spend.",
		"own.pending_until":      "⏳ %s pending until %s (the return window), then they are yours to spend.",
		"own.no_expiry":          "None of your points are due to expire.",
		"own.streak_today#one":   "🔥 Your check-in streak: %d day, today included. See you tomorrow!",
		"own.streak_today#other": "🔥 Your check-in streak: %d days, today included. See you tomorrow!",
		"own.streak_keep#one":    "🔥 Your check-in streak: %d day. /checkin today to keep it going.",
		"own.streak_keep#other":  "🔥 Your check-in streak: %d days. /checkin today to keep it going.",
		"own.streak_none":        "You have no check-in streak right now: /checkin today to start one.",
		"own.no_referrals":       "You haven't referred anyone yet.",
		"own.referral_code":      "Your referral code: %s (/ref shows your invite link).",
		"own.referrals#one":      "You referred %d friend: %d qualified, %d still pending. Earned so far: %s.",
		"own.referrals#other":    "You referred %d friends: %d qualified, %d still pending. Earned so far: %s.",
		"own.no_ticket":          "You have no open request with our team. /human reaches a person.",
		"own.no_orders":          "No shop orders are linked to you yet: /shop <code from your order confirmation> links your shop account.",
		"own.orders#one":         "🛍️ You have %d order with us:",
		"own.orders#other":       "🛍️ You have %d orders with us; the latest:",
		"own.order_line":         "%s  #%s  %s  (%s)",
		"order.status.paid":      "paid",
		"order.status.refunded":  "refunded",
		"order.status.cancelled": "cancelled",
	},
	bots.Chinese: {
		"own.none_pending":       "你没有待入账的积分，全部都可以使用。",
		"own.pending_until":      "⏳ %s 待入账，%s 退货期结束后即可使用。",
		"own.no_expiry":          "你目前没有即将过期的积分。",
		"own.streak_today#other": "🔥 你已连续签到 %d 天（含今天），明天见！",
		"own.streak_keep#other":  "🔥 你已连续签到 %d 天，今天 /checkin 就能继续保持。",
		"own.streak_none":        "你目前没有连续签到记录，今天 /checkin 开始吧。",
		"own.no_referrals":       "你还没有邀请过朋友。",
		"own.referral_code":      "你的邀请码：%s（发送 /ref 查看邀请链接）。",
		"own.referrals#other":    "你邀请了 %d 位朋友：%d 位已生效，%d 位待生效。已获得：%s。",
		"own.no_ticket":          "你目前没有待处理的人工客服请求，发送 /human 可以联系真人。",
		"own.no_orders":          "你还没有关联商城订单：发送 /shop <订单确认里的代码> 关联商城账号。",
		"own.orders#other":       "🛍️ 你共有 %d 笔订单，最近的：",
		"own.order_line":         "%s  #%s  %s（%s）",
		"order.status.paid":      "已付款",
		"order.status.refunded":  "已退款",
		"order.status.cancelled": "已取消",
	},
}
