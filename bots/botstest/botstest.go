// Package botstest helps test chat adapters.
package botstest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

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

// Run runs adapter a with dispatcher d until the test ends, or until the
// returned stop is called, and fails the test if Run returns an error.
func Run(tb testing.TB, a bots.Adapter, d bots.Dispatcher) (stop func()) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, d) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				tb.Errorf("%s adapter: Run: %v", a.Platform(), err)
			}
		})
	}
	tb.Cleanup(stop)
	return stop
}
