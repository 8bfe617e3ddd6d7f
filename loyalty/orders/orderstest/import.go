package orderstest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/loyalty/orders"
)

// importFile is a CSV export of n customers' orders, each customer linked
// to a member of their own: customer c<i> (member i+1) has an order inside
// the return window (h<i>, 10+i units), one past it (p<i>, 20+i), one too
// old to earn (old<i>, 50) and, for the first refunded customers, a
// refunded one (r<i>: 100, 40 refunded). The last customer also has order
// dup twice: paid 100, then 50 of it refunded.
type importFile struct {
	n, refunded, rows int
	csv               string
}

func newImportFile(e *Env, n, refunded int) *importFile {
	var b strings.Builder
	b.WriteString("order_id,customer_id,created_at,amount,status,refunded_amount\n")
	f := &importFile{n: n, refunded: refunded}
	row := func(id string, i int, at time.Time, amount int, status string, refunded int) {
		fmt.Fprintf(&b, "%s,c%d,%s,%d,%s,%d\n", id, i, at.Format(time.RFC3339), amount, status, refunded)
		f.rows++
	}
	now := e.Clock.Now()
	for i := range n {
		row(fmt.Sprint("h", i), i, now.Add(-24*time.Hour), 10+i, "paid", 0)
		row(fmt.Sprint("p", i), i, now.Add(-30*24*time.Hour), 20+i, "paid", 0)
		row(fmt.Sprint("old", i), i, now.AddDate(-2, 0, 0), 50, "paid", 0)
		if i < refunded {
			row(fmt.Sprint("r", i), i, now.Add(-30*24*time.Hour), 100, "refunded", 40)
		}
		if i == n-1 {
			row("dup", i, now.Add(-24*time.Hour), 100, "paid", 0)
			row("dup", i, now.Add(-24*time.Hour), 100, "refunded", 50)
		}
	}
	f.csv = b.String()
	return f
}

func (f *importFile) reader() *strings.Reader { return strings.NewReader(f.csv) }

// link links customer c<i> to member i+1 by a code a first, free order
// brought.
func (f *importFile) link(t *testing.T, e *Env) {
	t.Helper()
	for i := range f.n {
		o := orders.Order{ID: fmt.Sprint("seed", i), Customer: fmt.Sprint("c", i), Created: e.Clock.Now().Add(-time.Hour), Status: orders.Paid}
		if _, err := e.Orders.Ingest(ctx, o, orders.Contact{LinkCode: fmt.Sprint("K", i)}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Orders.Link(ctx, uint64(i+1), fmt.Sprint("K", i)); err != nil {
			t.Fatal(err)
		}
	}
}

// check checks every member's points against what the file earns them.
func (f *importFile) check(t *testing.T, e *Env) {
	t.Helper()
	f.checkFrom(t, e, 0)
}

// checkFrom is check from customer c<from> on.
func (f *importFile) checkFrom(t *testing.T, e *Env, from int) {
	t.Helper()
	for i := from; i < f.n; i++ {
		held := int64(10 + i)
		bal := held + int64(20+i)
		if i < f.refunded {
			bal += 60
		}
		if i == f.n-1 {
			bal, held = bal+50, held+50
		}
		if b := e.Balance(t, uint64(i+1)); b.Balance != bal || b.Held != held {
			t.Fatalf("member %d: balance %d (%d held), want %d (%d held)", i+1, b.Balance, b.Held, bal, held)
		}
	}
	for _, id := range []string{fmt.Sprint("h", from), fmt.Sprint("h", f.n-1)} {
		if st := e.Settlement(t, id); !st.Decided || st.Earned == 0 || st.Hold == 0 || st.HoldEnd.IsZero() {
			t.Errorf("settlement of %s: %+v, want points held through the return window", id, st)
		}
	}
	p := fmt.Sprint("p", f.n-1)
	if st := e.Settlement(t, p); !st.Decided || st.Earned != int64(20+f.n-1) || st.Hold != 0 {
		t.Errorf("settlement of %s: %+v, want %d points, not held", p, st, 20+f.n-1)
	}
	old := fmt.Sprint("old", f.n-1)
	if st := e.Settlement(t, old); !st.Decided || st.Earned != 0 || st.Note == "" {
		t.Errorf("settlement of %s: %+v, want no points and the reason", old, st)
	}
}

func (s suite) importCases(t *testing.T) {
	t.Run("Rows", func(t *testing.T) {
		e := s.env(t, nil)
		csv := "id,cust,date,total,status\n" +
			"o1,c1,2026-01-05,10.50,paid\n" +
			"o2,c1,2026-02-01,oops,paid\n" +
			"o3,,2026-02-02,5,paid\n" +
			"o4,c2,not-a-date,5,paid\n" +
			"o5,c2,2026-02-03,7,refunded\n"
		opt := orders.ImportOptions{Map: map[string]string{"order_id": "id", "customer_id": "cust", "created_at": "date", "amount": "total"}}
		rep, err := e.Orders.Import(ctx, strings.NewReader(csv), opt)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Rows != 5 || rep.Imported != 2 || len(rep.Skipped) != 3 || rep.Skipped[0].Line != 3 || rep.Skipped[2].Line != 5 {
			t.Errorf("report %+v", rep)
		}
		again, _ := e.Orders.Import(ctx, strings.NewReader(csv), opt)
		if ps, _ := e.Orders.Purchases(ctx); again.Imported != 2 || len(ps) != 1 {
			t.Errorf("re-import: %+v, %d purchases", again, len(ps))
		}
		if _, err := e.Orders.Import(ctx, strings.NewReader(csv), orders.ImportOptions{Map: opt.Map, Strict: true}); err == nil || !strings.Contains(err.Error(), "line 3") {
			t.Errorf("strict import: %v", err)
		}
		if _, err := e.Orders.Import(ctx, strings.NewReader(csv), orders.ImportOptions{}); err == nil || !strings.Contains(err.Error(), `no "order_id" column`) {
			t.Errorf("missing column: %v", err)
		}
		if ps, _ := e.Orders.Purchases(ctx); len(ps) != 1 || ps[0].Amount != 10.5 {
			t.Errorf("purchases %+v (refunded orders excluded)", ps)
		}
	})

	// Formats is the regression test for CSV files as shops export them: a
	// byte-order mark, semicolons or tabs, contacts and link codes, and an
	// unterminated quote named by its line.
	t.Run("Formats", func(t *testing.T) {
		for name, sep := range map[string]string{"comma": ",", "semicolon": ";", "tab": "\t"} {
			t.Run(name, func(t *testing.T) {
				e := s.env(t, nil)
				rows := [][]string{
					{"order_id", "customer_id", "created_at", "amount", "email", "email_verified", "link_code"},
					{"o1", "c1", "2026-03-01", "10.50", "a@example.com", "true", ""},
					{"o2", "c2", "2026-03-02", "7", "b@example.com", "", "K-2"},
				}
				var b strings.Builder
				b.WriteString("\ufeff")
				for _, row := range rows {
					b.WriteString(strings.Join(row, sep) + "\n")
				}
				rep, err := e.Orders.Import(ctx, strings.NewReader(b.String()), orders.ImportOptions{})
				if err != nil || rep.Imported != 2 {
					t.Fatalf("import %+v %v", rep, err)
				}
				if _, err := e.Orders.Link(ctx, 1, "a@example.com"); err != nil {
					t.Errorf("verified e-mail column: %v", err)
				}
				if _, err := e.Orders.Link(ctx, 2, "b@example.com"); !errors.Is(err, orders.ErrUnknown) {
					t.Errorf("unverified e-mail column linked: %v", err)
				}
				if res, err := e.Orders.Link(ctx, 2, "K-2"); err != nil || res.Customer != "c2" {
					t.Errorf("link_code column: %+v %v", res, err)
				}
			})
		}
		e := s.env(t, nil)
		csv := "order_id,customer_id,created_at,amount\no1,c1,2026-03-01,5\no2,\"c2,2026-03-02,5\no3,c3,2026-03-03,5\n"
		_, err := e.Orders.Import(ctx, strings.NewReader(csv), orders.ImportOptions{})
		if err == nil || !strings.Contains(err.Error(), "line 3") || !strings.Contains(err.Error(), "quote") {
			t.Errorf("unterminated quote: %v, want an error naming line 3", err)
		}
	})

	// Linked imports the orders of linked customers, more than one batch
	// of them, inside the return window and past it, too old, refunded and
	// repeated: each member earns what settling their orders one at a time
	// would, and importing the file again changes nothing.
	t.Run("Linked", func(t *testing.T) {
		e := s.env(t, nil)
		f := newImportFile(e, 400, 30)
		f.link(t, e)
		rep, err := e.Orders.Import(ctx, f.reader(), orders.ImportOptions{})
		if err != nil || rep.Rows != f.rows || rep.Imported != f.rows {
			t.Fatalf("import: %+v %v, want %d rows imported", rep, err, f.rows)
		}
		f.check(t, e)
		e.Verify(t)
		if rep, err := e.Orders.Import(ctx, f.reader(), orders.ImportOptions{}); err != nil || rep.Imported != f.rows {
			t.Fatalf("import again: %+v %v", rep, err)
		}
		if n, err := e.Orders.Resume(ctx); err != nil || n != 0 {
			t.Errorf("resume after imports: %d %v, want nothing to do", n, err)
		}
		f.check(t, e)
	})

	// LinkedWhileUnlinking: a manager's unlink that commits while an
	// import's batch is being settled (credited, not yet saved) is not
	// written over: the member keeps none of the points, the others all
	// theirs.
	t.Run("LinkedWhileUnlinking", func(t *testing.T) {
		var e *Env
		armed, committed := false, make(chan struct{})
		unlinked := make(chan error, 1)
		e = s.env(t, func(c *orders.Config) {
			c.StepHook = func(op string, n int) error {
				switch {
				case armed && op == "settle" && n == 2:
					armed = false
					go func() {
						_, err := e.Orders.Unlink(ctx, 1)
						unlinked <- err
					}()
					<-committed // the unlink's transaction is in; it waits for the batch's locks
				case op == "unlink" && n == 1:
					close(committed)
				}
				return nil
			}
		})
		f := newImportFile(e, 5, 0) // member 1 on the fast path: no refunds
		f.link(t, e)
		armed = true
		if _, err := e.Orders.Import(ctx, f.reader(), orders.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := <-unlinked; err != nil {
			t.Fatal(err)
		}
		e.WantBalance(t, 1, 0, 0)
		f.checkFrom(t, e, 1)
		e.Verify(t)
	})
}
