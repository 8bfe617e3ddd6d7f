package loyalty

import (
	"runtime"
	"strconv"
	"testing"
	"time"
)

func TestAccountCache_Bound(t *testing.T) {
	const size = 1024
	c := newAccountCache(size, time.Now)
	for i := range 10 * size {
		c.publish(map[AccountID]Account{Member(uint64(i + 1)): {Balance: int64(i)}})
	}
	if n := c.len(); n > size {
		t.Errorf("cache holds %d accounts, bound %d", n, size)
	}
	// What it holds is right.
	for i := range 10 * size {
		if got, ok := c.get(Member(uint64(i + 1))); ok && got.balance != int64(i) {
			t.Fatalf("member %d cached with %d, want %d", i+1, got.balance, i)
		}
	}
}

// An account read again and again survives a stream of accounts read once.
func TestAccountCache_KeepsWhatIsRead(t *testing.T) {
	c := newAccountCache(cacheShards*4, time.Now) // 4 slots a shard
	hot := Member(1)
	c.put(hot, Account{Balance: 7}, c.version())
	for i := range 10_000 {
		if _, ok := c.get(hot); !ok {
			t.Fatalf("hot account evicted after %d others", i)
		}
		c.put(Member(uint64(i+2)), Account{}, c.version())
	}
}

func TestAccountCache_Versions(t *testing.T) {
	c := newAccountCache(cacheShards, time.Now) // one slot a shard
	a := Member(1)
	old := c.version()
	c.publish(map[AccountID]Account{a: {Balance: 50}})
	c.put(a, Account{Balance: 100}, old) // a slow reader of the state before
	if got, _ := c.get(a); got.balance != 50 {
		t.Fatalf("a read older than the last write replaced it: %d", got.balance)
	}
	// Evict a by filling its shard; the slow reader must not bring back
	// its old balance.
	for i := 2; ; i++ {
		b := Member(uint64(i))
		if c.shard(b) != c.shard(a) {
			continue
		}
		c.publish(map[AccountID]Account{b: {}})
		if _, ok := c.get(a); !ok {
			break
		}
	}
	c.put(a, Account{Balance: 100}, old)
	if got, ok := c.get(a); ok {
		t.Errorf("an evicted account came back with a stale balance %d", got.balance)
	}
	c.put(a, Account{Balance: 50}, c.version()) // a fresh read is welcome
	if got, ok := c.get(a); !ok || got.balance != 50 {
		t.Errorf("fresh read not cached: %+v %v", got, ok)
	}
}

// TestAccountCache_Memory reports what a full cache of the default size
// costs (Config.CacheSize's doc says about 7 MB).
func TestAccountCache_Memory(t *testing.T) {
	size := DefaultConfig().CacheSize
	keys := make([]AccountID, size)
	for i := range keys {
		keys[i] = AccountID("member:" + strconv.Itoa(1_000_000+i))
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	c := newAccountCache(size, time.Now)
	for _, k := range keys {
		c.put(k, Account{Balance: 1}, 0)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(c)
	n := c.len()
	bytes := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("%d accounts cached in %.1f MB (%d bytes each; keys not counted)", n, float64(bytes)/1e6, bytes/int64(max(n, 1)))
	if n < size*9/10 || bytes > 12<<20 {
		t.Errorf("%d accounts in %d bytes", n, bytes)
	}
}
