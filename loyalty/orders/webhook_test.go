package orders_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
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
	ordersbolt "github.com/loyalbot/loyalbot/loyalty/orders/bolt"
)

// The rules are tested by orderstest.StoreSuite (run by loyalty/orders/bolt);
// these tests drive them through the real order webhook, for what the wire
// adds: signatures, statuses and bodies.

const secret = "shop-secret"

var (
	ctx = context.Background()
	t0  = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
)

type rig struct {
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
	st, err := ordersbolt.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := orders.New(st, l, orders.Config{Salt: "pepper", Now: clk.Now}, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.OrderWebhook(svc, secret, clk.Now, slog.New(slog.DiscardHandler)))
	t.Cleanup(srv.Close)
	return &rig{ledger: l, svc: svc, clock: clk, srv: srv}
}

// linked returns a rig whose customer cust-7 is linked to member 1 by a code.
func linked(t *testing.T) *rig {
	t.Helper()
	r := newRig(t)
	r.mustSend(t, ev{ID: "seed", Amount: 0.5, LinkCode: "CODE-7"}, 200)
	if _, err := r.svc.Link(ctx, 1, "CODE-7"); err != nil {
		t.Fatal(err)
	}
	return r
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

// ev is an order event as the shop's webhook sends it.
type ev struct {
	ID, Customer, Status, Currency string
	Created                        time.Time
	Amount, Refunded               float64
	LinkCode                       string
}

func (e ev) body() string {
	if e.Customer == "" {
		e.Customer = "cust-7"
	}
	if e.Status == "" {
		e.Status = "paid"
	}
	if e.Created.IsZero() {
		e.Created = t0.Add(-2 * time.Hour)
	}
	extra := ""
	if e.Currency != "" {
		extra += fmt.Sprintf(`,"currency":%q`, e.Currency)
	}
	if e.LinkCode != "" {
		extra += fmt.Sprintf(`,"link_code":%q`, e.LinkCode)
	}
	return fmt.Sprintf(`{"order_id":%q,"customer_id":%q,"created_at":%q,"amount":%v,"refunded_amount":%v,"status":%q%s}`,
		e.ID, e.Customer, e.Created.Format(time.RFC3339), e.Amount, e.Refunded, e.Status, extra)
}

// send posts a signed event at the rig's clock and returns the status and body.
func (r *rig) send(t *testing.T, e ev) (int, string) {
	t.Helper()
	return r.postRaw(t, e.body())
}

func (r *rig) mustSend(t *testing.T, e ev, want int) string {
	t.Helper()
	code, body := r.send(t, e)
	if code != want {
		t.Fatalf("%s %s: status %d %s, want %d", e.ID, e.Status, code, body, want)
	}
	return body
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

// TestWebhook_PointsLifecycle: a paid order, its e-mail linking the
// member, redeliveries, a partial refund and a cancellation, all through
// the webhook.
func TestWebhook_PointsLifecycle(t *testing.T) {
	r := newRig(t)
	if got := r.post(t, order("A1", "paid", 120, 0), signed, t0); got != 200 {
		t.Fatalf("status %d", got)
	}
	if _, err := r.svc.Link(ctx, 1, "  li.na@EXAMPLE.com "); err != nil {
		t.Fatal(err)
	}
	r.post(t, order("A1", "paid", 120, 0), signed, t0) // the same event again
	r.post(t, order("A2", "paid", 50, 0), signed, t0)
	r.post(t, order("A1", "refunded", 120, 30), signed, t0)
	r.post(t, order("A2", "cancelled", 50, 0), signed, t0)
	if b := r.balance(t); b.Balance != 90 || b.Held != 90 {
		t.Errorf("balance %+v, want 90 held", b)
	}
}

// TestWebhook_Redelivered is the regression test for redelivered paid
// orders and refunds answering 500 forever.
func TestWebhook_Redelivered(t *testing.T) {
	r := linked(t)
	r.mustSend(t, ev{ID: "A1", Amount: 100}, 200)
	r.clock.Advance(3 * time.Minute)
	body := r.mustSend(t, ev{ID: "A1", Amount: 100}, 200)
	if !strings.Contains(body, `"changed":false`) {
		t.Errorf("redelivery answered %s, want changed false", body)
	}
	r.mustSend(t, ev{ID: "A1", Amount: 100, Status: "refunded", Refunded: 20}, 200)
	r.clock.Advance(time.Hour)
	r.mustSend(t, ev{ID: "A1", Amount: 100, Status: "refunded", Refunded: 20}, 200)
	if b := r.balance(t); b.Balance != 80 || b.Held != 80 {
		t.Errorf("balance %+v, want 80 held", b)
	}
}

// TestWebhook_ConflictingEvent is the regression test for an order id
// reused with another amount or customer overwriting the stored row.
func TestWebhook_ConflictingEvent(t *testing.T) {
	r := linked(t)
	r.mustSend(t, ev{ID: "A1", Amount: 100}, 200)
	for _, e := range []ev{{ID: "A1", Amount: 999}, {ID: "A1", Amount: 100, Customer: "cust-8"}, {ID: "A1", Amount: 100, Created: t0.Add(-48 * time.Hour)}} {
		code, body := r.send(t, e)
		if code != http.StatusConflict || !strings.Contains(body, "was stored with") {
			t.Errorf("%+v: %d %s, want 409 with the reason", e, code, body)
		}
	}
	o, _, _ := r.svc.Order(ctx, "A1")
	if o.Amount != 10000 || o.Customer != "cust-7" {
		t.Errorf("stored order changed: %+v", o)
	}
	if b := r.balance(t); b.Balance != 100 {
		t.Errorf("balance %d, want 100", b.Balance)
	}
}

// TestWebhook_Bounds is the regression test for orders loyalbot should
// never take: a billion, an order from next year, a foreign currency.
func TestWebhook_Bounds(t *testing.T) {
	r := linked(t)
	tests := []struct {
		name string
		e    ev
		want string
	}{
		{"too_large", ev{ID: "B1", Amount: 1_000_001}, "orders.max_amount"},
		{"absurd", ev{ID: "B2", Amount: 1e300}, "orders.max_amount"},
		{"future", ev{ID: "B3", Amount: 10, Created: t0.Add(49 * time.Hour)}, "in the future"},
		{"currency", ev{ID: "B4", Amount: 10, Currency: "EUR"}, "orders.rates"},
	}
	for _, tt := range tests {
		code, body := r.send(t, tt.e)
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d %s, want 422 naming %q", tt.name, code, body, tt.want)
		}
		if _, found, _ := r.svc.Order(ctx, tt.e.ID); found {
			t.Errorf("%s: refused order stored", tt.name)
		}
	}
	if b := r.balance(t); b.Balance != 0 {
		t.Errorf("refused orders paid %d points", b.Balance)
	}
}

func TestWebhook_DisabledAndTooLarge(t *testing.T) {
	r := newRig(t)
	srv := web.OrderWebhook(r.svc, "", r.clock.Now, slog.New(slog.DiscardHandler))
	rec := &recorder{h: http.Header{}}
	srv.ServeHTTP(rec, mustRequest(t, "{}"))
	if rec.code != http.StatusServiceUnavailable || !strings.Contains(rec.body.String(), "orders webhook disabled") {
		t.Errorf("no secret: %d %s", rec.code, rec.body.String())
	}
	big := `{"order_id":"` + strings.Repeat("x", web.MaxBody) + `"}`
	code, _ := r.postRaw(t, big)
	if code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d, want 413", code)
	}
}

// TestWebhook_ErrorsShowUnits is the regression test for webhook errors
// showing amounts in cents.
func TestWebhook_ErrorsShowUnits(t *testing.T) {
	r := newRig(t)
	tests := []struct {
		e    ev
		want string
	}{
		{ev{ID: "E1", Amount: -10}, "amount -10.00, refunded 0.00"},
		{ev{ID: "E2", Amount: 100, Status: "refunded", Refunded: 150}, "amount 100.00, refunded 150.00"},
	}
	for _, tt := range tests {
		if code, body := r.send(t, tt.e); code != http.StatusBadRequest || !strings.Contains(body, tt.want) {
			t.Errorf("%+v: %d %s, want 400 with %q", tt.e, code, body, tt.want)
		}
	}
}

func (r *rig) postRaw(t *testing.T, body string) (int, string) {
	t.Helper()
	now := r.clock.Now()
	req := mustRequest(t, body)
	req.Header.Set("X-Loyalbot-Timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("X-Loyalbot-Signature", web.Sign(secret, now.Unix(), []byte(body)))
	req.URL, _ = req.URL.Parse(r.srv.URL)
	req.RequestURI = ""
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func mustRequest(t *testing.T, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://x/webhooks/orders", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return req
}

type recorder struct {
	h    http.Header
	code int
	body bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.h }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(code int)        { r.code = code }

// TestWebhook_BadJSONSaysWhatInSendersTerms: a body that does not decode
// is refused with the field and the JSON type, never Go's type names.
func TestWebhook_BadJSONSaysWhatInSendersTerms(t *testing.T) {
	r := newRig(t)
	tests := []struct{ body, want string }{
		{`{"order_id":"J1","customer_id":"c","amount":1e400,"created_at":"2026-03-10T10:00:00Z","status":"paid"}`, "field amount: the number is not one it can hold"},
		{`{"order_id":"J2","customer_id":"c","amount":"12","created_at":"2026-03-10T10:00:00Z","status":"paid"}`, "field amount: want a number, got a string"},
		{`{"order_id":7}`, "field order_id: want a string, got a number"},
		{`{"order_id":["x"]}`, "field order_id: want a string, got an array"},
		{`{"order_id":`, "not valid JSON"},
		{`{"order_id":"J3","customer_id":"c","created_at":"2026-03-10T10:00:00Z","status":"paid"}`, "amount is required"},
		{`{"order_id":"J4","customer_id":"c","amount":null,"created_at":"2026-03-10T10:00:00Z","status":"paid"}`, "amount is required"},
	}
	for _, tt := range tests {
		code, body := r.postRaw(t, tt.body)
		if code != http.StatusBadRequest || !strings.Contains(body, tt.want) || strings.Contains(body, "Go struct") || strings.Contains(body, "float64") {
			t.Errorf("%s: %d %q, want 400 with %q", tt.body, code, body, tt.want)
		}
	}
}
