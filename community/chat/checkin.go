package chat

import (
	"context"

	"github.com/loyalbot/loyalbot/bots"
)

// Checkin is /checkin.
type Checkin struct{ *base }

// Register adds the commands to r.
func (c *Checkin) Register(r *bots.Router) {
	checkinMessages.addTo(r)
	r.Handle(bots.Command{Name: "checkin", Aliases: []string{"签到"}, Help: "cmd.checkin", Role: bots.RoleMember, Handler: bots.HandlerFunc(c.checkin)})
}

// checkin pays the daily check-in once per community day, keeps the
// streak, and pays the streak bonus every StreakDays days in a row.
func (c *Checkin) checkin(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	res, err := c.community.Checkin(ctx, ev.Member, ev.Name)
	if err != nil {
		return nil, err
	}
	if res.Already {
		now := c.now().In(c.loc)
		return bots.Say(ev, "checkin.already", duration(ev, res.Next.Sub(now)), res.Next.Format("15:04 MST")), nil
	}
	text := ev.T("checkin.ok", pts(ev, res.Earned), res.Streak)
	if c.cfg.CheckinPoints <= 0 {
		text = ev.T("checkin.ok_unpaid", res.Streak)
	}
	if res.Bonus > 0 {
		text += "\n" + ev.TN("checkin.streak_bonus", int64(res.Streak), res.Streak, pts(ev, res.Bonus))
	} else if left := c.cfg.StreakDays - res.Streak%c.cfg.StreakDays; c.cfg.StreakBonus > 0 {
		text += "\n" + ev.TN("checkin.streak_next", int64(left), left, pts(ev, c.cfg.StreakBonus))
	}
	if res.Referral { // a referral qualifies with the newcomer's first check-in
		text += "\n" + ev.T("ref.qualified", pts(ev, c.ugc.Config().RefereeReward))
	}
	text += "\n" + ev.T("points.balance", pts(ev, res.Balance))
	return append([]bots.Reply{{Text: text}}, c.tierReplies(ev, res.TierChange)...), nil
}

// checkinMessages are the messages checkin.go renders.
var checkinMessages = messages{
	bots.English: {
		"checkin.ok":                 "✅ Checked in! +%s. Check-in streak: %d.",
		"checkin.ok_unpaid":          "✅ Checked in! Check-in streak: %d.",
		"checkin.streak_bonus#one":   "🔥 %d day in a row! Streak bonus: +%s.",
		"checkin.streak_bonus#other": "🔥 %d days in a row! Streak bonus: +%s.",
		"checkin.streak_next#one":    "%d more day in a row for a streak bonus of %s.",
		"checkin.streak_next#other":  "%d more days in a row for a streak bonus of %s.",
		"checkin.already":            "You've already checked in today. The next check-in opens in %s (at %s).",
		"duration.hm":                "%dh %dm",
		"duration.m":                 "%dm",
		"tier.up":                    "🎉 You reached the %s tier! %s",
	},
	bots.Chinese: {
		"checkin.ok":                 "✅ 签到成功！+%s，已连续签到 %d 天。",
		"checkin.ok_unpaid":          "✅ 签到成功！已连续签到 %d 天。",
		"checkin.streak_bonus#other": "🔥 连续签到 %d 天！额外奖励 +%s。",
		"checkin.streak_next#other":  "再连续签到 %d 天可获得 %s连签奖励。",
		"checkin.already":            "你今天已经签到过了。下次签到将在 %s后开放（%s）。",
		"duration.hm":                "%d 小时 %d 分钟",
		"duration.m":                 "%d 分钟",
		"tier.up":                    "🎉 恭喜升级到%s！%s",
	},
}
