// Package botstest helps test chat adapters.
package botstest

import (
	"context"
	"sync/atomic"

	"github.com/loyalbot/loyalbot/bots"
)

// Counting is a Dispatcher that counts the events it dispatched. It embeds
// the router, so an adapter still finds its command list.
type Counting struct {
	*bots.Router
	n atomic.Int64
}

// Dispatch dispatches through the router and counts the event.
func (c *Counting) Dispatch(ctx context.Context, ev *bots.Event) []bots.Reply {
	defer c.n.Add(1)
	return c.Router.Dispatch(ctx, ev)
}

// Count returns how many events were dispatched.
func (c *Counting) Count() int64 { return c.n.Load() }
