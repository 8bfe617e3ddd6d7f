package orderstest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/loyalty/orders"
)

var ctx = context.Background()

// errCrash is what the suite's step hooks return, as a crash would stop
// the operation there.
var errCrash = errors.New("crash")

// StoreSuite runs the shop integration's rules — through orders.Service,
// its public API — and the Store contract over stores that open returns:
// orders and refunds, links and managers' unlinks, imports, model-based
// tests of orders and unlinks, and crashes at every settlement step with a
// restart and Resume. open must return a store on fresh, empty storage
// each time it is called, closed when t ends; if it is a Reopener the crash
// cases reopen it. Every test ends with the integration's Verify and no
// order left unsettled.
func StoreSuite(t *testing.T, open func(t *testing.T) orders.Store) {
	t.Helper()
	s := suite{open: open}
	t.Run("Store", s.storeCases)
	t.Run("Ingest", s.ingestCases)
	t.Run("Link", s.linkCases)
	t.Run("Unlink", s.unlinkCases)
	t.Run("Import", s.importCases)
	t.Run("Model", s.modelCases)
	t.Run("Crash", s.crashCases)
}

// suite opens the Envs of StoreSuite's cases.
type suite struct {
	open func(t *testing.T) orders.Store
}

// env returns an Env on a fresh store, its config changed by set.
func (s suite) env(t *testing.T, set func(*orders.Config)) *Env {
	t.Helper()
	return NewEnv(t, s.open(t), set)
}

// linked returns an Env whose customer cust-7 is linked to member 1 by a code.
func (s suite) linked(t *testing.T) *Env {
	t.Helper()
	e := s.env(t, nil)
	mustSend(t, e, ev{ID: "seed", Amount: 0.5, LinkCode: "CODE-7"})
	if _, err := e.Orders.Link(ctx, 1, "CODE-7"); err != nil {
		t.Fatal(err)
	}
	return e
}

// ev is an order event as the shop sends it: amounts in currency units,
// and defaults for what is left out (customer cust-7, paid, created two
// hours before the suite's start).
type ev struct {
	ID, Customer, Status, Currency string
	Created                        time.Time
	Amount, Refunded               float64
	Email                          string
	EmailVerified                  bool
	LinkCode                       string
}

// order is the event as the webhook hands it to Ingest.
func (e ev) order() (orders.Order, orders.Contact) {
	if e.Customer == "" {
		e.Customer = "cust-7"
	}
	if e.Status == "" {
		e.Status = "paid"
	}
	if e.Created.IsZero() {
		e.Created = Start.Add(-2 * time.Hour)
	}
	o := orders.Order{ID: e.ID, Customer: e.Customer, Created: e.Created.Truncate(time.Second), Amount: orders.Cents(e.Amount),
		Refunded: orders.Cents(e.Refunded), Currency: e.Currency, Status: orders.Status(e.Status)}
	return o, orders.Contact{Email: e.Email, EmailVerified: e.EmailVerified, LinkCode: e.LinkCode}
}

// send ingests the event.
func send(e *Env, x ev) (orders.IngestResult, error) {
	o, c := x.order()
	return e.Orders.Ingest(ctx, o, c)
}

func mustSend(t *testing.T, e *Env, x ev) orders.IngestResult {
	t.Helper()
	res, err := send(e, x)
	if err != nil {
		t.Fatalf("%s %s: %v", x.ID, x.Status, err)
	}
	return res
}

func (s suite) ingestCases(t *testing.T) {
	t.Run("PointsLifecycle", func(t *testing.T) {
		e := s.env(t, nil)
		a1 := ev{ID: "A1", Amount: 120, Created: time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC), Email: "Li.Na@Example.com", EmailVerified: true}
		mustSend(t, e, a1)
		if _, err := e.Orders.Link(ctx, 1, "not-an-email@x.com"); !errors.Is(err, orders.ErrUnknown) {
			t.Errorf("link with an unknown e-mail: %v", err)
		}
		if _, err := e.Orders.Link(ctx, 1, "  li.na@EXAMPLE.com "); err != nil {
			t.Fatal(err)
		}
		if b := e.Balance(t, 1); b.Balance != 120 || b.Available != 0 || b.Held != 120 {
			t.Errorf("after linking: %+v, want 120 pending", b)
		}
		mustSend(t, e, a1) // the same event again
		a2 := a1
		a2.ID, a2.Amount = "A2", 50
		mustSend(t, e, a2)
		if b := e.Balance(t, 1); b.Balance != 170 {
			t.Errorf("after a second order: %+v", b)
		}
		// A partial refund of A1 takes back its share.
		r1 := a1
		r1.Status, r1.Refunded = "refunded", 30
		mustSend(t, e, r1)
		mustSend(t, e, r1)
		if b := e.Balance(t, 1); b.Balance != 140 {
			t.Errorf("after refunding 30 of 120: %+v, want 140", b)
		}
		// Cancelling A2 takes all of it.
		a2.Status = "cancelled"
		mustSend(t, e, a2)
		if b := e.Balance(t, 1); b.Balance != 90 {
			t.Errorf("after cancelling A2: %+v, want 90", b)
		}
		// After the return window the rest is spendable.
		e.Clock.Advance(15 * 24 * time.Hour)
		if b := e.Balance(t, 1); b.Available != 90 {
			t.Errorf("after the return window: %+v", b)
		}
	})

	// Redelivered is the regression test for redelivered paid orders and
	// refunds answering 500 forever.
	t.Run("Redelivered", func(t *testing.T) {
		e := s.linked(t)
		mustSend(t, e, ev{ID: "A1", Amount: 100})
		e.Clock.Advance(3 * time.Minute)
		if res := mustSend(t, e, ev{ID: "A1", Amount: 100}); res.Changed {
			t.Errorf("redelivery: %+v, want changed false", res)
		}
		mustSend(t, e, ev{ID: "A1", Amount: 100, Status: "refunded", Refunded: 20})
		e.Clock.Advance(time.Hour)
		mustSend(t, e, ev{ID: "A1", Amount: 100, Status: "refunded", Refunded: 20})
		if b := e.Balance(t, 1); b.Balance != 80 || b.Held != 80 {
			t.Errorf("balance %+v, want 80 held", b)
		}
	})

	// PartialRefundsTakeOnlyTheIncrease is the regression test for partial
	// refunds clawing back the cumulative share each time.
	t.Run("PartialRefundsTakeOnlyTheIncrease", func(t *testing.T) {
		e := s.linked(t)
		mustSend(t, e, ev{ID: "A1", Amount: 100})
		mustSend(t, e, ev{ID: "A1", Amount: 100, Status: "refunded", Refunded: 30})
		mustSend(t, e, ev{ID: "A1", Amount: 100, Status: "refunded", Refunded: 50})
		if b := e.Balance(t, 1); b.Balance != 50 {
			t.Errorf("after refunds of 30 then 50 (of 100): balance %d, want 50", b.Balance)
		}
		mustSend(t, e, ev{ID: "A1", Amount: 100, Status: "refunded", Refunded: 30}) // late, older event
		if b := e.Balance(t, 1); b.Balance != 50 || b.Held != 50 {
			t.Errorf("an older refund event changed points: %+v", b)
		}
	})

	// ConflictingEvent is the regression test for an order id reused with
	// another amount or customer overwriting the stored row.
	t.Run("ConflictingEvent", func(t *testing.T) {
		e := s.linked(t)
		mustSend(t, e, ev{ID: "A1", Amount: 100})
		for _, x := range []ev{{ID: "A1", Amount: 999}, {ID: "A1", Amount: 100, Customer: "cust-8"}, {ID: "A1", Amount: 100, Created: Start.Add(-48 * time.Hour)}} {
			_, err := send(e, x)
			var ce *orders.ConflictError
			if !errors.As(err, &ce) || !errors.Is(err, orders.ErrConflict) || !strings.Contains(err.Error(), "was stored with") {
				t.Errorf("%+v: %v, want a *ConflictError with the reason", x, err)
			}
		}
		o, _, _ := e.Orders.Order(ctx, "A1")
		if o.Amount != 10000 || o.Customer != "cust-7" {
			t.Errorf("stored order changed: %+v", o)
		}
		if b := e.Balance(t, 1); b.Balance != 100 {
			t.Errorf("balance %d, want 100", b.Balance)
		}
	})

	// Bounds is the regression test for orders loyalbot should never take:
	// a billion, an order from next year, a foreign currency.
	t.Run("Bounds", func(t *testing.T) {
		e := s.linked(t)
		tests := []struct {
			name string
			x    ev
			want string
		}{
			{"too_large", ev{ID: "B1", Amount: 1_000_001}, "orders.max_amount"},
			{"absurd", ev{ID: "B2", Amount: 1e300}, "orders.max_amount"},
			{"future", ev{ID: "B3", Amount: 10, Created: Start.Add(49 * time.Hour)}, "in the future"},
			{"currency", ev{ID: "B4", Amount: 10, Currency: "EUR"}, "orders.rates"},
		}
		for _, tt := range tests {
			if _, err := send(e, tt.x); !errors.Is(err, orders.ErrOutOfBounds) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s: %v, want ErrOutOfBounds naming %q", tt.name, err, tt.want)
			}
			if _, found, _ := e.Orders.Order(ctx, tt.x.ID); found {
				t.Errorf("%s: refused order stored", tt.name)
			}
		}
		if b := e.Balance(t, 1); b.Balance != 0 {
			t.Errorf("refused orders paid %d points", b.Balance)
		}
	})

	t.Run("Rates", func(t *testing.T) {
		e := s.env(t, func(c *orders.Config) { c.Salt, c.Rates = "s", map[string]float64{"usd": 7.2} })
		o := orders.Order{ID: "U1", Customer: "c", Created: Start, Amount: 1000, Currency: "USD", Status: orders.Paid}
		res, err := e.Orders.Ingest(ctx, o, orders.Contact{})
		if err != nil || res.Order.Amount != 7200 || res.Order.Currency != "CNY" || res.Order.Source.Currency != "USD" {
			t.Fatalf("converted %+v %v, want 72.00 CNY from 10 USD", res.Order, err)
		}
		if _, err := orders.New(e.Store, e.Ledger, orders.Config{Rates: map[string]float64{"usd": -1}}, nil); err == nil {
			t.Error("a negative rate was accepted")
		}
	})

	// OldOrdersEarnNothing is the regression test for an import of 1997
	// history paying points today.
	t.Run("OldOrdersEarnNothing", func(t *testing.T) {
		e := s.linked(t)
		mustSend(t, e, ev{ID: "OLD", Amount: 500, Created: Start.AddDate(-2, 0, 0)})
		if b := e.Balance(t, 1); b.Balance != 0 {
			t.Errorf("a two-year-old order paid %d points", b.Balance)
		}
		if ps, _ := e.Orders.Purchases(ctx); len(ps) == 0 {
			t.Error("the old order is not kept for insights")
		}
		if st := e.Settlement(t, "OLD"); st.Earned != 0 || !strings.Contains(st.Note, "max_age_days") {
			t.Errorf("settlement %+v, want no points and the reason", st)
		}
	})

	// ErrorsShowUnits is the regression test for webhook and CSV errors
	// showing amounts in cents.
	t.Run("ErrorsShowUnits", func(t *testing.T) {
		e := s.env(t, nil)
		tests := []struct {
			x    ev
			want string
		}{
			{ev{ID: "E1", Amount: -10}, "amount -10.00, refunded 0.00"},
			{ev{ID: "E2", Amount: 100, Status: "refunded", Refunded: 150}, "amount 100.00, refunded 150.00"},
		}
		for _, tt := range tests {
			if _, err := send(e, tt.x); !errors.Is(err, orders.ErrBadOrder) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%+v: %v, want ErrBadOrder with %q", tt.x, err, tt.want)
			}
		}
		csv := "order_id,customer_id,created_at,amount,refunded_amount\no1,c1,2026-03-01,100,150\no2,c2,2026-03-01,NaN,0\n"
		rep, err := e.Orders.Import(ctx, strings.NewReader(csv), orders.ImportOptions{})
		if err != nil || len(rep.Skipped) != 2 {
			t.Fatalf("import: %+v %v, want both rows skipped", rep, err)
		}
		if got := rep.Skipped[0].Reason; !strings.Contains(got, "amount 100.00, refunded 150.00") {
			t.Errorf("CSV row refunding more than paid: %q", got)
		}
		if got := rep.Skipped[1].Reason; !strings.Contains(got, `amount "NaN" is not a number`) {
			t.Errorf("CSV row with amount NaN: %q", got)
		}
	})
}

func (s suite) linkCases(t *testing.T) {
	// UnverifiedContactDoesNotLink is the regression test for shop account
	// hijacking: anyone could claim a customer by typing an e-mail.
	t.Run("UnverifiedContactDoesNotLink", func(t *testing.T) {
		e := s.env(t, nil)
		mustSend(t, e, ev{ID: "A1", Amount: 100, Email: "victim@example.com"})
		if _, err := e.Orders.Link(ctx, 9, "victim@example.com"); !errors.Is(err, orders.ErrUnknown) {
			t.Fatalf("linking by an unverified e-mail: %v, want ErrUnknown", err)
		}
		if cs, _ := e.Orders.CustomersOf(ctx, 9); len(cs) != 0 {
			t.Errorf("the refused link was committed anyway: %v", cs)
		}
		mustSend(t, e, ev{ID: "A2", Amount: 10, Email: "victim@example.com", EmailVerified: true})
		if _, err := e.Orders.Link(ctx, 1, "victim@example.com"); err != nil {
			t.Fatalf("a verified e-mail links: %v", err)
		}
		// An unverified mention afterwards does not downgrade it, nor re-point it.
		mustSend(t, e, ev{ID: "B1", Customer: "cust-evil", Amount: 10, Email: "victim@example.com"})
		if _, err := e.Orders.Link(ctx, 9, "victim@example.com"); !errors.Is(err, orders.ErrLinkedElsewhere) {
			t.Errorf("second member linking the same verified e-mail: %v, want ErrLinkedElsewhere", err)
		}
	})

	// LinkedCustomerNeedsManager is the regression test for /shop
	// overwriting an existing link: the second claim is refused, nothing is
	// half-applied, and the one-time code is not burnt.
	t.Run("LinkedCustomerNeedsManager", func(t *testing.T) {
		e := s.env(t, nil)
		mustSend(t, e, ev{ID: "A1", Amount: 100, LinkCode: "C1", Email: "li@example.com", EmailVerified: true})
		if _, err := e.Orders.Link(ctx, 1, "li@example.com"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Orders.Link(ctx, 2, "C1"); !errors.Is(err, orders.ErrLinkedElsewhere) {
			t.Fatalf("code for a customer linked elsewhere: %v", err)
		}
		if cs, _ := e.Orders.CustomersOf(ctx, 2); len(cs) != 0 {
			t.Errorf("member 2 got linked: %v", cs)
		}
		if _, err := e.Orders.Unlink(ctx, 1); err != nil {
			t.Fatal(err)
		}
		res, err := e.Orders.Link(ctx, 2, "C1") // the code survived the refusal
		if err != nil || res.Customer != "cust-7" {
			t.Fatalf("code after a manager unlinked: %+v %v", res, err)
		}
		if _, err := e.Orders.Link(ctx, 3, "C1"); !errors.Is(err, orders.ErrUnknown) {
			t.Errorf("a used code linked again: %v", err)
		}
		// The manager's unlink took the points back; the member who linked
		// next earned them, once.
		if b := e.Balance(t, 1); b.Balance != 0 {
			t.Errorf("member 1 balance %d, want 0: the unlink takes the order's points back", b.Balance)
		}
		if b := e.Balance(t, 2); b.Balance != 100 {
			t.Errorf("member 2 balance %d, want the order's 100", b.Balance)
		}
	})

	t.Run("Links", func(t *testing.T) {
		e := s.env(t, nil)
		for _, c := range []string{"c1", "c2", "c3"} {
			mustSend(t, e, ev{ID: "o-" + c, Customer: c, Amount: 10, LinkCode: "K-" + c})
		}
		for c, m := range map[string]uint64{"c1": 1, "c2": 1, "c3": 2} {
			if _, err := e.Orders.Link(ctx, m, "K-"+c); err != nil {
				t.Fatal(err)
			}
		}
		links, err := e.Orders.Links(ctx)
		if err != nil || len(links) != 3 || links["c1"] != 1 || links["c2"] != 1 || links["c3"] != 2 {
			t.Errorf("links %v %v", links, err)
		}
		if c, ok, err := e.Orders.CustomerOf(ctx, 1); err != nil || !ok || c != "c1" {
			t.Errorf("first customer of member 1: %q %v %v, want c1", c, ok, err)
		}
		if err := e.Orders.Merge(ctx, 1, 2); err != nil {
			t.Fatal(err)
		}
		if cs, _ := e.Orders.CustomersOf(ctx, 2); strings.Join(cs, ",") != "c1,c2,c3" {
			t.Errorf("after merging member 1 into 2: member 2 has %v", cs)
		}
		if cs, _ := e.Orders.CustomersOf(ctx, 1); len(cs) != 0 {
			t.Errorf("after merging member 1 into 2: member 1 has %v", cs)
		}
		if cs, err := e.Orders.UnlinkErased(ctx, 2); err != nil || len(cs) != 3 {
			t.Errorf("unlink erased: %v %v", cs, err)
		}
		if links, _ := e.Orders.Links(ctx); len(links) != 0 {
			t.Errorf("links after an erasure: %v", links)
		}
	})
}
