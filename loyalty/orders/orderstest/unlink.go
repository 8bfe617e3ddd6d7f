package orderstest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/loyalty"
	"github.com/loyalbot/loyalbot/loyalty/orders"
)

const victim = "victim@example.com"

// hijacked returns an Env where member 1 has 30 points of their own and
// then links, by knowing their verified e-mail, a customer whose orders
// earn 100 + 50 + (100 - 20 refunded) = 230 points, all held.
func (s suite) hijacked(t *testing.T) *Env {
	t.Helper()
	e := s.env(t, nil)
	if _, err := e.Ledger.Credit(ctx, loyalty.Member(1), "checkin", 30, "own-points", "points of their own"); err != nil {
		t.Fatal(err)
	}
	for _, x := range []ev{
		{ID: "V1", Amount: 100},
		{ID: "V2", Amount: 50},
		{ID: "V3", Amount: 100, Status: "refunded", Refunded: 20},
	} {
		x.Customer, x.Email, x.EmailVerified = "cust-v", victim, true
		mustSend(t, e, x)
	}
	if _, err := e.Orders.Link(ctx, 1, victim); err != nil {
		t.Fatal(err)
	}
	e.WantBalance(t, 1, 30+230, 230)
	return e
}

func (s suite) unlinkCases(t *testing.T) {
	// ManagerTakesBackPoints is the regression test for a manager's /shop
	// unlink leaving a hijacker every point of someone else's orders, and
	// the rightful member then linking the customer for nothing.
	t.Run("ManagerTakesBackPoints", func(t *testing.T) {
		e := s.hijacked(t)
		if _, err := e.Orders.Unlink(ctx, 1); err != nil {
			t.Fatal(err)
		}
		e.WantBalance(t, 1, 30, 0)
		res, err := e.Orders.Link(ctx, 2, victim)
		if err != nil || res.Orders != 3 {
			t.Fatalf("rightful member links: %+v %v", res, err)
		}
		e.WantBalance(t, 2, 230, 230)
		// A refund now takes back from the member who holds the points.
		mustSend(t, e, ev{ID: "V1", Customer: "cust-v", Amount: 100, Status: "refunded", Refunded: 50})
		e.WantBalance(t, 2, 180, 180)
		e.WantBalance(t, 1, 30, 0)
		e.Verify(t)
		// The return window ends: the points are the rightful member's to spend.
		e.Clock.Advance(15 * 24 * time.Hour)
		e.WantBalance(t, 2, 180, 0)
		e.WantBalance(t, 1, 30, 0)
	})

	// TakesBackLikeRefunds checks where an unlink takes the points from: the
	// orders' holds inside the return window, what the member has after it,
	// and a shortfall for what they spent; then the rightful member is paid
	// afresh and a later cancellation takes back from them.
	t.Run("TakesBackLikeRefunds", func(t *testing.T) {
		tests := []struct {
			name         string
			after        time.Duration // clock moves this far after linking
			spend        int64         // points member 1 spends then
			taken, short int64
			own, held2   int64 // member 1's balance after the unlink, member 2's held points after linking
		}{
			{name: "inside_window", taken: 230, own: 30, held2: 230},
			{name: "after_window", after: 15 * 24 * time.Hour, taken: 230, own: 30},
			{name: "after_window_spent", after: 15 * 24 * time.Hour, spend: 250, taken: 10, short: 220},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e := s.hijacked(t)
				e.Clock.Advance(tt.after)
				if tt.spend > 0 {
					if _, err := e.Ledger.Debit(ctx, loyalty.Member(1), loyalty.AdjustmentAccount, tt.spend, "spend", "spent"); err != nil {
						t.Fatal(err)
					}
				}
				res, err := e.Orders.Unlink(ctx, 1)
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Customers) != 1 || res.Orders != 3 || res.Taken != tt.taken || res.Short != tt.short {
					t.Errorf("unlink: %+v, want 1 customer, 3 orders, %d taken back, %d short", res, tt.taken, tt.short)
				}
				e.WantBalance(t, 1, tt.own, 0)
				if _, err := e.Orders.Link(ctx, 2, victim); err != nil {
					t.Fatal(err)
				}
				e.WantBalance(t, 2, 230, tt.held2)
				st := e.Settlement(t, "V1")
				if st.Round != 1 || st.Member != 2 || st.Earned != 100 || len(st.Past) != 1 || st.Past[0].Member != 1 ||
					st.Past[0].Revoked+st.Past[0].Short != 100 {
					t.Errorf("settlement of V1: %+v", st)
				}
				mustSend(t, e, ev{ID: "V1", Customer: "cust-v", Amount: 100, Status: "cancelled"})
				e.WantBalance(t, 2, 130, min(tt.held2, 130))
				e.WantBalance(t, 1, tt.own, 0)
				e.Verify(t)
			})
		}
	})

	// OrderEventsWhileUnlinked: orders and refunds that arrive while nobody
	// has the customer pay no one, and are settled for whoever links it.
	t.Run("OrderEventsWhileUnlinked", func(t *testing.T) {
		e := s.hijacked(t)
		if _, err := e.Orders.Unlink(ctx, 1); err != nil {
			t.Fatal(err)
		}
		mustSend(t, e, ev{ID: "V2", Customer: "cust-v", Amount: 50, Status: "cancelled"})
		mustSend(t, e, ev{ID: "V4", Customer: "cust-v", Amount: 40})
		e.WantBalance(t, 1, 30, 0)
		if _, err := e.Orders.Link(ctx, 2, victim); err != nil {
			t.Fatal(err)
		}
		e.WantBalance(t, 2, 100+80+40, 100+80+40)
		if st := e.Settlement(t, "V2"); st.Round != 1 || st.Earned != 0 || st.Note == "" {
			t.Errorf("V2, cancelled while unlinked: %+v, want no points in round 1", st)
		}
		e.Verify(t)
	})

	// RoundsAreIndependent links, unlinks and links again: each round pays
	// and takes back under its own keys.
	t.Run("RoundsAreIndependent", func(t *testing.T) {
		e := s.hijacked(t)
		for round := 1; round <= 2; round++ {
			if _, err := e.Orders.Unlink(ctx, 1); err != nil {
				t.Fatal(err)
			}
			e.WantBalance(t, 1, 30, 0)
			if _, err := e.Orders.Link(ctx, 1, victim); !errors.Is(err, orders.ErrUnlinkedByManager) {
				t.Fatalf("relink by e-mail after a manager's unlink: %v", err)
			}
			// The shop's one-time code still proves it: round n pays again.
			code := fmt.Sprint("CODE-V-", round)
			if _, err := e.Orders.Ingest(ctx, orders.Order{ID: fmt.Sprint("V-code-", round), Customer: "cust-v", Amount: 0,
				Created: e.Clock.Now().Add(-time.Hour), Status: orders.Paid}, orders.Contact{LinkCode: code}); err != nil {
				t.Fatal(err)
			}
			if _, err := e.Orders.Link(ctx, 1, code); err != nil {
				t.Fatal(err)
			}
			e.WantBalance(t, 1, 260, 230)
			if st := e.Settlement(t, "V3"); st.Round != round || st.Earned != 100 || st.Taken != 20 {
				t.Errorf("round %d: V3 %+v", round, st)
			}
		}
		res, err := e.Orders.Unlink(ctx, 1)
		if err != nil || res.Taken != 230 {
			t.Fatalf("third unlink: %+v %v", res, err)
		}
		if _, err := e.Orders.Link(ctx, 2, victim); err != nil {
			t.Fatal(err)
		}
		e.WantBalance(t, 1, 30, 0)
		e.WantBalance(t, 2, 230, 230)
		e.Verify(t)
		if res, err := e.Orders.Unlink(ctx, 7); err != nil || len(res.Customers) != 0 || res.Taken != 0 {
			t.Errorf("unlinking a member with no links: %+v %v, want nothing", res, err)
		}
	})

	// MergedMember: points a folded chat account earned are taken back when
	// a manager unlinks the member it was folded into.
	t.Run("MergedMember", func(t *testing.T) {
		e := s.hijacked(t)
		if err := e.Orders.Merge(ctx, 1, 5); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Ledger.Merge(ctx, "link:1:5", loyalty.Member(1), loyalty.Member(5)); err != nil {
			t.Fatal(err)
		}
		e.WantBalance(t, 5, 260, 230)
		res, err := e.Orders.Unlink(ctx, 5, 1)
		if err != nil || res.Taken != 230 {
			t.Fatalf("unlink: %+v %v, want 230 taken back", res, err)
		}
		e.WantBalance(t, 5, 30, 0)
		if _, err := e.Orders.Link(ctx, 2, victim); err != nil {
			t.Fatal(err)
		}
		e.WantBalance(t, 2, 230, 230)
		e.Verify(t)
	})

	// ErasedKeepsOrdersPaid: an erasure forfeits the member's points and
	// unlinks without a new round, so linking the customer again pays
	// nothing twice.
	t.Run("ErasedKeepsOrdersPaid", func(t *testing.T) {
		e := s.hijacked(t)
		if _, err := e.Ledger.Forfeit(ctx, "forfeit:1", loyalty.Member(1), loyalty.AdjustmentAccount, "erased"); err != nil {
			t.Fatal(err)
		}
		cs, err := e.Orders.UnlinkErased(ctx, 1)
		if err != nil || len(cs) != 1 {
			t.Fatalf("unlink erased: %v %v", cs, err)
		}
		if _, err := e.Orders.Link(ctx, 2, victim); err != nil {
			t.Fatal(err)
		}
		e.WantBalance(t, 2, 0, 0)
		if st := e.Settlement(t, "V1"); st.Round != 0 || st.Member != 1 {
			t.Errorf("settlement after an erasure: %+v, want round 0, member 1's", st)
		}
		e.Verify(t)
	})

	// ConcurrentOrders unlinks while new orders of the customer arrive:
	// whichever side of the unlink each lands on, the unlinked member keeps
	// none of their points and the member who links next gets them all.
	t.Run("ConcurrentOrders", func(t *testing.T) {
		for run := range 10 {
			e := s.hijacked(t)
			var wg sync.WaitGroup
			for i := range 20 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					o := orders.Order{ID: fmt.Sprintf("N%d", i), Customer: "cust-v", Created: Start.Add(-time.Hour), Amount: 1000, Status: orders.Paid}
					if _, err := e.Orders.Ingest(ctx, o, orders.Contact{}); err != nil {
						t.Error(err)
					}
				}()
			}
			if _, err := e.Orders.Unlink(ctx, 1); err != nil {
				t.Fatal(err)
			}
			wg.Wait()
			if n, err := e.Orders.Resume(ctx); err != nil || n != 0 {
				t.Errorf("run %d: Resume found %d orders to finish (%v)", run, n, err)
			}
			e.WantBalance(t, 1, 30, 0)
			if _, err := e.Orders.Link(ctx, 2, victim); err != nil {
				t.Fatal(err)
			}
			e.WantBalance(t, 2, 230+20*10, 230+20*10)
			e.Verify(t)
		}
	})

	// WhileSettling runs a manager's unlink between the steps of an order's
	// settlement (the unlink's transaction commits while the settlement is
	// under way): the settlement must not write over the revocation, so the
	// unlinked member keeps none of the order's points.
	t.Run("WhileSettling", func(t *testing.T) {
		tests := []struct {
			name string
			step int
			o    orders.Order
		}{
			{"new_order_after_credit", 2, orders.Order{ID: "V9", Amount: 4000, Status: orders.Paid}},
			{"refund_before_clawback", 3, orders.Order{ID: "V1", Amount: 10000, Refunded: 5000, Status: orders.Refunded}},
			{"refund_before_done", 4, orders.Order{ID: "V1", Amount: 10000, Refunded: 5000, Status: orders.Refunded}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var e *Env
				armed, committed := false, make(chan struct{})
				unlinked := make(chan error, 1)
				hook := func(op string, n int) error {
					switch {
					case armed && op == "settle" && n == tt.step:
						armed = false
						go func() {
							_, err := e.Orders.Unlink(ctx, 1)
							unlinked <- err
						}()
						<-committed // the unlink's transaction is in; it waits for this order's lock
					case op == "unlink" && n == 1:
						close(committed)
					}
					return nil
				}
				e = s.env(t, func(c *orders.Config) { c.Salt, c.StepHook = "s", hook })
				contact := orders.Contact{Email: victim, EmailVerified: true}
				if _, err := e.Orders.Ingest(ctx, orders.Order{ID: "V1", Customer: "cust-v", Created: Start.Add(-time.Hour), Amount: 10000, Status: orders.Paid}, contact); err != nil {
					t.Fatal(err)
				}
				if _, err := e.Orders.Link(ctx, 1, victim); err != nil {
					t.Fatal(err)
				}
				armed = true
				o := tt.o
				o.Customer, o.Created = "cust-v", Start.Add(-time.Hour)
				if _, err := e.Orders.Ingest(ctx, o, contact); err != nil {
					t.Fatal(err)
				}
				if err := <-unlinked; err != nil {
					t.Fatal(err)
				}
				e.WantBalance(t, 1, 0, 0)
				e.Verify(t)
				if _, err := e.Orders.Link(ctx, 2, victim); err != nil {
					t.Fatal(err)
				}
				want := int64(100 + 40)
				if tt.o.ID == "V1" {
					want = 50
				}
				e.WantBalance(t, 2, want, want)
				e.Verify(t)
			})
		}
	})
}
