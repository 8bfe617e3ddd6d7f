package chat

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/community"
	"github.com/loyalbot/loyalbot/loyalty"
)

// Rewards is the catalogue and redemptions: /rewards and /redeem for members, /redemptions, /fulfil and /cancel for managers.
type Rewards struct{ *base }

// Register adds the commands to r.
func (c *Rewards) Register(r *bots.Router) {
	rewardsMessages.addTo(r)
	code := bots.Arg{Name: "code"}
	r.Handle(bots.Command{Name: "rewards", Help: "cmd.rewards", Role: bots.RoleMember, Handler: bots.HandlerFunc(c.rewards)})
	r.Handle(bots.Command{Name: "redeem", Help: "cmd.redeem", Role: bots.RoleMember, Args: []bots.Arg{{Name: "item"}, {Name: "action", Choices: []string{"confirm", "cancel"}, Optional: true}, {Name: "nonce", Optional: true, Hidden: true}}, Handler: bots.HandlerFunc(c.redeem)})
	r.Handle(bots.Command{Name: "redemptions", Help: "cmd.redemptions", Role: bots.RoleManager, Handler: bots.HandlerFunc(c.redemptions)})
	r.Handle(bots.Command{Name: "fulfil", Aliases: []string{"fulfill"}, Help: "cmd.fulfil", Role: bots.RoleManager, Args: []bots.Arg{code, {Name: "note", Kind: bots.ArgText, Optional: true}}, Handler: bots.HandlerFunc(c.fulfil)})
	r.Handle(bots.Command{Name: "cancel", Help: "cmd.cancel", Role: bots.RoleManager, Args: []bots.Arg{code, {Name: "reason", Kind: bots.ArgText, Optional: true}}, Handler: bots.HandlerFunc(c.cancel)})
}

// rewards lists the catalogue with cost and stock, a redeem button per item.
func (c *Rewards) rewards(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	rs, err := c.ledger.Rewards(ctx)
	if err != nil {
		return nil, fmt.Errorf("rewards: %w", err)
	}
	now := c.now()
	lines := []string{ev.T("rewards.header")}
	var buttons [][]bots.Button
	for _, r := range rs {
		if !r.ActiveAt(now) {
			continue
		}
		stock := ev.T("rewards.unlimited")
		if r.Stock != loyalty.Unlimited {
			stock = ev.T("rewards.left", r.Stock)
		}
		lines = append(lines, ev.T("rewards.line", r.ID, rewardName(ev, r), pts(ev, r.Cost), stock))
		if r.Stock != 0 {
			buttons = append(buttons, []bots.Button{{Label: ev.T("rewards.button", rewardName(ev, r)), Data: "/redeem " + r.ID}})
		}
	}
	if len(lines) == 1 {
		return bots.Say(ev, "rewards.empty"), nil
	}
	lines = append(lines, ev.T("rewards.how"))
	return []bots.Reply{{Text: strings.Join(lines, "\n"), Buttons: buttons, Card: true}}, nil
}

// redeem asks for confirmation, then redeems. The confirm button carries a
// nonce so pressing it twice redeems once; "/redeem <item> confirm" typed by
// hand is keyed by its own message.
func (c *Rewards) redeem(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	id := strings.ToLower(ev.Arg("item"))
	r, err := c.ledger.Reward(ctx, id)
	if errors.Is(err, loyalty.ErrUnknownReward) {
		return bots.Say(ev, "redeem.unknown", ev.Arg("item")), nil
	}
	if err != nil {
		return nil, err
	}
	name := rewardName(ev, r)
	switch ev.Arg("action") {
	case "cancel":
		return bots.Say(ev, "redeem.cancelled", name), nil
	case "":
		return c.confirmRedeem(ctx, ev, r)
	}
	nonce := ev.Arg("nonce")
	if nonce == "" {
		nonce = ev.ID
	}
	rd, err := c.community.Redeem(ctx, ev.Member, r.ID, ev.MemberKey("redeem", nonce))
	var short *loyalty.InsufficientFundsError
	switch {
	case errors.As(err, &short):
		return bots.Say(ev, "redeem.short", name, pts(ev, r.Cost), pts(ev, short.Missing())), nil
	case errors.Is(err, loyalty.ErrOutOfStock):
		return bots.Say(ev, "redeem.out_of_stock", name), nil
	case errors.Is(err, loyalty.ErrRewardInactive):
		return bots.Say(ev, "redeem.inactive", name), nil
	case errors.Is(err, loyalty.ErrLimitReached):
		return bots.Say(ev, "redeem.limit", name, r.PerMember), nil
	case errors.Is(err, loyalty.ErrIdempotencyConflict):
		return bots.Say(ev, "redeem.stale"), nil
	case err != nil:
		return nil, fmt.Errorf("redeem %s: %w", r.ID, err)
	}
	code := loyalty.FormatCode(rd.Code)
	if rd.Replay {
		return bots.Say(ev, "redeem.already", name, code), nil
	}
	b, err := c.ledger.Balance(ctx, acct(ev))
	if err != nil {
		return nil, err
	}
	return []bots.Reply{{Text: ev.T("redeem.ok", name, code, pts(ev, b.Balance))}}, nil
}

// confirmRedeem checks what can be checked before asking, so a member who
// cannot redeem learns why at once.
func (c *Rewards) confirmRedeem(ctx context.Context, ev *bots.Event, r loyalty.Reward) ([]bots.Reply, error) {
	name := rewardName(ev, r)
	if !r.ActiveAt(c.now()) {
		return bots.Say(ev, "redeem.inactive", name), nil
	}
	if r.Stock == 0 {
		return bots.Say(ev, "redeem.out_of_stock", name), nil
	}
	b, err := c.ledger.Balance(ctx, acct(ev))
	if err != nil {
		return nil, err
	}
	if b.Available < r.Cost {
		return bots.Say(ev, "redeem.short", name, pts(ev, r.Cost), pts(ev, r.Cost-b.Available)), nil
	}
	sum := sha256.Sum256([]byte(ev.ID))
	nonce := hex.EncodeToString(sum[:4])
	return []bots.Reply{{
		Text: ev.T("redeem.confirm", name, pts(ev, r.Cost), pts(ev, b.Available), r.ID),
		Buttons: [][]bots.Button{{
			{Label: ev.T("button.confirm"), Data: "/redeem " + r.ID + " confirm " + nonce},
			{Label: ev.T("button.cancel"), Data: "/redeem " + r.ID + " cancel"},
		}},
	}}, nil
}

// redemptions lists pending redemptions for managers, oldest last.
func (c *Rewards) redemptions(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	rds, err := c.ledger.Redemptions(ctx, "", true, 20)
	if err != nil {
		return nil, fmt.Errorf("redemptions: %w", err)
	}
	if len(rds) == 0 {
		return bots.Say(ev, "redemptions.empty"), nil
	}
	ids := make([]uint64, len(rds))
	for i, rd := range rds {
		ids[i], _ = rd.Account.MemberID()
	}
	names, err := c.members.Names(ctx, ids)
	if err != nil {
		return nil, err
	}
	lines := []string{ev.T("redemptions.header", len(rds))}
	var buttons [][]bots.Button
	for i, rd := range rds {
		code := loyalty.FormatCode(rd.Code)
		lines = append(lines, ev.T("redemptions.line", code, names[ids[i]], rd.Reward, date(rd.Created, c.loc)))
		buttons = append(buttons, []bots.Button{
			{Label: ev.T("button.fulfil", code), Data: "/fulfil " + rd.Code},
			{Label: ev.T("button.cancel_code", code), Data: "/cancel " + rd.Code},
		})
	}
	return []bots.Reply{{Text: strings.Join(lines, "\n"), Buttons: buttons}}, nil
}

// fulfil marks a redemption as handed out and tells the member.
func (c *Rewards) fulfil(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	return c.closeRedemption(ctx, ev, "fulfil", ev.Arg("note"))
}

// cancel cancels a redemption, refunding its points, and tells the member.
func (c *Rewards) cancel(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	return c.closeRedemption(ctx, ev, "cancel", ev.Arg("reason"))
}

// closeRedemption runs a manager's fulfil or cancel (op). Messages
// op+".ok" and op+".already" take the code, the cost and the note.
func (c *Rewards) closeRedemption(ctx context.Context, ev *bots.Event, op, note string) ([]bots.Reply, error) {
	rd, err := c.admin.CloseRedemption(ctx, community.ActorOf(ev), ev.Arg("code"), note, op == "cancel", ev.Key(op))
	switch {
	case errors.Is(err, loyalty.ErrNotFound):
		return bots.Say(ev, "redemption.unknown", ev.Arg("code")), nil
	case errors.Is(err, loyalty.ErrRedemptionClosed):
		return bots.Say(ev, "redemption.closed", ev.Arg("code")), nil
	case err != nil:
		return nil, fmt.Errorf("%s redemption: %w", op, err)
	}
	code := loyalty.FormatCode(rd.Code)
	if rd.Replay {
		return bots.Say(ev, op+".already", code, pts(ev, rd.Cost), note), nil
	}
	return bots.Say(ev, op+".ok", code, pts(ev, rd.Cost), note), nil
}

// rewardsMessages are the messages rewards.go renders.
var rewardsMessages = messages{
	bots.English: {
		"rewards.header":      "🎁 Rewards:",
		"rewards.line":        "• %s — %s — %s (%s)",
		"rewards.left":        "%d left",
		"rewards.unlimited":   "always available",
		"rewards.button":      "Redeem %s",
		"rewards.how":         "To redeem: /redeem <id>",
		"rewards.empty":       "The rewards catalogue is empty right now. Check back soon!",
		"redeem.unknown":      "There is no reward called %q. See /rewards for the list.",
		"redeem.cancelled":    "OK, nothing redeemed. %s stays in the catalogue.",
		"redeem.confirm":      "Redeem %s for %s? You have %s available.\nReply /redeem %s confirm, or use the buttons.",
		"redeem.short":        "%s costs %s — you are %s short. Keep earning with /checkin!",
		"redeem.out_of_stock": "Sorry, %s is out of stock.",
		"redeem.inactive":     "Sorry, %s isn't available right now.",
		"redeem.limit":        "You've reached the limit for %s (%d per member).",
		"redeem.stale":        "That button has expired. Send /rewards to start again.",
		"redeem.ok":           "🎉 Redeemed %s! Your code is %s. A manager will be in touch. Balance: %s.",
		"redeem.already":      "You already redeemed %s with this button. Your code is %s.",
		"redemptions.header":  "📦 Pending redemptions (%d):",
		"redemptions.line":    "%s — %s — %s — %s",
		"redemptions.empty":   "No pending redemptions. 🎉",
		"redemption.unknown":  "There is no redemption with code %s.",
		"redemption.closed":   "Redemption %s is already closed.",
		"fulfil.ok":           "Redemption %[1]s marked as handed out. The member has been told.",
		"fulfil.already":      "Redemption %[1]s was already handed out.",
		"cancel.ok":           "Redemption %[1]s cancelled and %[2]s refunded.",
		"cancel.already":      "Redemption %[1]s was already cancelled.",
	},
	bots.Chinese: {
		"rewards.header":      "🎁 奖励目录：",
		"rewards.line":        "• %s — %s — %s（%s）",
		"rewards.left":        "剩余 %d 件",
		"rewards.unlimited":   "不限量",
		"rewards.button":      "兑换%s",
		"rewards.how":         "兑换方式：/redeem <编号>",
		"rewards.empty":       "奖励目录暂时是空的，请稍后再来看看！",
		"redeem.unknown":      "没有叫 %q 的奖励，发送 /rewards 查看目录。",
		"redeem.cancelled":    "好的，没有兑换。%s 仍在目录中。",
		"redeem.confirm":      "确定用 %[2]s 兑换%[1]s吗？你目前可用 %[3]s。\n回复 /redeem %[4]s confirm，或点击按钮。",
		"redeem.short":        "%s 需要 %s，你还差 %s。继续 /checkin 赚积分吧！",
		"redeem.out_of_stock": "抱歉，%s 已经兑完了。",
		"redeem.inactive":     "抱歉，%s 目前不可兑换。",
		"redeem.limit":        "%s 每人限兑 %d 次，你已达到上限。",
		"redeem.stale":        "这个按钮已失效，请发送 /rewards 重新开始。",
		"redeem.ok":           "🎉 成功兑换%s！兑换码：%s。管理员会尽快联系你。余额：%s。",
		"redeem.already":      "你已经用这个按钮兑换过%s了，兑换码：%s。",
		"redemptions.header":  "📦 待发放的兑换（%d 个）：",
		"redemptions.line":    "%s — %s — %s — %s",
		"redemptions.empty":   "没有待发放的兑换。🎉",
		"redemption.unknown":  "找不到兑换码 %s。",
		"redemption.closed":   "兑换 %s 已经结束。",
		"fulfil.ok":           "兑换 %[1]s 已标记为发放，已通知该成员。",
		"fulfil.already":      "兑换 %[1]s 之前已经发放。",
		"cancel.ok":           "兑换 %[1]s 已取消，退回 %[2]s。",
		"cancel.already":      "兑换 %[1]s 之前已经取消。",
	},
}
