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
	pointsMessages.addTo(r)
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
		if cursor == 0 && p < page { // asked for a page past the end
			if p == 1 && len(entries) == 0 {
				break
			}
			return c.personal(ev, []bots.Reply{{Text: ev.TN("history.past_end", p, p)}}), nil
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
			if amt < 0 && ev.HasMessage("source."+src+".back") {
				label = ev.T("source." + src + ".back") // points taken back, as for a refunded order
			}
		}
		if counter.IsMember() {
			label = ev.T("account.transfer")
		}
		if e.Reverses != 0 {
			label = ev.T("history.reversal", label)
		}
		line := fmt.Sprintf("%s  %s%s  %s", date(e.Time, c.loc), sign, points(amt), label)
		if e.Reason != "" && (counter == loyalty.AdjustmentAccount || counter == loyalty.Issuance("campaign") || e.Reverses != 0) {
			line += " — " + e.Reason
		}
		lines = append(lines, line)
	}
	if cursor != 0 {
		lines = append(lines, ev.T("history.more", page+1))
	}
	return c.personal(ev, []bots.Reply{{Text: strings.Join(lines, "\n")}}), nil
}

// pointsMessages are the messages points.go renders.
var pointsMessages = messages{
	bots.English: {
		"points.balance":         "💰 Balance: %s",
		"points.available":       "Available to spend: %s (%s pending: rewards to hand out, purchases in their return window)",
		"points.tier":            "🏅 Tier: %s (%s earned in the last 12 months)",
		"points.next_tier#one":   "%s more point to reach %s",
		"points.next_tier#other": "%s more points to reach %s",
		"points.top_tier":        "You are in our top tier. Thank you! 💚",
		"points.expiry#one":      "⏳ %s point expires on %s",
		"points.expiry#other":    "⏳ %s points expire on %s",
		"history.header":         "Your points activity (page %d):",
		"history.empty":          "No points activity to show yet. Try /checkin!",
		"history.past_end#one":   "Your history has %d page: /history shows it.",
		"history.past_end#other": "Your history has %d pages: /history 1 to /history %[1]d.",
		"history.more":           "More: /history %d",
		"history.reversal":       "reversal of %s",
		"account.transfer":       "transfer",
		"account.redemption":     "reward redeemed",
		"account.expiry":         "points expired",
		"account.adjustment":     "adjustment",
		"source.signup":          "signup bonus",
		"source.checkin":         "check-in",
		"source.campaign":        "gift",
		"source.message":         "chat activity",
		"source.ugc":             "content reward",
		"source.referral":        "referral reward",
		"source.orders":          "purchase",
		"source.orders.back":     "purchase refunded",
	},
	bots.Chinese: {
		"points.balance":         "💰 余额：%s",
		"points.available":       "可用积分：%s（%s 待入账：待发放的奖励、退货期内的购物）",
		"points.tier":            "🏅 等级：%s（近 12 个月获得 %s）",
		"points.next_tier#other": "再获得 %s 积分即可升级到%s",
		"points.top_tier":        "你已是最高等级，感谢支持！💚",
		"points.expiry#other":    "⏳ %s 积分将于 %s 过期",
		"history.header":         "你的积分记录（第 %d 页）：",
		"history.empty":          "还没有积分记录，试试 /checkin 吧！",
		"history.past_end#other": "你的积分记录共 %d 页：/history 1 到 /history %[1]d。",
		"history.more":           "更多：/history %d",
		"history.reversal":       "撤销：%s",
		"account.transfer":       "转账",
		"account.redemption":     "兑换奖励",
		"account.expiry":         "积分过期",
		"account.adjustment":     "人工调整",
		"source.signup":          "注册奖励",
		"source.checkin":         "签到",
		"source.campaign":        "赠送",
		"source.message":         "聊天活跃",
		"source.ugc":             "内容奖励",
		"source.referral":        "邀请奖励",
		"source.orders":          "购物",
		"source.orders.back":     "订单退款扣回",
	},
}
