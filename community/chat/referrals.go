package chat

import (
	"context"
	"strings"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/ugc"
)

// Referrals is /ref and /referrals.
type Referrals struct{ *base }

// Register adds the commands to r.
func (c *Referrals) Register(r *bots.Router) {
	referralsMessages.addTo(r)
	r.Handle(bots.Command{Name: "ref", Help: "cmd.ref", Role: bots.RoleMember, Handler: bots.HandlerFunc(c.ref)})
	r.Handle(bots.Command{
		Name: "referrals", Help: "cmd.referrals", Role: bots.RoleMember, Args: []bots.Arg{{Name: "which", Choices: []string{"rejected"}, Optional: true}},
		Variants: []bots.Variant{{Args: []bots.Arg{bots.Literal("rejected")}, Help: "cmd.referrals_rejected", Role: bots.RoleManager}},
		Handler:  bots.HandlerFunc(c.referrals),
	})
}

// ref shows the member's referral code and how friends use it.
func (c *Referrals) ref(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	code, err := c.ugc.Referrals().Code(ctx, ev.Member)
	if err != nil {
		return nil, err
	}
	cfg := c.ugc.Config()
	text := ev.T("ref.code", "ref_"+code, pts(ev, cfg.ReferrerReward), pts(ev, cfg.RefereeReward))
	if c.notify != nil {
		if link := c.notify.DeepLinks("ref_" + code)[bots.Telegram]; link != "" {
			text += "\n" + ev.T("ref.telegram", link)
		}
	}
	return []bots.Reply{{Text: text}}, nil
}

func (c *Referrals) referrals(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	if ev.Arg("which") == "rejected" {
		if ev.Role < bots.RoleManager {
			return nil, bots.Errorf("error.forbidden", "referrals rejected", ev.T("role.manager"))
		}
		refs, err := c.ugc.Referrals().Rejected(ctx, 20)
		if err != nil {
			return nil, err
		}
		return c.listReferrals(ctx, ev, refs, "referrals.rejected_header")
	}
	refs, err := c.ugc.Referrals().By(ctx, ev.Member)
	if err != nil {
		return nil, err
	}
	return c.listReferrals(ctx, ev, refs, "referrals.header")
}

func (c *Referrals) listReferrals(ctx context.Context, ev *bots.Event, refs []ugc.Referral, header string) ([]bots.Reply, error) {
	if len(refs) == 0 {
		return bots.Say(ev, "referrals.empty"), nil
	}
	var ids []uint64
	for _, r := range refs {
		ids = append(ids, r.Referrer, r.Referee)
	}
	names, err := c.members.Names(ctx, ids)
	if err != nil {
		return nil, err
	}
	lines := []string{ev.T(header)}
	for _, r := range refs {
		line := ev.T("referrals.line", names[r.Referrer], names[r.Referee], ev.T("refstatus."+string(r.Status)), date(r.Created, c.loc))
		if r.Reason != "" {
			line += " — " + r.Reason
		}
		lines = append(lines, line)
	}
	return []bots.Reply{{Text: strings.Join(lines, "\n")}}, nil
}

// referralsMessages are the messages referrals.go renders.
var referralsMessages = messages{
	bots.English: {
		"cmd.referrals_rejected":    "referrals rejected across the community, and why",
		"ref.code":                  "Your referral code: %s\nFriends who join with it and check in earn you %s, and they get %s.",
		"ref.telegram":              "Share this link: %s",
		"ref.unknown":               "That referral code doesn't exist; welcome anyway!",
		"ref.self":                  "That's your own referral code — share it with friends instead!",
		"ref.welcome":               "You were invited by %s. Check in with /checkin to get your welcome bonus of %s!",
		"ref.qualified":             "🎁 Referral bonus: +%s. Welcome aboard!",
		"referrals.header":          "Your referrals:",
		"referrals.rejected_header": "Rejected referrals:",
		"referrals.empty":           "No referrals yet. Share your code: /ref",
		"referrals.line":            "%s → %s: %s (%s)",
		"refstatus.pending":         "waiting for their first check-in",
		"refstatus.qualified":       "paid",
		"refstatus.rejected":        "rejected",
	},
	bots.Chinese: {
		"cmd.referrals_rejected":    "全社区被拒绝的邀请及原因",
		"ref.code":                  "你的邀请码：%s\n朋友用它加入并签到后，你获得 %s，朋友获得 %s。",
		"ref.telegram":              "分享这个链接：%s",
		"ref.unknown":               "这个邀请码不存在，不过依然欢迎你！",
		"ref.self":                  "这是你自己的邀请码，分享给朋友吧！",
		"ref.welcome":               "你是由 %s 邀请的。发送 /checkin 签到即可领取 %s 欢迎奖励！",
		"ref.qualified":             "🎁 邀请奖励：+%s。欢迎加入！",
		"referrals.header":          "你的邀请：",
		"referrals.rejected_header": "被拒绝的邀请：",
		"referrals.empty":           "还没有邀请记录。分享你的邀请码：/ref",
		"referrals.line":            "%s → %s：%s（%s）",
		"refstatus.pending":         "等待首次签到",
		"refstatus.qualified":       "已发放",
		"refstatus.rejected":        "已拒绝",
	},
}
