package chat

import (
	"slices"
	"strings"
	"time"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/loyalty"
	"github.com/loyalbot/loyalbot/ugc"
)

func date(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(loc).Format(time.DateOnly)
}

func isQuestion(text string) bool {
	text = strings.TrimSpace(text)
	return strings.HasSuffix(text, "?") || strings.HasSuffix(text, "？")
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func memberIDs(subs []ugc.Submission) []uint64 {
	ids := make([]uint64, len(subs))
	for i, s := range subs {
		ids[i] = s.Member
	}
	return ids
}

// points formats a point amount with thousands separators: 12,345.
func points(n int64) string { return bots.Thousands(n) }

// historyPage is how many entries /history shows a page.
const historyPage = 10

// pts renders a point amount in the event's language: "1 point", "12,345 points", "10 积分".
func pts(ev *bots.Event, n int64) string { return ev.TN("n.points", n, points(n)) }

// duration renders a wait such as "5h 12m".
func duration(ev *bots.Event, d time.Duration) string {
	d = d.Round(time.Minute)
	h, m := int(d.Hours()), int(d.Minutes())%60
	if h == 0 {
		return ev.T("duration.m", m)
	}
	return ev.T("duration.hm", h, m)
}

func tierName(ev *bots.Event, t loyalty.Tier) string {
	if ev.Locale == bots.Chinese && t.NameZH != "" {
		return t.NameZH
	}
	return t.Name
}

func rewardName(ev *bots.Event, r loyalty.Reward) string {
	if ev.Locale == bots.Chinese && r.NameZH != "" {
		return r.NameZH
	}
	return r.Name
}
