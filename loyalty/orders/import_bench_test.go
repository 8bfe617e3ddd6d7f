package orders_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/loyalty"
	"github.com/loyalbot/loyalbot/loyalty/loyaltytest"
	"github.com/loyalbot/loyalbot/loyalty/orders"
)

// BenchmarkImportLinked imports n orders, one per customer, each customer
// linked to a member of their own, into a durable database (fsync on every
// commit, as in production), and reports orders/s.
func BenchmarkImportLinked(b *testing.B) {
	const n = 10_000
	now := time.Now()
	for _, tt := range []struct {
		name string
		age  time.Duration
	}{{"past_window", 30 * 24 * time.Hour}, {"in_window", 24 * time.Hour}} {
		b.Run(tt.name, func(b *testing.B) {
			var buf bytes.Buffer
			buf.WriteString("order_id,customer_id,created_at,amount\n")
			for i := range n {
				fmt.Fprintf(&buf, "o%d,c%d,%s,%d.%02d\n", i, i, now.Add(-tt.age).Format(time.RFC3339), 5+i%90, i%100)
			}
			data := buf.Bytes()
			b.ReportAllocs()
			var took time.Duration
			orderN := 0
			for b.Loop() {
				b.StopTimer()
				db := loyaltytest.OpenDurableDB(b)
				l := loyaltytest.OpenLedgerOn(b, db, loyalty.Config{})
				svc, err := orders.New(db, l, orders.Config{}, nil)
				if err != nil {
					b.Fatal(err)
				}
				db.NoSync = true // setup: link every customer to a member of their own
				for i := range n {
					o := orders.Order{ID: fmt.Sprint("seed", i), Customer: fmt.Sprint("c", i), Created: now, Status: orders.Paid}
					if _, err := svc.Ingest(ctx, o, orders.Contact{LinkCode: fmt.Sprint("K", i)}); err != nil {
						b.Fatal(err)
					}
					if _, err := svc.Link(ctx, uint64(i+1), fmt.Sprint("K", i)); err != nil {
						b.Fatal(err)
					}
				}
				db.NoSync = false
				b.StartTimer()
				start := time.Now()
				rep, err := svc.Import(ctx, bytes.NewReader(data), orders.ImportOptions{})
				if err != nil || rep.Imported != n {
					b.Fatal(rep.Imported, err)
				}
				took += time.Since(start)
				orderN += n
				b.StopTimer()
				if bal, _ := l.Balance(ctx, loyalty.Member(n)); bal.Balance == 0 {
					b.Fatal("the last member earned nothing")
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(orderN)/took.Seconds(), "orders/s")
		})
	}
}
