package bots

import (
	"container/list"
	"sync"
	"time"
)

// Cache is a map bounded in size and in age, for per-user and per-chat state
// that must not grow without limit (rate-limit buckets, cached platform
// roles). An entry lives ttl after it was last written; past size entries,
// the least recently used one is dropped. Every operation is O(1). It is
// safe for concurrent use.
type Cache[K comparable, V any] struct {
	mu   sync.Mutex
	size int
	ttl  time.Duration
	now  func() time.Time
	ll   *list.List // front: most recently used
	m    map[K]*list.Element
}

type cacheEntry[K comparable, V any] struct {
	key K
	val V
	at  time.Time // last written
}

// NewCache returns a cache of at most size entries that each live ttl after
// their last write, on the clock now (time.Now when nil).
func NewCache[K comparable, V any](size int, ttl time.Duration, now func() time.Time) *Cache[K, V] {
	if now == nil {
		now = time.Now
	}
	return &Cache[K, V]{size: max(size, 1), ttl: ttl, now: now, ll: list.New(), m: map[K]*list.Element{}}
}

// Get returns the value under k, and false when there is none or it expired.
func (c *Cache[K, V]) Get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.live(k, c.now())
	if !ok {
		var zero V
		return zero, false
	}
	return e.val, true
}

// Put stores v under k.
func (c *Cache[K, V]) Put(k K, v V) {
	c.Update(k, func(V, bool) V { return v })
}

// Update replaces the value under k with fn(old, found) in one step, so
// concurrent updates of one key never lose each other's changes, and
// returns the new value.
func (c *Cache[K, V]) Update(k K, fn func(old V, found bool) V) V {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	e, ok := c.live(k, now)
	var old V
	if ok {
		old = e.val
	}
	v := fn(old, ok)
	if ok {
		e.val, e.at = v, now
		return v
	}
	c.m[k] = c.ll.PushFront(&cacheEntry[K, V]{key: k, val: v, at: now})
	for c.ll.Len() > c.size {
		oldest := c.ll.Back()
		c.ll.Remove(oldest)
		delete(c.m, oldest.Value.(*cacheEntry[K, V]).key)
	}
	return v
}

// Len returns the number of entries, expired ones not yet dropped included.
func (c *Cache[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}

// live returns k's entry, marked most recently used, unless it expired
// (then it is dropped). The caller holds c.mu.
func (c *Cache[K, V]) live(k K, now time.Time) (*cacheEntry[K, V], bool) {
	el, ok := c.m[k]
	if !ok {
		return nil, false
	}
	e := el.Value.(*cacheEntry[K, V])
	if c.ttl > 0 && now.Sub(e.at) >= c.ttl {
		c.ll.Remove(el)
		delete(c.m, k)
		return nil, false
	}
	c.ll.MoveToFront(el)
	return e, true
}
