package chat

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/loyalty"
)

// Leaderboard is /leaderboard: top members by points earned, or ambassadors.
type Leaderboard struct{ *base }

// Register adds the commands to r.
func (c *Leaderboard) Register(r *bots.Router) {
	leaderboardMessages.addTo(r)
	periods := []string{"week", "month", "all"}
	if c.ugc != nil {
		periods = append(periods, "ambassadors")
	}
	r.Handle(bots.Command{Name: "leaderboard", Aliases: []string{"top"}, Help: "cmd.leaderboard", Role: bots.RoleMember, Args: []bots.Arg{{Name: "period", Choices: periods, Optional: true}}, Handler: bots.HandlerFunc(c.leaderboard)})
}

// leaderboard shows the top members by points earned this week, this
// month or all time.
func (c *Leaderboard) leaderboard(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	period := ev.Arg("period")
	if period == "" {
		period = "week"
	}
	if period == "ambassadors" {
		return c.ambassadorBoard(ctx, ev)
	}
	top, err := c.community.TopEarners(ctx, loyalty.Period(period))
	if err != nil {
		return nil, fmt.Errorf("leaderboard: %w", err)
	}
	if len(top) == 0 {
		return bots.Say(ev, "leaderboard.empty", ev.T("period."+period)), nil
	}
	lines := []string{ev.T("leaderboard.header", ev.T("period."+period))}
	medals := []string{"🥇", "🥈", "🥉"}
	for i, s := range top {
		rank := fmt.Sprintf("%d.", i+1)
		if i < len(medals) {
			rank = medals[i]
		}
		lines = append(lines, ev.T("leaderboard.line", rank, s.Name, pts(ev, s.Earned)))
	}
	return []bots.Reply{{Text: strings.Join(lines, "\n"), Card: true}}, nil
}

// ambassadorBoard ranks ambassadors by points earned from content and referrals in 30 days.
func (c *Leaderboard) ambassadorBoard(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	rows, err := c.community.Ambassadors(ctx, c.now().AddDate(0, 0, -30))
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return bots.Say(ev, "ambassadors.empty"), nil
	}
	lines := []string{ev.T("leaderboard.header", ev.T("period.ambassadors"))}
	for i, r := range rows {
		lines = append(lines, ev.T("leaderboard.line", strconv.Itoa(i+1)+".", r.Name+" ("+r.Level.Name+")", pts(ev, r.Activity.Points)))
	}
	return []bots.Reply{{Text: strings.Join(lines, "\n"), Card: true}}, nil
}

// leaderboardMessages are the messages leaderboard.go renders.
var leaderboardMessages = messages{
	bots.English: {
		"period.week":        "this week",
		"period.month":       "this month",
		"period.all":         "all time",
		"leaderboard.header": "🏆 Top members, %s:",
		"leaderboard.line":   "%s %s — %s",
		"leaderboard.empty":  "No points earned %s yet. Be the first: /checkin",
		"period.ambassadors": "ambassadors, last 30 days",
	},
	bots.Chinese: {
		"period.week":        "本周",
		"period.month":       "本月",
		"period.all":         "总榜",
		"leaderboard.header": "🏆 积分排行榜（%s）：",
		"leaderboard.line":   "%s %s — %s",
		"leaderboard.empty":  "%s还没有人获得积分，快来当第一名：/checkin",
		"period.ambassadors": "品牌大使，近 30 天",
	},
}
