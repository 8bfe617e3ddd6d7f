package chat

import (
	"context"

	"github.com/loyalbot/loyalbot/bots"
)

// Checkin is /checkin.
type Checkin struct{ *base }

// Register adds the commands to r.
func (c *Checkin) Register(r *bots.Router) {
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
