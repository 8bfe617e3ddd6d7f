package community

import (
	"context"
	"fmt"
	"time"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/loyalty"
)

// checkin pays the daily check-in once per community day, keeps the
// streak, and pays the streak bonus every StreakDays days in a row.
func (c *Community) checkin(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	today, now := c.today()
	rc, err := c.checkinPosting(ctx, ev, today)
	if err != nil {
		return nil, fmt.Errorf("check-in: %w", err)
	}
	if rc.Replay {
		next := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, c.loc)
		return bots.Say(ev, "checkin.already", duration(ev, next.Sub(now)), next.Format("15:04 MST")), nil
	}
	yesterday := now.AddDate(0, 0, -1).Format(time.DateOnly)
	m, err := c.members.Update(ctx, ev.Member, func(m *Member) error {
		switch m.LastCheck {
		case today: // a concurrent check-in already counted the day
		case yesterday:
			m.Streak++
		default:
			m.Streak = 1
		}
		m.LastCheck = today
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("check-in streak: %w", err)
	}
	earned := rc.Entry.Amount
	text := ev.T("checkin.ok", pts(ev, earned), m.Streak)
	if c.cfg.CheckinPoints <= 0 {
		text = ev.T("checkin.ok_unpaid", m.Streak)
	}
	if m.Streak%c.cfg.StreakDays == 0 && c.cfg.StreakBonus > 0 {
		bonus, err := c.ledger.Post(ctx, loyalty.Posting{Key: ev.MemberKey("streak", today), From: loyalty.Issuance("checkin"),
			To: acct(ev), Amount: c.cfg.StreakBonus, Reason: "check-in streak bonus", Multiply: true})
		if err != nil {
			return nil, fmt.Errorf("streak bonus: %w", err)
		}
		text += "\n" + ev.TN("checkin.streak_bonus", int64(m.Streak), m.Streak, pts(ev, bonus.Entry.Amount))
		if bonus.TierChange != nil {
			rc.TierChange = bonus.TierChange
		}
	} else if left := c.cfg.StreakDays - m.Streak%c.cfg.StreakDays; c.cfg.StreakBonus > 0 {
		text += "\n" + ev.TN("checkin.streak_next", int64(left), left, pts(ev, c.cfg.StreakBonus))
	}
	note, err := c.qualifyReferral(ctx, ev) // a referral qualifies with the newcomer's first check-in
	if err != nil {
		return nil, err
	}
	if note != "" {
		text += "\n" + note
	}
	b, err := c.ledger.Balance(ctx, acct(ev))
	if err != nil {
		return nil, err
	}
	text += "\n" + ev.T("points.balance", pts(ev, b.Balance))
	return append([]bots.Reply{{Text: text}}, c.tierReplies(ev, rc.TierChange)...), nil
}

// checkinPosting records today's check-in: points when the config pays
// them, else a zero-point marker that still counts the day once.
func (c *Community) checkinPosting(ctx context.Context, ev *bots.Event, today string) (loyalty.Receipt, error) {
	key := ev.MemberKey("checkin", today)
	if c.cfg.CheckinPoints > 0 {
		return c.ledger.Post(ctx, loyalty.Posting{Key: key, From: loyalty.Issuance("checkin"),
			To: acct(ev), Amount: c.cfg.CheckinPoints, Reason: "daily check-in", Multiply: true})
	}
	first, err := c.members.markDay(ctx, key)
	return loyalty.Receipt{Replay: !first}, err
}

// tierReplies congratulates a member who moved up a tier.
func (c *Community) tierReplies(ev *bots.Event, tc *loyalty.TierChange) []bots.Reply {
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
