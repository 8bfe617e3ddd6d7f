package community

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/loyalbot/loyalbot/community/support"
)

// WithSupport enables customer service: answers to questions in private
// chats and mentions, and hand-off tickets.
func WithSupport(a *support.Assistant, t *support.Tickets) Option {
	return func(c *Community) { c.assistant, c.tickets = a, t }
}

// maxDigest bounds the open tickets a digest reads (oldest first).
const maxDigest = 10_000

// TicketDigest tells every manager privately, in their language, about
// the open tickets numbered after after and created after since (one
// message listing them, none when there are none), and returns the
// newest ticket number it saw, which the next digest starts after. The
// scheduler runs it every support.notify_every, so managers hear of new
// requests at most that often, and of each once.
func (c *Admin) TicketDigest(ctx context.Context, after uint64, since time.Time) (uint64, error) {
	if c.tickets == nil {
		return after, nil
	}
	open, err := c.tickets.List(ctx, true, maxDigest)
	if err != nil {
		return after, fmt.Errorf("ticket digest: %w", err)
	}
	newest := after
	var lines []string
	for _, tk := range open {
		if tk.ID <= after || !tk.Created.After(since) {
			continue
		}
		newest = max(newest, tk.ID)
		first := ""
		for _, turn := range tk.Turns {
			if turn.From == "member" {
				first = turn.Text
			}
		}
		if r := []rune(first); len(r) > 80 {
			first = string(r[:80]) + "…"
		}
		lines = append(lines, fmt.Sprintf("#%d %s: %s", tk.ID, tk.Name, first))
	}
	if len(lines) > 0 {
		c.tell.managers(ctx, false, nil, "notify.tickets", len(lines), strings.Join(lines, "\n"))
	}
	return newest, nil
}
