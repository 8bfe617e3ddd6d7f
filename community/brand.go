package community

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/loyalbot/loyalbot/bots"
)

// BrandChat is a chat, or a server of chats (a Discord guild), that belongs
// to the community: platform administrators are managers only there.
type BrandChat struct {
	Platform string    `json:"platform"`
	ID       string    `json:"id"` // Telegram chat id, Discord guild id
	AddedBy  uint64    `json:"added_by,omitempty"`
	Added    time.Time `json:"added,omitzero"`
	Config   bool      `json:"-"` // from the config file: /setup off cannot remove it
}

// brandChats is the set of brand chats: the configured ones and those
// added with /setup. It is safe for concurrent use.
type brandChats struct {
	mu  sync.RWMutex
	set map[string]BrandChat
}

func brandKey(platform, id string) string { return platform + "\x00" + id }

func (b *brandChats) has(key string) bool {
	if key == "" {
		return false
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	_, ok := b.set[key]
	return ok
}

// WithBrandChats declares chats of platform (Telegram chat ids, Discord
// guild ids) that belong to the community, from the config.
func WithBrandChats(platform string, ids ...string) MembersOption {
	return func(m *Members) {
		for _, id := range ids {
			if id = strings.TrimSpace(id); id != "" {
				m.brand.set[brandKey(platform, id)] = BrandChat{Platform: platform, ID: id, Config: true}
			}
		}
	}
}

// loadBrandChats adds the brand chats stored with /setup to the set; a
// configured one stays as configured.
func (m *Members) loadBrandChats(tx ReadTx) error {
	return tx.BrandChats(func(bc BrandChat) error {
		if k := brandKey(bc.Platform, bc.ID); !m.brand.set[k].Config {
			m.brand.set[k] = bc
		}
		return nil
	})
}

// BrandChats returns the brand chats, configured ones first.
func (m *Members) BrandChats() []BrandChat {
	m.brand.mu.RLock()
	defer m.brand.mu.RUnlock()
	out := make([]BrandChat, 0, len(m.brand.set))
	for _, bc := range m.brand.set {
		out = append(out, bc)
	}
	slices.SortFunc(out, func(a, b BrandChat) int {
		if a.Config != b.Config {
			if a.Config {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Platform+a.ID, b.Platform+b.ID)
	})
	return out
}

// HasBrandChats reports whether any brand chat is set.
func (m *Members) HasBrandChats() bool {
	m.brand.mu.RLock()
	defer m.brand.mu.RUnlock()
	return len(m.brand.set) > 0
}

// IsBrandChat reports whether the chat id (or server id) of platform belongs to the community.
func (m *Members) IsBrandChat(platform, id string) bool { return m.brand.has(brandKey(platform, id)) }

// setBrandChat adds (on) or removes a brand chat. It reports whether
// anything changed; a configured chat cannot be removed.
func (m *Members) setBrandChat(ctx context.Context, bc BrandChat, on bool) (changed bool, err error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	key := brandKey(bc.Platform, bc.ID)
	m.brand.mu.Lock()
	defer m.brand.mu.Unlock()
	old, had := m.brand.set[key]
	switch {
	case on == had, !on && old.Config:
		return false, nil
	}
	err = m.store.Update(ctx, func(tx Tx) error {
		if !on {
			return tx.DeleteBrandChat(bc.Platform, bc.ID)
		}
		return tx.PutBrandChat(bc)
	})
	if err != nil {
		return false, fmt.Errorf("brand chat %s %s: %w", bc.Platform, bc.ID, err)
	}
	if on {
		m.brand.set[key] = bc
	} else {
		delete(m.brand.set, key)
	}
	return true, nil
}

// brandKeyOf is the brand chat an event's chat belongs to: its server when
// the platform has servers, else the chat.
func brandKeyOf(ev *bots.Event) string {
	if ev.Chat == bots.ChatPrivate {
		return ""
	}
	if ev.Server != "" {
		return brandKey(ev.Platform, ev.Server)
	}
	return brandKey(ev.Platform, ev.ChatID)
}
