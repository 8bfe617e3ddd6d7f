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
	rc, err := c.ledger.Post(ctx, loyalty.Posting{Key: ev.MemberKey("checkin", today), From: loyalty.Issuance("checkin"),
		To: acct(ev), Amount: c.cfg.CheckinPoints, Reason: "daily check-in", Multiply: true})
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
	text := ev.T("checkin.ok", points(earned), m.Streak)
	if m.Streak%c.cfg.StreakDays == 0 {
		bonus, err := c.ledger.Post(ctx, loyalty.Posting{Key: ev.MemberKey("streak", today), From: loyalty.Issuance("checkin"),
			To: acct(ev), Amount: c.cfg.StreakBonus, Reason: "check-in streak bonus", Multiply: true})
		if err != nil {
			return nil, fmt.Errorf("streak bonus: %w", err)
		}
		text += "\n" + ev.T("checkin.streak_bonus", m.Streak, points(bonus.Entry.Amount))
		if bonus.TierChange != nil {
			rc.TierChange = bonus.TierChange
		}
	} else {
		text += "\n" + ev.T("checkin.streak_next", c.cfg.StreakDays-m.Streak%c.cfg.StreakDays, points(c.cfg.StreakBonus))
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
	text += "\n" + ev.T("points.balance", points(b.Balance))
	return append([]bots.Reply{{Text: text}}, c.tierReplies(ev, rc.TierChange)...), nil
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
