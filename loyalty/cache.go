package loyalty

import (
	"hash/maphash"
	"sync"
)

// accountCache keeps committed account records in memory so balance reads
// need no transaction. Each record carries the id of the transaction that
// wrote (or read) it, and an older record never replaces a newer one, so a
// slow reader cannot put back a balance a writer has since changed.
// It is safe for concurrent use.
type accountCache struct {
	seed   maphash.Seed
	shards [64]cacheShard
}

type cacheShard struct {
	mu sync.RWMutex
	m  map[AccountID]cachedAccount
}

type cachedAccount struct {
	acc  account
	txid int
}

func newAccountCache() *accountCache {
	c := &accountCache{seed: maphash.MakeSeed()}
	for i := range c.shards {
		c.shards[i].m = make(map[AccountID]cachedAccount)
	}
	return c
}

func (c *accountCache) shard(a AccountID) *cacheShard {
	return &c.shards[maphash.String(c.seed, string(a))%uint64(len(c.shards))]
}

func (c *accountCache) get(a AccountID) (account, bool) {
	sh := c.shard(a)
	sh.mu.RLock()
	v, ok := sh.m[a]
	sh.mu.RUnlock()
	return v.acc, ok
}

// put records acc as account a's state as of transaction txid, unless the
// cache already holds a state at least as new.
func (c *accountCache) put(a AccountID, acc account, txid int) {
	sh := c.shard(a)
	sh.mu.Lock()
	if old, ok := sh.m[a]; !ok || old.txid < txid {
		sh.m[a] = cachedAccount{acc: acc, txid: txid}
	}
	sh.mu.Unlock()
}

// publish copies the accounts a committed write transaction changed.
func (c *accountCache) publish(s *store) {
	for _, a := range s.flushed {
		c.put(a, s.accts[a], s.txid)
	}
}
