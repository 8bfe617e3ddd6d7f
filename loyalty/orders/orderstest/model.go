package orderstest

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/loyalty"
	"github.com/loyalbot/loyalbot/loyalty/orders"
)

// model is the reference for one order's effect on a member's points: the
// rules in plain arithmetic, with no ledger, holds or keys.
type model struct {
	amount    int64 // cents; 0 until the first paid event
	refunded  int64 // cents, cumulative, monotonic
	earned    int64 // points credited
	taken     int64 // points taken back
	cancelled bool
}

func (m *model) apply(status string, amount, refunded int64) {
	if m.amount == 0 {
		m.amount = amount
		if status == "paid" || refunded < amount {
			m.earned = amount / 100 // tier Leaf: 1 point per unit
		}
		if status == "cancelled" || status == "refunded" && refunded == 0 {
			m.earned = 0 // never settled as paid
		}
	}
	r := refunded
	if status == "cancelled" || status == "refunded" && refunded == 0 {
		r = m.amount
	}
	if r > m.refunded {
		m.refunded = r
	}
	if m.earned > 0 {
		m.taken = int64(math.Round(float64(m.earned) * float64(m.refunded) / float64(m.amount)))
	}
}

func (s suite) modelCases(t *testing.T) {
	// Orders drives random event sequences — paid, redelivered, partial
	// refunds in any order, refunds after the return window,
	// cancellations, conflicting amounts — through Ingest with the clock
	// moving, and checks every outcome (accepted, or refused as a
	// conflict) and the member's balance, held points and available
	// points against the model after each event.
	t.Run("Orders", func(t *testing.T) {
		seed := uint64(time.Now().UnixNano())
		t.Logf("seed %d", seed)
		rng := rand.New(rand.NewPCG(seed, 12))
		for run := range 60 {
			e := s.linked(t)
			id := "M" + strconv.Itoa(run)
			amount := int64(1+rng.IntN(500)) * 100
			m := &model{}
			created := e.Clock.Now()
			windowEnd := created.Add(14 * 24 * time.Hour)
			var log []string
			for step := range 12 {
				var x ev
				conflict := false
				switch k := rng.IntN(10); {
				case k < 3:
					x = ev{ID: id, Amount: float64(amount) / 100, Status: "paid"}
				case k < 7:
					refund := int64(rng.IntN(int(amount/100)+1)) * 100
					x = ev{ID: id, Amount: float64(amount) / 100, Status: "refunded", Refunded: float64(refund) / 100}
				case k < 8:
					x = ev{ID: id, Amount: float64(amount) / 100, Status: "cancelled"}
				default:
					if m.amount == 0 {
						x = ev{ID: id, Amount: float64(amount) / 100, Status: "paid"}
					} else {
						x, conflict = ev{ID: id, Amount: float64(amount)/100 + 1, Status: "paid"}, true
					}
				}
				x.Created = created
				_, err := send(e, x)
				log = append(log, fmt.Sprintf("%s %.2f refunded %.2f → %v", x.Status, x.Amount, x.Refunded, err))
				if conflict != errors.Is(err, orders.ErrConflict) || !conflict && err != nil {
					t.Fatalf("seed %d run %d step %d: %v: got %v, want conflict %v", seed, run, step, log, err, conflict)
				}
				if !conflict {
					ref := int64(math.Round(x.Refunded * 100))
					m.apply(x.Status, amount, ref)
				}
				b := e.Balance(t, 1)
				wantBal := m.earned - m.taken
				wantHeld := wantBal
				if !e.Clock.Now().Before(windowEnd) {
					wantHeld = 0
				}
				if b.Balance != wantBal || b.Held != wantHeld || b.Available != wantBal-wantHeld {
					t.Fatalf("seed %d run %d step %d: %v: balance %+v, model says %d (held %d)", seed, run, step, log, b, wantBal, wantHeld)
				}
				e.Clock.Advance(time.Duration(rng.IntN(72)) * time.Hour)
			}
			if err := e.Orders.Verify(ctx); err != nil {
				t.Fatal(err)
			}
		}
	})

	// Unlink drives random sequences of order events, links by two members
	// and managers' unlinks, with the clock moving through the return
	// window, and checks both members' points against the rules after each
	// step: whoever holds the customer has the current round's points less
	// what refunds took back; everyone else has none.
	t.Run("Unlink", func(t *testing.T) {
		seed := uint64(time.Now().UnixNano())
		t.Logf("seed %d", seed)
		rng := rand.New(rand.NewPCG(seed, 7))
		for run := range 40 {
			e := s.env(t, nil)
			created := e.Clock.Now().Add(-time.Hour)
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
					if _, err := e.Orders.Ingest(ctx, o, orders.Contact{Email: victim, EmailVerified: true}); err != nil {
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
					_, err := e.Orders.Link(ctx, m, victim)
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
					if _, err := e.Orders.Unlink(ctx, holder); err != nil {
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
					if !e.Clock.Now().Before(created.Add(14 * 24 * time.Hour)) {
						held = 0
					}
					b, err := e.Ledger.Balance(ctx, loyalty.Member(m))
					if err != nil {
						t.Fatal(err)
					}
					if b.Balance != want || b.Held != held {
						t.Fatalf("seed %d run %d step %d: %v: member %d has %+v, want %d (%d held)", seed, run, step, log, m, b, want, held)
					}
				}
				e.Clock.Advance(time.Duration(rng.IntN(72)) * time.Hour)
			}
			e.Verify(t)
		}
	})
}
