package orders_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/loyalty"
	loyaltybolt "github.com/loyalbot/loyalbot/loyalty/bolt"
	"github.com/loyalbot/loyalbot/loyalty/bolt/bolttest"
	"github.com/loyalbot/loyalbot/loyalty/loyaltytest"
	"github.com/loyalbot/loyalbot/loyalty/orders"
	bolt "go.etcd.io/bbolt"
)

const victim = "victim@example.com"

// hijacked returns a rig where member 1 has 30 points of their own and
// then links, by knowing their verified e-mail, a customer whose orders
// earn 100 + 50 + (100 - 20 refunded) = 230 points, all held.
func hijacked(t *testing.T) *rig {
	t.Helper()
	r := newRig(t)
	if _, err := r.ledger.Credit(ctx, loyalty.Member(1), "checkin", 30, "own-points", "points of their own"); err != nil {
		t.Fatal(err)
	}
	for _, e := range []ev{
		{ID: "V1", Amount: 100},
		{ID: "V2", Amount: 50},
		{ID: "V3", Amount: 100, Status: "refunded", Refunded: 20},
	} {
		e.Customer, e.Email, e.EmailVerified = "cust-v", victim, true
		r.mustSend(t, e, 200)
	}
	if _, err := r.svc.Link(ctx, 1, victim); err != nil {
		t.Fatal(err)
	}
	r.wantBalance(t, 1, 30+230, 230)
	return r
}

func (r *rig) wantBalance(t *testing.T, member uint64, balance, held int64) {
	t.Helper()
	b, err := r.ledger.Balance(ctx, loyalty.Member(member))
	if err != nil {
		t.Fatal(err)
	}
	if b.Balance != balance || b.Held != held {
		t.Errorf("member %d: balance %d (%d held), want %d (%d held)", member, b.Balance, b.Held, balance, held)
	}
}

func (r *rig) verify(t *testing.T) {
	t.Helper()
	if err := r.ledger.Verify(ctx); err != nil {
		t.Error(err)
	}
	if err := r.svc.Verify(ctx); err != nil {
		t.Error(err)
	}
	if n, err := r.svc.Pending(ctx); n != 0 || err != nil {
		t.Errorf("%d orders unsettled (%v)", n, err)
	}
}

// TestUnlink_ManagerTakesBackPoints is the regression test for a manager's
// /shop unlink leaving a hijacker every point of someone else's orders,
// and the rightful member then linking the customer for nothing.
func TestUnlink_ManagerTakesBackPoints(t *testing.T) {
	r := hijacked(t)
	if _, err := r.svc.Unlink(ctx, 1); err != nil {
		t.Fatal(err)
	}
	r.wantBalance(t, 1, 30, 0)
	res, err := r.svc.Link(ctx, 2, victim)
	if err != nil || res.Orders != 3 {
		t.Fatalf("rightful member links: %+v %v", res, err)
	}
	r.wantBalance(t, 2, 230, 230)
	// A refund now takes back from the member who holds the points.
	r.mustSend(t, ev{ID: "V1", Customer: "cust-v", Amount: 100, Status: "refunded", Refunded: 50}, 200)
	r.wantBalance(t, 2, 180, 180)
	r.wantBalance(t, 1, 30, 0)
	r.verify(t)
	// The return window ends: the points are the rightful member's to spend.
	r.clock.Advance(15 * 24 * time.Hour)
	r.wantBalance(t, 2, 180, 0)
	r.wantBalance(t, 1, 30, 0)
}

// TestUnlink_TakesBackLikeRefunds checks where an unlink takes the points
// from: the orders' holds inside the return window, what the member has
// after it, and a shortfall for what they spent; then the rightful member
// is paid afresh and a later cancellation takes back from them.
func TestUnlink_TakesBackLikeRefunds(t *testing.T) {
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
			r := hijacked(t)
			r.clock.Advance(tt.after)
			if tt.spend > 0 {
				if _, err := r.ledger.Debit(ctx, loyalty.Member(1), loyalty.AdjustmentAccount, tt.spend, "spend", "spent"); err != nil {
					t.Fatal(err)
				}
			}
			res, err := r.svc.Unlink(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Customers) != 1 || res.Orders != 3 || res.Taken != tt.taken || res.Short != tt.short {
				t.Errorf("unlink: %+v, want 1 customer, 3 orders, %d taken back, %d short", res, tt.taken, tt.short)
			}
			r.wantBalance(t, 1, tt.own, 0)
			if _, err := r.svc.Link(ctx, 2, victim); err != nil {
				t.Fatal(err)
			}
			r.wantBalance(t, 2, 230, tt.held2)
			st := r.settlement(t, "V1")
			if st.Round != 1 || st.Member != 2 || st.Earned != 100 || len(st.Past) != 1 || st.Past[0].Member != 1 ||
				st.Past[0].Revoked+st.Past[0].Short != 100 {
				t.Errorf("settlement of V1: %+v", st)
			}
			r.mustSend(t, ev{ID: "V1", Customer: "cust-v", Amount: 100, Status: "cancelled"}, 200)
			r.wantBalance(t, 2, 130, min(tt.held2, 130))
			r.wantBalance(t, 1, tt.own, 0)
			r.verify(t)
		})
	}
}

// TestUnlink_OrderEventsWhileUnlinked: orders and refunds that arrive while
// nobody has the customer pay no one, and are settled for whoever links it.
func TestUnlink_OrderEventsWhileUnlinked(t *testing.T) {
	r := hijacked(t)
	if _, err := r.svc.Unlink(ctx, 1); err != nil {
		t.Fatal(err)
	}
	r.mustSend(t, ev{ID: "V2", Customer: "cust-v", Amount: 50, Status: "cancelled"}, 200)
	r.mustSend(t, ev{ID: "V4", Customer: "cust-v", Amount: 40}, 200)
	r.wantBalance(t, 1, 30, 0)
	if _, err := r.svc.Link(ctx, 2, victim); err != nil {
		t.Fatal(err)
	}
	r.wantBalance(t, 2, 100+80+40, 100+80+40)
	if st := r.settlement(t, "V2"); st.Round != 1 || st.Earned != 0 || st.Note == "" {
		t.Errorf("V2, cancelled while unlinked: %+v, want no points in round 1", st)
	}
	r.verify(t)
}

// TestUnlink_RoundsAreIndependent links, unlinks and links again: each
// round pays and takes back under its own keys.
func TestUnlink_RoundsAreIndependent(t *testing.T) {
	r := hijacked(t)
	for round := 1; round <= 2; round++ {
		if _, err := r.svc.Unlink(ctx, 1); err != nil {
			t.Fatal(err)
		}
		r.wantBalance(t, 1, 30, 0)
		if _, err := r.svc.Link(ctx, 1, victim); !errors.Is(err, orders.ErrUnlinkedByManager) {
			t.Fatalf("relink by e-mail after a manager's unlink: %v", err)
		}
		// The shop's one-time code still proves it: round n pays again.
		code := fmt.Sprint("CODE-V-", round)
		if _, err := r.svc.Ingest(ctx, orders.Order{ID: fmt.Sprint("V-code-", round), Customer: "cust-v", Amount: 0,
			Created: r.clock.Now().Add(-time.Hour), Status: orders.Paid}, orders.Contact{LinkCode: code}); err != nil {
			t.Fatal(err)
		}
		if _, err := r.svc.Link(ctx, 1, code); err != nil {
			t.Fatal(err)
		}
		r.wantBalance(t, 1, 260, 230)
		if st := r.settlement(t, "V3"); st.Round != round || st.Earned != 100 || st.Taken != 20 {
			t.Errorf("round %d: V3 %+v", round, st)
		}
	}
	res, err := r.svc.Unlink(ctx, 1)
	if err != nil || res.Taken != 230 {
		t.Fatalf("third unlink: %+v %v", res, err)
	}
	if _, err := r.svc.Link(ctx, 2, victim); err != nil {
		t.Fatal(err)
	}
	r.wantBalance(t, 1, 30, 0)
	r.wantBalance(t, 2, 230, 230)
	r.verify(t)
	if res, err := r.svc.Unlink(ctx, 7); err != nil || len(res.Customers) != 0 || res.Taken != 0 {
		t.Errorf("unlinking a member with no links: %+v %v, want nothing", res, err)
	}
}

// TestUnlink_MergedMember: points a folded chat account earned are taken
// back when a manager unlinks the member it was folded into.
func TestUnlink_MergedMember(t *testing.T) {
	r := hijacked(t)
	if err := r.svc.Merge(ctx, 1, 5); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ledger.Merge(ctx, "link:1:5", loyalty.Member(1), loyalty.Member(5)); err != nil {
		t.Fatal(err)
	}
	r.wantBalance(t, 5, 260, 230)
	res, err := r.svc.Unlink(ctx, 5, 1)
	if err != nil || res.Taken != 230 {
		t.Fatalf("unlink: %+v %v, want 230 taken back", res, err)
	}
	r.wantBalance(t, 5, 30, 0)
	if _, err := r.svc.Link(ctx, 2, victim); err != nil {
		t.Fatal(err)
	}
	r.wantBalance(t, 2, 230, 230)
	r.verify(t)
}

// TestUnlinkErased_KeepsOrdersPaid: an erasure forfeits the member's points
// and unlinks without a new round, so linking the customer again pays
// nothing twice.
func TestUnlinkErased_KeepsOrdersPaid(t *testing.T) {
	r := hijacked(t)
	if _, err := r.ledger.Forfeit(ctx, "forfeit:1", loyalty.Member(1), loyalty.AdjustmentAccount, "erased"); err != nil {
		t.Fatal(err)
	}
	cs, err := r.svc.UnlinkErased(ctx, 1)
	if err != nil || len(cs) != 1 {
		t.Fatalf("unlink erased: %v %v", cs, err)
	}
	if _, err := r.svc.Link(ctx, 2, victim); err != nil {
		t.Fatal(err)
	}
	r.wantBalance(t, 2, 0, 0)
	if st := r.settlement(t, "V1"); st.Round != 0 || st.Member != 1 {
		t.Errorf("settlement after an erasure: %+v, want round 0, member 1's", st)
	}
	r.verify(t)
}

// TestUnlink_CrashPoints stops a manager's unlink at each of its steps, as
// a crash would — also with an order whose settlement a crash left half
// done before — reopens the database, runs Resume and checks the outcome an
// uninterrupted run reaches.
func TestUnlink_CrashPoints(t *testing.T) {
	type crashPoint struct {
		op   string
		step int
		// halfSettled: a crash stopped the settlement of an order V4 after
		// its credit; refund: one stopped the settlement of a refund of V1.
		halfSettled, refund bool
	}
	var points []crashPoint
	for step := 1; step <= 3; step++ {
		for _, half := range []bool{false, true} {
			points = append(points, crashPoint{op: "unlink", step: step, halfSettled: half, refund: half})
		}
	}
	points = append(points,
		crashPoint{op: "settle", step: 1, halfSettled: true}, // finishing V4: before its credit (replayed)
		crashPoint{op: "settle", step: 2, halfSettled: true}, // finishing V4: after its credit
		crashPoint{op: "settle", step: 3, refund: true},      // finishing the refund of V1
	)
	for _, at := range points {
		t.Run(fmt.Sprintf("%s%d_halfsettled_%v_refund_%v", at.op, at.step, at.halfSettled, at.refund), func(t *testing.T) {
			path := t.TempDir() + "/orders.db"
			clk := loyaltytest.NewClock(t0)
			var crashOp string
			var crashStep int
			fired := false
			open := func() (*bolt.DB, *loyalty.Ledger, *orders.Service) {
				db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
				if err != nil {
					t.Fatal(err)
				}
				store, err := loyaltybolt.Open(db)
				if err != nil {
					t.Fatal(err)
				}
				l, err := loyalty.Open(store, loyalty.Config{Now: clk.Now})
				if err != nil {
					t.Fatal(err)
				}
				svc, err := orders.New(db, l, orders.Config{Salt: "s", Now: clk.Now, StepHook: func(op string, n int) error {
					if op == crashOp && n == crashStep {
						crashOp, fired = "", true
						return errors.New("crash")
					}
					return nil
				}}, nil)
				if err != nil {
					t.Fatal(err)
				}
				return db, l, svc
			}
			db, l, svc := open()
			ingest := func(id string, amount, refunded int64, status orders.Status) error {
				_, err := svc.Ingest(ctx, orders.Order{ID: id, Customer: "cust-v", Created: t0.Add(-time.Hour), Amount: amount,
					Refunded: refunded, Status: status}, orders.Contact{Email: victim, EmailVerified: true})
				return err
			}
			for _, o := range []struct {
				id               string
				amount, refunded int64
				status           orders.Status
			}{{"V1", 10000, 0, orders.Paid}, {"V2", 5000, 0, orders.Paid}, {"V3", 10000, 2000, orders.Refunded}} {
				if err := ingest(o.id, o.amount, o.refunded, o.status); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := svc.Link(ctx, 1, victim); err != nil {
				t.Fatal(err)
			}
			want := int64(230)
			if at.halfSettled { // credited, then the crash: the settlement is not recorded
				crashOp, crashStep = "settle", 2
				if err := ingest("V4", 4000, 0, orders.Paid); err == nil {
					t.Fatal("no crash while settling V4")
				}
				want += 40
			}
			if at.refund {
				// A refund waits to be settled when the unlink runs.
				crashOp, crashStep = "settle", 3
				if err := ingest("V1", 10000, 5000, orders.Refunded); err == nil {
					t.Fatal("no crash while settling the refund of V1")
				}
				want -= 50
			}
			crashOp, crashStep, fired = at.op, at.step, false
			if _, err := svc.Unlink(ctx, 1); err == nil || !fired {
				t.Fatalf("unlink did not stop at %s step %d: %v", at.op, at.step, err)
			}
			l.Close()
			db.Close()

			db, l, svc = open()
			defer db.Close()
			defer l.Close()
			if _, err := svc.Resume(ctx); err != nil {
				t.Fatal(err)
			}
			r := &rig{db: db, ledger: l, svc: svc, clock: clk}
			r.verify(t)
			r.wantBalance(t, 1, 0, 0)
			if cs, _ := svc.CustomersOf(ctx, 1); len(cs) != 0 {
				t.Errorf("still linked: %v", cs)
			}
			if _, err := svc.Link(ctx, 2, victim); err != nil {
				t.Fatal(err)
			}
			r.wantBalance(t, 2, want, want)
			r.verify(t)
		})
	}
}

// TestOrders_ErrorsShowUnits is the regression test for webhook and CSV
// errors showing amounts in cents.
func TestOrders_ErrorsShowUnits(t *testing.T) {
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
	csv := "order_id,customer_id,created_at,amount,refunded_amount\no1,c1,2026-03-01,100,150\no2,c2,2026-03-01,NaN,0\n"
	rep, err := r.svc.Import(ctx, strings.NewReader(csv), orders.ImportOptions{})
	if err != nil || len(rep.Skipped) != 2 {
		t.Fatalf("import: %+v %v, want both rows skipped", rep, err)
	}
	if got := rep.Skipped[0].Reason; !strings.Contains(got, "amount 100.00, refunded 150.00") {
		t.Errorf("CSV row refunding more than paid: %q", got)
	}
	if got := rep.Skipped[1].Reason; !strings.Contains(got, `amount "NaN" is not a number`) {
		t.Errorf("CSV row with amount NaN: %q", got)
	}
}

// TestUnlink_Model drives random sequences of order events, links by two
// members and managers' unlinks, with the clock moving through the return
// window, and checks both members' points against the rules after each
// step: whoever holds the customer has the current round's points less
// what refunds took back; everyone else has none.
func TestUnlink_Model(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	for run := range 40 {
		r := newRig(t)
		created := r.clock.Now().Add(-time.Hour)
		amount := int64(1+rng.IntN(300)) * 100
		var (
			seen            bool  // the shop sent the order
			refunded        int64 // cents, as merged
			holder          uint64
			earned, decided = int64(0), false
		)
		decide := func() {
			if holder != 0 && seen && !decided {
				decided, earned = true, 0
				if refunded < amount {
					earned = amount / 100
				}
			}
		}
		var log []string
		unlinked := map[uint64]bool{} // members a manager unlinked the customer from
		for step := range 15 {
			switch k := rng.IntN(10); {
			case k < 5:
				status, ref := orders.Paid, int64(0)
				switch rng.IntN(4) {
				case 1, 2:
					status, ref = orders.Refunded, int64(rng.IntN(int(amount/100)+1))*100
				case 3:
					status = orders.Cancelled
				}
				o := orders.Order{ID: "M", Customer: "cust-m", Created: created, Amount: amount, Refunded: ref, Status: status}
				if _, err := r.svc.Ingest(ctx, o, orders.Contact{Email: victim, EmailVerified: true}); err != nil {
					t.Fatalf("seed %d run %d: %v: %v", seed, run, log, err)
				}
				seen = true
				total := ref
				if status == orders.Cancelled || status == orders.Refunded && ref == 0 {
					total = amount
				}
				refunded = max(refunded, total)
				log = append(log, fmt.Sprintf("%s refunded %d", status, ref))
			case k < 8:
				if !seen {
					continue // nothing to link by yet
				}
				m := uint64(1 + rng.IntN(2))
				_, err := r.svc.Link(ctx, m, victim)
				switch {
				case holder == 0 && unlinked[m]:
					// A manager unlinked m: the e-mail no longer links it for m.
					if !errors.Is(err, orders.ErrUnlinkedByManager) {
						t.Fatalf("seed %d run %d: %v: relink %d by e-mail: %v, want refused", seed, run, log, m, err)
					}
					log = append(log, fmt.Sprintf("relink %d refused", m))
					continue
				case holder == 0 && err != nil, holder != 0 && !errors.Is(err, orders.ErrLinkedElsewhere) && holder != m:
					t.Fatalf("seed %d run %d: %v: link %d: %v", seed, run, log, m, err)
				case holder == 0:
					holder = m
				}
				log = append(log, fmt.Sprintf("link %d", m))
			default:
				if holder == 0 {
					continue
				}
				if _, err := r.svc.Unlink(ctx, holder); err != nil {
					t.Fatalf("seed %d run %d: %v: unlink: %v", seed, run, log, err)
				}
				log = append(log, fmt.Sprintf("unlink %d", holder))
				unlinked[holder] = true
				holder, decided, earned = 0, false, 0
			}
			decide()
			for _, m := range []uint64{1, 2} {
				want := int64(0)
				if m == holder && decided && earned > 0 {
					want = earned - int64(math.Round(float64(earned)*float64(refunded)/float64(amount)))
				}
				held := want
				if !r.clock.Now().Before(created.Add(14 * 24 * time.Hour)) {
					held = 0
				}
				b, err := r.ledger.Balance(ctx, loyalty.Member(m))
				if err != nil {
					t.Fatal(err)
				}
				if b.Balance != want || b.Held != held {
					t.Fatalf("seed %d run %d step %d: %v: member %d has %+v, want %d (%d held)", seed, run, step, log, m, b, want, held)
				}
			}
			r.clock.Advance(time.Duration(rng.IntN(72)) * time.Hour)
		}
		r.verify(t)
	}
}

// TestUnlink_ConcurrentOrders unlinks while new orders of the customer
// arrive: whichever side of the unlink each lands on, the unlinked member
// keeps none of their points and the member who links next gets them all.
func TestUnlink_ConcurrentOrders(t *testing.T) {
	for run := range 10 {
		r := hijacked(t)
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				o := orders.Order{ID: fmt.Sprintf("N%d", i), Customer: "cust-v", Created: t0.Add(-time.Hour), Amount: 1000, Status: orders.Paid}
				if _, err := r.svc.Ingest(ctx, o, orders.Contact{}); err != nil {
					t.Error(err)
				}
			}()
		}
		if _, err := r.svc.Unlink(ctx, 1); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		if n, err := r.svc.Resume(ctx); err != nil || n != 0 {
			t.Errorf("run %d: Resume found %d orders to finish (%v)", run, n, err)
		}
		r.wantBalance(t, 1, 30, 0)
		if _, err := r.svc.Link(ctx, 2, victim); err != nil {
			t.Fatal(err)
		}
		r.wantBalance(t, 2, 230+20*10, 230+20*10)
		r.verify(t)
	}
}

// TestUnlink_WhileSettling runs a manager's unlink between the steps of an
// order's settlement (the unlink's transaction commits while the
// settlement is under way): the settlement must not write over the
// revocation, so the unlinked member keeps none of the order's points.
func TestUnlink_WhileSettling(t *testing.T) {
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
			clk := loyaltytest.NewClock(t0)
			db := bolttest.OpenDB(t)
			l := bolttest.OpenLedgerOn(t, db, loyalty.Config{Now: clk.Now})
			var svc *orders.Service
			armed, committed := false, make(chan struct{})
			unlinked := make(chan error, 1)
			hook := func(op string, n int) error {
				switch {
				case armed && op == "settle" && n == tt.step:
					armed = false
					go func() {
						_, err := svc.Unlink(ctx, 1)
						unlinked <- err
					}()
					<-committed // the unlink's transaction is in; it waits for this order's lock
				case op == "unlink" && n == 1:
					close(committed)
				}
				return nil
			}
			var err error
			if svc, err = orders.New(db, l, orders.Config{Salt: "s", Now: clk.Now, StepHook: hook}, nil); err != nil {
				t.Fatal(err)
			}
			r := &rig{db: db, ledger: l, svc: svc, clock: clk}
			contact := orders.Contact{Email: victim, EmailVerified: true}
			if _, err := svc.Ingest(ctx, orders.Order{ID: "V1", Customer: "cust-v", Created: t0.Add(-time.Hour), Amount: 10000, Status: orders.Paid}, contact); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Link(ctx, 1, victim); err != nil {
				t.Fatal(err)
			}
			armed = true
			o := tt.o
			o.Customer, o.Created = "cust-v", t0.Add(-time.Hour)
			if _, err := svc.Ingest(ctx, o, contact); err != nil {
				t.Fatal(err)
			}
			if err := <-unlinked; err != nil {
				t.Fatal(err)
			}
			r.wantBalance(t, 1, 0, 0)
			r.verify(t)
			if _, err := svc.Link(ctx, 2, victim); err != nil {
				t.Fatal(err)
			}
			want := int64(100 + 40)
			if tt.o.ID == "V1" {
				want = 50
			}
			r.wantBalance(t, 2, want, want)
			r.verify(t)
		})
	}
}
