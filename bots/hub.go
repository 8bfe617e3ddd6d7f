package bots

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// ErrNoAdapter is returned by Hub.Send for a platform with no adapter running.
var ErrNoAdapter = errors.New("bots: no adapter for platform")

// Hub sends messages outside a conversation (notifications, broadcasts)
// through the adapter of their platform. It is safe for concurrent use.
type Hub struct {
	mu       sync.RWMutex
	adapters map[string]Adapter
}

// NewHub returns an empty hub.
func NewHub() *Hub { return &Hub{adapters: map[string]Adapter{}} }

// Add registers an adapter for its platform, replacing any earlier one.
func (h *Hub) Add(a Adapter) {
	h.mu.Lock()
	h.adapters[a.Platform()] = a
	h.mu.Unlock()
}

// Send delivers replies to an address on platform. It returns an error
// wrapping ErrNoAdapter when no adapter serves the platform.
func (h *Hub) Send(ctx context.Context, platform string, to Address, replies ...Reply) error {
	h.mu.RLock()
	a := h.adapters[platform]
	h.mu.RUnlock()
	if a == nil {
		return fmt.Errorf("send to %s: %w", platform, ErrNoAdapter)
	}
	return a.Send(ctx, to, replies...)
}

// TierSyncer is an adapter that shows tiers as chat roles; the Discord adapter is one.
type TierSyncer interface {
	SyncTier(ctx context.Context, userID, from, to string) error
}

// SyncTier moves a platform user from the role of tier from to that of
// tier to, when the platform's adapter shows tiers as roles. It is a
// no-op for platforms without tier roles.
func (h *Hub) SyncTier(ctx context.Context, platform, userID, from, to string) error {
	h.mu.RLock()
	a := h.adapters[platform]
	h.mu.RUnlock()
	if ts, ok := a.(TierSyncer); ok {
		return ts.SyncTier(ctx, userID, from, to)
	}
	return nil
}

// DeepLinker is an adapter that can link straight into a conversation with
// the bot carrying a payload; the Telegram adapter is one (t.me/<bot>?start=…).
type DeepLinker interface {
	DeepLink(payload string) string
}

// DeepLinks returns, by platform, the deep links for payload of every
// adapter that makes them.
func (h *Hub) DeepLinks(payload string) map[string]string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := map[string]string{}
	for p, a := range h.adapters {
		if dl, ok := a.(DeepLinker); ok {
			if link := dl.DeepLink(payload); link != "" {
				out[p] = link
			}
		}
	}
	return out
}
