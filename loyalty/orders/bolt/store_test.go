package bolt_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/loyalty"
	"github.com/loyalbot/loyalbot/loyalty/bolt/bolttest"
	"github.com/loyalbot/loyalbot/loyalty/orders"
	ordersbolt "github.com/loyalbot/loyalbot/loyalty/orders/bolt"
	"github.com/loyalbot/loyalbot/loyalty/orders/orderstest"
	bbolt "go.etcd.io/bbolt"
)

var ctx = context.Background()

func TestConformance(t *testing.T) {
	orderstest.StoreSuite(t, func(t *testing.T) orders.Store {
		return openStore(t, filepath.Join(t.TempDir(), "orders.db"))
	})
}

// reopenable is a Store on a file that Reopen closes and opens again, as
// a restart does.
type reopenable struct {
	*ordersbolt.Store
	*bolttest.File
}

// openStore opens a Store on the bbolt file at path, closed after bbolt's
// consistency check when the test ends (unless reopened before).
func openStore(t *testing.T, path string) *reopenable {
	t.Helper()
	return storeOn(t, bolttest.OpenFile(t, path))
}

func storeOn(t *testing.T, f *bolttest.File) *reopenable {
	t.Helper()
	s, err := ordersbolt.Open(f.DB)
	if err != nil {
		t.Fatal(err)
	}
	return &reopenable{Store: s, File: f}
}

func (r *reopenable) Reopen(t *testing.T) orders.Store {
	t.Helper()
	return storeOn(t, r.File.Reopen(t))
}

var _ orderstest.Reopener = (*reopenable)(nil)

// TestOpen_Again: opening a database a second time keeps what it holds.
func TestOpen_Again(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "orders.db"))
	e := orderstest.NewEnv(t, st, nil)
	o := orders.Order{ID: "o1", Customer: "c1", Created: orderstest.Start, Amount: 1000, Status: orders.Paid}
	if _, err := e.Orders.Ingest(ctx, o, orders.Contact{LinkCode: "K"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Orders.Link(ctx, 1, "K"); err != nil {
		t.Fatal(err)
	}
	if _, err := ordersbolt.Open(st.DB); err != nil {
		t.Fatal(err)
	}
	e.Restart(t, e.Config)
	if os, err := e.Orders.Orders(ctx, "c1"); err != nil || len(os) != 1 || os[0].Amount != 1000 {
		t.Errorf("after reopening: %+v %v", os, err)
	}
	if cs, err := e.Orders.CustomersOf(ctx, 1); err != nil || len(cs) != 1 {
		t.Errorf("links after reopening: %v %v", cs, err)
	}
}

// TestOpen_BuildsIndexes opens a database written before the indexes by
// customer and by member existed, in that release's encoding, and finds
// its orders and links through them.
func TestOpen_BuildsIndexes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "orders.db")
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		ob, err := tx.CreateBucket([]byte("orders.orders"))
		if err != nil {
			return err
		}
		lb, err := tx.CreateBucket([]byte("orders.customers"))
		if err != nil {
			return err
		}
		for i, c := range []string{"a", "ab", "a"} {
			v, _ := json.Marshal(map[string]any{"order_id": fmt.Sprint("o", i), "customer_id": c, "created_at": "2026-03-01T00:00:00Z",
				"amount": 500, "status": "paid"})
			if err := ob.Put([]byte(fmt.Sprint("o", i)), v); err != nil {
				return err
			}
		}
		return lb.Put([]byte("a"), binary.BigEndian.AppendUint64(nil, 42))
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	st := openStore(t, path)
	e := orderstest.NewEnv(t, st, nil)
	if os, err := e.Orders.Orders(ctx, "a"); err != nil || len(os) != 2 || os[0].ID != "o0" || os[1].ID != "o2" {
		t.Errorf("orders of a: %+v %v", os, err)
	}
	if cs, err := e.Orders.CustomersOf(ctx, 42); err != nil || len(cs) != 1 || cs[0] != "a" {
		t.Errorf("customers of member 42: %v %v", cs, err)
	}
}

// TestStore_NoRawContacts: raw contact details are never stored, only
// their salted hashes.
func TestStore_NoRawContacts(t *testing.T) {
	st := openStore(t, filepath.Join(t.TempDir(), "orders.db"))
	e := orderstest.NewEnv(t, st, nil)
	o := orders.Order{ID: "A1", Customer: "cust-7", Created: orderstest.Start, Amount: 12000, Status: orders.Paid}
	if _, err := e.Orders.Ingest(ctx, o, orders.Contact{Email: "Li.Na@Example.com", EmailVerified: true, Phone: "+86 138 0013 8000"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Orders.Link(ctx, 1, "li.na@example.com"); err != nil {
		t.Fatal(err)
	}
	err := st.DB.View(func(tx *bbolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bbolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				kv := bytes.ToLower(append(append([]byte(nil), k...), v...))
				if bytes.Contains(kv, []byte("li.na")) || bytes.Contains(kv, []byte("13800138000")) {
					t.Errorf("bucket %s stores the e-mail address or phone number", name)
				}
				return nil
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// openDurable opens a ledger and the shop integration on one durable
// database (fsync on every commit), as loyalbot runs them.
func openDurable(b *testing.B) (*bbolt.DB, *loyalty.Ledger, *orders.Service) {
	b.Helper()
	db := bolttest.OpenDurableDB(b)
	l := bolttest.OpenLedgerOn(b, db, loyalty.Config{})
	st, err := ordersbolt.Open(db)
	if err != nil {
		b.Fatal(err)
	}
	svc, err := orders.New(st, l, orders.Config{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	return db, l, svc
}

// BenchmarkImportLinked imports n orders, one per customer, each customer
// linked to a member of their own, into a durable database (fsync on every
// commit, as in production), and reports orders/s: past_window orders'
// points are spendable at once (one ledger Import a batch), in_window
// ones are held through the return window (concurrent posts the ledger
// commits in groups).
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
				db, l, svc := openDurable(b)
				db.NoSync = true // setup: link every customer to a member of their own, by a code a free order brought
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

// BenchmarkImportOrders imports 69,659 rows shaped like CDNOW_master.txt
// (23,570 customers) into a fresh store, unlinked.
func BenchmarkImportOrders(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("order_id,customer_id,created_at,amount\n")
	for i := range 69_659 {
		fmt.Fprintf(&buf, "%d,%d,1997-%02d-%02d,%d.%02d\n", i, i%23_570, 1+i%12, 1+i%28, 5+i%90, i%100)
	}
	data := buf.Bytes()
	b.ReportAllocs()
	start := time.Now()
	rows := 0
	for b.Loop() {
		b.StopTimer()
		db := bolttest.OpenDB(b)
		l := bolttest.OpenLedgerOn(b, db, loyalty.Config{})
		st, err := ordersbolt.Open(db)
		if err != nil {
			b.Fatal(err)
		}
		svc, err := orders.New(st, l, orders.Config{}, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		rep, err := svc.Import(ctx, bytes.NewReader(data), orders.ImportOptions{})
		if err != nil || rep.Imported != 69_659 {
			b.Fatal(rep.Imported, err)
		}
		rows += rep.Rows
	}
	b.ReportMetric(float64(rows)/time.Since(start).Seconds(), "rows/s")
}
