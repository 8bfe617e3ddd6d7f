package chat

import (
	"context"
	"time"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/loyalty"
)

// checkin pays the daily check-in once per community day, keeps the
// streak, and pays the streak bonus every StreakDays days in a row.
func (c *handlers) checkin(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
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

// tierReplies congratulates a member who moved up a tier.
func (c *handlers) tierReplies(ev *bots.Event, tc *loyalty.TierChange) []bots.Reply {
	if tc == nil || !tc.Up() {
		return nil
	}
	benefits := tc.To.Benefits
	if ev.Locale == bots.Chinese && tc.To.BenefitsZH != "" {
		benefits = tc.To.BenefitsZH
	}
	return []bots.Reply{{Text: ev.T("tier.up", tierName(ev, tc.To), benefits)}}
}

// duration renders a wait such as "5h 12m".
func duration(ev *bots.Event, d time.Duration) string {
	d = d.Round(time.Minute)
	h, m := int(d.Hours()), int(d.Minutes())%60
	if h == 0 {
		return ev.T("duration.m", m)
	}
	return ev.T("duration.hm", h, m)
}
