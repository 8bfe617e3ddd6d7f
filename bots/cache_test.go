package bots_test

import (
	"context"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/bots"
)

func TestCache_Bounds(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := bots.NewCache[int, string](3, time.Minute, func() time.Time { return now })
	for i := range 5 {
		c.Put(i, "v")
	}
	if c.Len() != 3 {
		t.Errorf("len %d, want the bound 3", c.Len())
	}
	if _, ok := c.Get(0); ok {
		t.Error("the least recently used entry survived past the bound")
	}
	c.Get(2) // 2 is now the most recently used: 3 goes first
	c.Put(9, "v")
	if _, ok := c.Get(3); ok {
		t.Error("3 should have been evicted before 2")
	}
	if _, ok := c.Get(2); !ok {
		t.Error("2 was evicted although used recently")
	}
	now = now.Add(time.Minute)
	if _, ok := c.Get(2); ok {
		t.Error("an entry outlived its TTL")
	}
	got := c.Update(7, func(old string, found bool) string {
		if found {
			t.Error("Update found a missing key")
		}
		return "new"
	})
	if v, _ := c.Get(7); got != "new" || v != "new" {
		t.Errorf("Update stored %q, Get %q", got, v)
	}
}

// TestRateLimit_ForgetsIdleSenders is the regression test for the rate
// limiter's map growing (and sweeping in O(n)) past 100k senders.
func TestRateLimit_ForgetsIdleSenders(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	calls := 0
	h := bots.RateLimit(1, time.Second, func() time.Time { return now })(bots.HandlerFunc(func(context.Context, *bots.Event) ([]bots.Reply, error) {
		calls++
		return nil, nil
	}))
	ev := &bots.Event{Platform: "x", UserID: "a", Command: "points"}
	h.Handle(context.Background(), ev)
	h.Handle(context.Background(), ev) // over the limit: warned
	if calls != 1 {
		t.Fatalf("%d calls, want 1", calls)
	}
	now = now.Add(2 * time.Second) // idle long enough to be full again
	h.Handle(context.Background(), ev)
	if calls != 2 {
		t.Errorf("after refilling: %d calls, want 2", calls)
	}
}
