package loyalty

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"
)

// accountCache keeps the balances of recently read or written accounts in
// memory, so balance reads need no transaction. It holds at most its size:
// when a shard is full, an account not read since the clock hand last
// passed it makes room (CLOCK, an approximation of least recently used that
// lets reads mark an entry under a read lock).
//
// Every balance carries the number of commits published when it was read
// or written, and an older balance never replaces a newer one, so a slow
// reader cannot put back a balance a writer has since changed (nor, once
// that account was evicted, bring it back: see cacheShard.floor). That
// ordering relies on the ledger's writer being the store's only writer.
// It is safe for concurrent use.
type accountCache struct {
	now    func() time.Time // the ledger's clock: which month windows are for
	seed   maphash.Seed
	ver    atomic.Uint64 // commits published
	shards [cacheShards]cacheShard
}

const cacheShards = 64

type cacheShard struct {
	mu    sync.RWMutex
	max   int
	index map[AccountID]int32 // account → slot
	slots []cacheSlot
	hand  int // the next slot the clock looks at
	// floor is the newest version evicted. A state older than it may have
	// been overtaken by a write to an account no longer cached, so it is
	// not let in.
	floor uint64
}

type cacheSlot struct {
	key  AccountID
	val  cachedBalance
	ver  uint64
	used atomic.Bool // read since the hand last passed
}

// cachedBalance is what Balance and TierOf need of an Account: the tier
// window's points as of month (a month index), so a tier read in the same
// month needs no transaction either.
type cachedBalance struct {
	balance, held, earned, window int64
	month                         uint32
}

// newAccountCache returns a cache of about size accounts (at least one
// per shard).
func newAccountCache(size int, now func() time.Time) *accountCache {
	c := &accountCache{now: now, seed: maphash.MakeSeed()}
	per := max(size/cacheShards, 1)
	for i := range c.shards {
		c.shards[i].max = per
		c.shards[i].index = make(map[AccountID]int32)
	}
	return c
}

func (c *accountCache) shard(a AccountID) *cacheShard {
	return &c.shards[maphash.String(c.seed, string(a))%cacheShards]
}

// version returns the number of commits published so far. A reader takes
// it before its transaction begins and puts what it read under it.
func (c *accountCache) version() uint64 { return c.ver.Load() }

func (c *accountCache) get(a AccountID) (cachedBalance, bool) {
	sh := c.shard(a)
	sh.mu.RLock()
	i, ok := sh.index[a]
	var v cachedBalance
	if ok {
		sl := &sh.slots[i]
		v = sl.val
		if !sl.used.Load() { // a store only when it changes: readers share the line
			sl.used.Store(true)
		}
	}
	sh.mu.RUnlock()
	return v, ok
}

// put records acc as account a's state as of version ver, unless the
// cache already holds a state at least as new (the same state with its
// tier window for a later month replaces it).
func (c *accountCache) put(a AccountID, acc Account, ver uint64) {
	c.putAt(a, acc, ver, monthIndex(c.now()))
}

// putAt is put with the tier window for month.
func (c *accountCache) putAt(a AccountID, acc Account, ver uint64, month uint32) {
	v := cachedBalance{balance: acc.Balance, held: acc.Held, earned: acc.Earned, window: acc.windowAt(month), month: month}
	sh := c.shard(a)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if i, ok := sh.index[a]; ok {
		if sl := &sh.slots[i]; sl.ver < ver || sl.ver == ver && sl.val.month < month {
			sl.val, sl.ver = v, ver
		}
		return
	}
	if ver < sh.floor {
		return
	}
	if len(sh.slots) < sh.max {
		sh.index[a] = int32(len(sh.slots))
		sh.slots = append(sh.slots, cacheSlot{key: a, val: v, ver: ver})
		return
	}
	for {
		i := sh.hand
		sh.hand = (sh.hand + 1) % len(sh.slots)
		sl := &sh.slots[i]
		if sl.used.Load() {
			sl.used.Store(false) // a second chance
			continue
		}
		delete(sh.index, sl.key)
		sh.floor = max(sh.floor, sl.ver)
		sl.key, sl.val, sl.ver = a, v, ver
		sh.index[a] = int32(i)
		return
	}
}

// publish copies the account records a committed write transaction
// changed, as the next version.
func (c *accountCache) publish(changed map[AccountID]Account) {
	ver := c.ver.Add(1)
	month := monthIndex(c.now())
	for a, acc := range changed {
		c.putAt(a, acc, ver, month)
	}
}

// len returns the number of accounts cached.
func (c *accountCache) len() int {
	n := 0
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.RLock()
		n += len(sh.index)
		sh.mu.RUnlock()
	}
	return n
}
