package orderstest

import (
	"fmt"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/loyalty/orders"
)

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (s suite) crashCases(t *testing.T) {
	// Settle stops a settlement at each of its steps, as a crash would,
	// restarts (reopening the store), runs Resume and checks that the
	// outcome is the one an uninterrupted run reaches.
	t.Run("Settle", func(t *testing.T) {
		events := []ev{
			{ID: "C1", Amount: 200},
			{ID: "C1", Amount: 200, Status: "refunded", Refunded: 50},
			{ID: "C1", Amount: 200, Status: "refunded", Refunded: 120},
			{ID: "C1", Amount: 200, Status: "cancelled"},
		}
		for ei := range events {
			for step := 1; step <= 4; step++ {
				t.Run(fmt.Sprintf("event%d_step%d", ei, step), func(t *testing.T) {
					crash := false
					e := s.env(t, func(c *orders.Config) {
						c.Salt = "s"
						c.StepHook = func(op string, n int) error {
							if crash && n == step {
								return errCrash
							}
							return nil
						}
					})
					ingest := func(x ev) error {
						o := orders.Order{ID: x.ID, Customer: "cust-7", Created: Start.Add(-time.Hour), Amount: int64(x.Amount * 100),
							Refunded: int64(x.Refunded * 100), Status: orders.Status(cmpOr(x.Status, "paid"))}
						_, err := e.Orders.Ingest(ctx, o, orders.Contact{LinkCode: "K"})
						return err
					}
					if err := ingest(ev{ID: "seed", Amount: 0.5}); err != nil {
						t.Fatal(err)
					}
					if _, err := e.Orders.Link(ctx, 1, "K"); err != nil {
						t.Fatal(err)
					}
					for i, x := range events[:ei+1] {
						crash = i == ei
						err := ingest(x)
						if crash && err == nil {
							// Some steps do not run for some events (no clawback on a paid event).
							continue
						}
						if !crash && err != nil {
							t.Fatal(err)
						}
					}
					cfg := e.Config
					cfg.StepHook = nil
					e.Restart(t, cfg)
					if _, err := e.Orders.Resume(ctx); err != nil {
						t.Fatal(err)
					}
					e.Verify(t)
					m := &model{}
					for _, x := range events[:ei+1] {
						m.apply(cmpOr(x.Status, "paid"), int64(x.Amount*100), int64(x.Refunded*100))
					}
					if b := e.Balance(t, 1); b.Balance != m.earned-m.taken || b.Held != b.Balance {
						t.Errorf("after crash and resume: %+v, want %d, all held", b, m.earned-m.taken)
					}
				})
			}
		}
	})

	// Unlink stops a manager's unlink at each of its steps, as a crash
	// would — also with an order whose settlement a crash left half done
	// before — restarts, runs Resume and checks the outcome an
	// uninterrupted run reaches.
	t.Run("Unlink", func(t *testing.T) {
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
				var crashOp string
				var crashStep int
				fired := false
				e := s.env(t, func(c *orders.Config) {
					c.Salt = "s"
					c.StepHook = func(op string, n int) error {
						if op == crashOp && n == crashStep {
							crashOp, fired = "", true
							return errCrash
						}
						return nil
					}
				})
				ingest := func(id string, amount, refunded int64, status orders.Status) error {
					_, err := e.Orders.Ingest(ctx, orders.Order{ID: id, Customer: "cust-v", Created: Start.Add(-time.Hour), Amount: amount,
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
				if _, err := e.Orders.Link(ctx, 1, victim); err != nil {
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
				if _, err := e.Orders.Unlink(ctx, 1); err == nil || !fired {
					t.Fatalf("unlink did not stop at %s step %d: %v", at.op, at.step, err)
				}
				e.Restart(t, e.Config)
				if _, err := e.Orders.Resume(ctx); err != nil {
					t.Fatal(err)
				}
				e.Verify(t)
				e.WantBalance(t, 1, 0, 0)
				if cs, _ := e.Orders.CustomersOf(ctx, 1); len(cs) != 0 {
					t.Errorf("still linked: %v", cs)
				}
				if _, err := e.Orders.Link(ctx, 2, victim); err != nil {
					t.Fatal(err)
				}
				e.WantBalance(t, 2, want, want)
				e.Verify(t)
			})
		}
	})

	// Import stops an import's settlement of a batch at each of its steps
	// (before the credits, after them, before the settlements are saved),
	// restarts, runs Resume and checks the outcome an uninterrupted import
	// reaches; importing the file again then changes nothing.
	t.Run("Import", func(t *testing.T) {
		for _, step := range []int{1, 2, 4} {
			t.Run(fmt.Sprint("step", step), func(t *testing.T) {
				armed := false
				e := s.env(t, func(c *orders.Config) {
					c.StepHook = func(op string, n int) error {
						if armed && op == "settle" && n == step {
							armed = false
							return errCrash
						}
						return nil
					}
				})
				f := newImportFile(e, 12, 3)
				f.link(t, e)
				armed = true
				if _, err := e.Orders.Import(ctx, f.reader(), orders.ImportOptions{}); err == nil || armed {
					t.Fatalf("import did not stop at step %d: %v", step, err)
				}
				if n, _ := e.Orders.Pending(ctx); n == 0 {
					t.Error("the interrupted import left no order marked unsettled")
				}
				e.Restart(t, e.Config)
				if n, err := e.Orders.Resume(ctx); err != nil || n == 0 {
					t.Fatalf("resume: %d %v", n, err)
				}
				e.Verify(t)
				f.check(t, e)
				if rep, err := e.Orders.Import(ctx, f.reader(), orders.ImportOptions{}); err != nil || rep.Imported != f.rows {
					t.Fatalf("import again: %+v %v", rep, err)
				}
				f.check(t, e)
			})
		}
	})
}
