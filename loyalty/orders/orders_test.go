package orders_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/community/web"
	"github.com/loyalbot/loyalbot/loyalty"
	"github.com/loyalbot/loyalbot/loyalty/bolt/bolttest"
	"github.com/loyalbot/loyalbot/loyalty/loyaltytest"
	"github.com/loyalbot/loyalbot/loyalty/orders"
	bolt "go.etcd.io/bbolt"
)

const secret = "shop-secret"

var (
	ctx = context.Background()
	t0  = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
)

type rig struct {
	db     *bolt.DB
	ledger *loyalty.Ledger
	svc    *orders.Service
	clock  *loyaltytest.Clock
	srv    *httptest.Server
}

func newRig(t *testing.T) *rig {
	t.Helper()
	clk := loyaltytest.NewClock(t0)
	db := bolttest.OpenDB(t)
	l := bolttest.OpenLedgerOn(t, db, loyalty.Config{Now: clk.Now})
	svc, err := orders.New(db, l, orders.Config{Salt: "pepper", Now: clk.Now}, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.OrderWebhook(svc, secret, clk.Now, slog.New(slog.DiscardHandler)))
	t.Cleanup(srv.Close)
	return &rig{db: db, ledger: l, svc: svc, clock: clk, srv: srv}
}

// post sends a signed webhook call and returns the status code.
func (r *rig) post(t *testing.T, body string, sign func(ts int64, body []byte) string, ts time.Time) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, r.srv.URL, strings.NewReader(body))
	req.Header.Set("X-Loyalbot-Timestamp", strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set("X-Loyalbot-Signature", sign(ts.Unix(), []byte(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func signed(ts int64, body []byte) string { return web.Sign(secret, ts, body) }

func order(id, status string, amount, refunded float64) string {
	return fmt.Sprintf(`{"order_id":%q,"customer_id":"cust-7","created_at":"2026-03-10T10:00:00Z","amount":%v,"refunded_amount":%v,"currency":"CNY","status":%q,"email":"Li.Na@Example.com","email_verified":true}`, id, amount, refunded, status)
}

func (r *rig) balance(t *testing.T) loyalty.Balance {
	t.Helper()
	b, err := r.ledger.Balance(ctx, loyalty.Member(1))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestWebhook_Auth(t *testing.T) {
	r := newRig(t)
	body := order("A1", "paid", 120, 0)
	tests := []struct {
		name string
		sign func(int64, []byte) string
		at   time.Time
		body string
		want int
	}{
		{"ok", signed, t0, body, 200},
		{"wrong_secret", func(ts int64, b []byte) string { return web.Sign("guess", ts, b) }, t0, body, 401},
		{"tampered", func(ts int64, b []byte) string { return web.Sign(secret, ts, []byte(body)) }, t0, strings.Replace(body, "120", "9120", 1), 401},
		{"replayed_late", signed, t0.Add(-6 * time.Minute), body, 401},
		{"from_the_future", signed, t0.Add(6 * time.Minute), body, 401},
		{"malformed", signed, t0, `{"order_id":`, 400},
		{"bad_status", signed, t0, strings.Replace(body, `"paid"`, `"shipped"`, 1), 400},
		{"negative", signed, t0, strings.Replace(body, "120", "-5", 1), 400},
		{"bad_date", signed, t0, strings.Replace(body, "2026-03-10T10:00:00Z", "yesterday", 1), 400},
	}
	for _, tt := range tests {
		if got := r.post(t, tt.body, tt.sign, tt.at); got != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestOrders_PointsLifecycle(t *testing.T) {
	r := newRig(t)
	if got := r.post(t, order("A1", "paid", 120, 0), signed, t0); got != 200 {
		t.Fatalf("status %d", got)
	}
	if _, err := r.svc.Link(ctx, 1, "not-an-email@x.com"); !errors.Is(err, orders.ErrUnknown) {
		t.Errorf("link with an unknown e-mail: %v", err)
	}
	if _, err := r.svc.Link(ctx, 1, "  li.na@EXAMPLE.com "); err != nil {
		t.Fatal(err)
	}
	if b := r.balance(t); b.Balance != 120 || b.Available != 0 || b.Held != 120 {
		t.Errorf("after linking: %+v, want 120 pending", b)
	}
	r.post(t, order("A1", "paid", 120, 0), signed, t0) // the same event again
	r.post(t, order("A2", "paid", 50, 0), signed, t0)
	if b := r.balance(t); b.Balance != 170 {
		t.Errorf("after a second order: %+v", b)
	}
	// A partial refund of A1 takes back its share.
	r.post(t, order("A1", "refunded", 120, 30), signed, t0)
	r.post(t, order("A1", "refunded", 120, 30), signed, t0)
	if b := r.balance(t); b.Balance != 140 {
		t.Errorf("after refunding 30 of 120: %+v, want 140", b)
	}
	// Cancelling A2 takes all of it.
	r.post(t, order("A2", "cancelled", 50, 0), signed, t0)
	if b := r.balance(t); b.Balance != 90 {
		t.Errorf("after cancelling A2: %+v, want 90", b)
	}
	// After the return window the rest is spendable.
	r.clock.Advance(15 * 24 * time.Hour)
	if b := r.balance(t); b.Available != 90 {
		t.Errorf("after the return window: %+v", b)
	}
	// Raw contact details are never stored.
	err := r.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				if bytes.Contains(bytes.ToLower(append(k, v...)), []byte("li.na")) {
					t.Errorf("bucket %s stores the e-mail address", name)
				}
				return nil
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestImport(t *testing.T) {
	r := newRig(t)
	csv := "id,cust,date,total,status\n" +
		"o1,c1,2026-01-05,10.50,paid\n" +
		"o2,c1,2026-02-01,oops,paid\n" +
		"o3,,2026-02-02,5,paid\n" +
		"o4,c2,not-a-date,5,paid\n" +
		"o5,c2,2026-02-03,7,refunded\n"
	opt := orders.ImportOptions{Map: map[string]string{"order_id": "id", "customer_id": "cust", "created_at": "date", "amount": "total"}}
	rep, err := r.svc.Import(ctx, strings.NewReader(csv), opt)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows != 5 || rep.Imported != 2 || len(rep.Skipped) != 3 || rep.Skipped[0].Line != 3 || rep.Skipped[2].Line != 5 {
		t.Errorf("report %+v", rep)
	}
	again, _ := r.svc.Import(ctx, strings.NewReader(csv), opt)
	if ps, _ := r.svc.Purchases(ctx); again.Imported != 2 || len(ps) != 1 {
		t.Errorf("re-import: %+v, %d purchases", again, len(ps))
	}
	if _, err := r.svc.Import(ctx, strings.NewReader(csv), orders.ImportOptions{Map: opt.Map, Strict: true}); err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("strict import: %v", err)
	}
	if _, err := r.svc.Import(ctx, strings.NewReader(csv), orders.ImportOptions{}); err == nil || !strings.Contains(err.Error(), `no "order_id" column`) {
		t.Errorf("missing column: %v", err)
	}
	if ps, _ := r.svc.Purchases(ctx); len(ps) != 1 || ps[0].Amount != 10.5 {
		t.Errorf("purchases %+v (refunded orders excluded)", ps)
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
		svc, err := orders.New(db, l, orders.Config{}, nil)
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
