package loyaltytest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/loyalty"
)

// StoreBenchmarks runs the ledger's benchmarks on durable stores that be
// opens (Backend.OpenDurable): CreditSerial, CreditConcurrent, BulkImport,
// Balance and BalanceMany. A Store implementation's benchmarks run it:
//
//	func BenchmarkLedger(b *testing.B) { loyaltytest.StoreBenchmarks(b, backend) }
func StoreBenchmarks(b *testing.B, be Backend) {
	if be.OpenDurable == nil {
		be.OpenDurable = be.Open
	}
	s := benches{suite{b: be}}
	b.Run("CreditSerial", s.benchCreditSerial)
	b.Run("CreditConcurrent", s.benchCreditConcurrent)
	b.Run("BulkImport", s.benchBulkImport)
	b.Run("Balance", s.benchBalance)
	b.Run("BalanceMany", s.benchBalanceMany)
}

// benches are the store benchmarks, on the suite's backend.
type benches struct{ suite }

func (s benches) benchLedger(b *testing.B, cfg loyalty.Config) *loyalty.Ledger {
	b.Helper()
	return OpenLedger(b, s.storeAt(b, b.TempDir(), s.b.OpenDurable), cfg)
}

func reportRate(b *testing.B, n int, start time.Time, unit string) {
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), unit)
}

// benchCreditSerial is the baseline: one writer, one durable transaction per credit.
func (s benches) benchCreditSerial(b *testing.B) {
	l := s.benchLedger(b, loyalty.Config{})
	b.ReportAllocs()
	start := time.Now()
	n := 0
	for b.Loop() {
		if _, err := l.Credit(ctx, loyalty.Member(uint64(n%1000+1)), "bench", 10, "serial:"+strconv.Itoa(n), ""); err != nil {
			b.Fatal(err)
		}
		n++
	}
	reportRate(b, n, start, "credits/s")
}

// benchCreditConcurrent runs 64 writers against a durable ledger; group
// commit lets one fsync serve many of them.
func (s benches) benchCreditConcurrent(b *testing.B) {
	l := s.benchLedger(b, loyalty.Config{})
	const writers = 64
	var next atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := make([]time.Duration, 0, b.N/writers+1)
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					break
				}
				t := time.Now()
				if _, err := l.Credit(ctx, loyalty.Member(uint64(w+1)), "bench", 10, "conc:"+strconv.FormatInt(i, 10), ""); err != nil {
					b.Error(err)
					return
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	b.StopTimer()
	reportRate(b, b.N, start, "credits/s")
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
}

// benchBulkImport credits 10,000 postings spread over 5,000 members per
// Import transaction: the chunk size a CSV import should use (see Import).
func (s benches) benchBulkImport(b *testing.B) {
	l := s.benchLedger(b, loyalty.Config{})
	const batch, members = 10000, 5000
	ps := make([]loyalty.Posting, batch)
	accounts := make([]loyalty.AccountID, members)
	for i := range accounts {
		accounts[i] = loyalty.Member(uint64(i + 1))
	}
	source := loyalty.Issuance("import")
	b.ReportAllocs()
	start := time.Now()
	n := 0
	for b.Loop() {
		for i := range ps {
			ps[i] = loyalty.Posting{Key: "import:" + strconv.Itoa(n), From: source, To: accounts[n%members], Amount: 7}
			n++
		}
		if _, errs, err := l.Import(ctx, ps); err != nil || errs[0] != nil {
			b.Fatal(err, errs[0])
		}
	}
	reportRate(b, n, start, "credits/s")
}

// benchBalance reads balances from parallel readers.
func (s benches) benchBalance(b *testing.B) {
	l := s.benchLedger(b, loyalty.Config{})
	ps := make([]loyalty.Posting, 1000)
	for i := range ps {
		ps[i] = loyalty.Posting{Key: fmt.Sprint("seed:", i), From: loyalty.Issuance("import"), To: loyalty.Member(uint64(i + 1)), Amount: 100}
	}
	if _, _, err := l.Import(ctx, ps); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if bal, err := l.Balance(ctx, loyalty.Member(uint64(i%1000+1))); err != nil || bal.Balance != 100 {
				b.Error(bal, err)
				return
			}
			i++
		}
	})
	reportRate(b, b.N, start, "reads/s")
}

// benchBalanceMany reads the balances of 4 times as many members as the
// balance cache holds, from parallel readers: most reads miss the cache,
// read the store and make room in the cache.
func (s benches) benchBalanceMany(b *testing.B) {
	const size = 1 << 14
	members := 4 * size
	l := s.benchLedger(b, loyalty.Config{CacheSize: size})
	ps := make([]loyalty.Posting, 0, 10000)
	for i := range members {
		ps = append(ps, loyalty.Posting{Key: fmt.Sprint("seed:", i), From: loyalty.Issuance("import"), To: loyalty.Member(uint64(i + 1)), Amount: 100})
		if len(ps) == cap(ps) || i == members-1 {
			if _, _, err := l.Import(ctx, ps); err != nil {
				b.Fatal(err)
			}
			ps = ps[:0]
		}
	}
	var seed atomic.Uint64
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		rng := rand.New(rand.NewPCG(seed.Add(1), 1))
		for pb.Next() {
			if bal, err := l.Balance(ctx, loyalty.Member(uint64(rng.IntN(members)+1))); err != nil || bal.Balance != 100 {
				b.Error(bal, err)
				return
			}
		}
	})
	reportRate(b, b.N, start, "reads/s")
}
