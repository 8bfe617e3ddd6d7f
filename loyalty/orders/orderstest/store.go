package orderstest

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/loyalty/orders"
)

// storeCases check the Store contract itself: typed records round-trip,
// the indexes touch only their own keys and follow the records, walks run
// in order, a failed Update writes nothing, and a done context starts no
// transaction.
func (s suite) storeCases(t *testing.T) {
	update := func(t *testing.T, st orders.Store, fn func(tx orders.Tx) error) {
		t.Helper()
		if err := st.Update(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	view := func(t *testing.T, st orders.Store, fn func(tx orders.ReadTx) error) {
		t.Helper()
		if err := st.View(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	o := func(id, customer string) orders.Order {
		return orders.Order{ID: id, Customer: customer, Created: Start, Amount: 1234, Currency: "CNY", Status: orders.Paid}
	}

	t.Run("Orders", func(t *testing.T) {
		st := s.open(t)
		update(t, st, func(tx orders.Tx) error {
			for _, x := range []orders.Order{o("o2", "a"), o("o1", "a"), o("o3", "ab"), o("o4", "b")} {
				if err := tx.PutOrder(x); err != nil {
					return err
				}
			}
			x := o("o1", "a")
			x.Status, x.Refunded = orders.Refunded, 1000
			x.Source = &orders.Source{Currency: "USD", Amount: 171, Rate: 7.2}
			return tx.PutOrder(x) // replaces
		})
		view(t, st, func(tx orders.ReadTx) error {
			got, ok, err := tx.Order("o1")
			if err != nil || !ok || got.Refunded != 1000 || got.Status != orders.Refunded || got.Source == nil || got.Source.Rate != 7.2 ||
				!got.Created.Equal(Start) || got.Customer != "a" {
				t.Errorf("o1: %+v %v %v", got, ok, err)
			}
			if _, ok, err := tx.Order("nope"); ok || err != nil {
				t.Errorf("an unknown order: %v %v", ok, err)
			}
			var ids []string
			if err := tx.OrderIDsOf("a", func(id string) error { ids = append(ids, id); return nil }); err != nil {
				return err
			}
			if strings.Join(ids, ",") != "o1,o2" {
				t.Errorf("orders of a: %v, want o1,o2 (not ab's)", ids)
			}
			ids = nil
			if err := tx.Orders(func(o orders.Order) error { ids = append(ids, o.ID); return nil }); err != nil {
				return err
			}
			if strings.Join(ids, ",") != "o1,o2,o3,o4" {
				t.Errorf("all orders: %v, in id order", ids)
			}
			var index []string
			if err := tx.CustomerIndex(func(c, id string) error { index = append(index, c+"/"+id); return nil }); err != nil {
				return err
			}
			if strings.Join(index, ",") != "a/o1,a/o2,ab/o3,b/o4" {
				t.Errorf("customer index: %v", index)
			}
			stop := errors.New("stop")
			n := 0
			if err := tx.Orders(func(orders.Order) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
				t.Errorf("a walk fn's error: %v after %d calls, want it returned after 1", err, n)
			}
			return nil
		})
	})

	t.Run("Links", func(t *testing.T) {
		st := s.open(t)
		update(t, st, func(tx orders.Tx) error {
			for c, m := range map[string]uint64{"c1": 1, "c2": 1, "c3": 256, "c4": 2} {
				if err := tx.PutLink(c, m); err != nil {
					return err
				}
			}
			if err := tx.PutLink("c4", 1); err != nil { // moves to member 1
				return err
			}
			if err := tx.DeleteLink("c2"); err != nil {
				return err
			}
			return tx.DeleteLink("never-linked")
		})
		view(t, st, func(tx orders.ReadTx) error {
			of := func(m uint64) string {
				var cs []string
				if err := tx.CustomersOf(m, func(c string) error { cs = append(cs, c); return nil }); err != nil {
					t.Fatal(err)
				}
				return strings.Join(cs, ",")
			}
			if got := of(1); got != "c1,c4" {
				t.Errorf("customers of member 1: %q, want c1,c4", got)
			}
			if got := of(2); got != "" {
				t.Errorf("customers of member 2: %q, want none after c4 moved", got)
			}
			if got := of(256); got != "c3" {
				t.Errorf("customers of member 256: %q", got)
			}
			if m, ok, err := tx.Link("c4"); m != 1 || !ok || err != nil {
				t.Errorf("link of c4: %d %v %v", m, ok, err)
			}
			if _, ok, err := tx.Link("c2"); ok || err != nil {
				t.Errorf("link of c2 after DeleteLink: %v %v", ok, err)
			}
			var links, index []string
			if err := tx.Links(func(c string, m uint64) error { links = append(links, c+"="+itoa(m)); return nil }); err != nil {
				return err
			}
			if err := tx.MemberIndex(func(m uint64, c string) error { index = append(index, itoa(m)+"/"+c); return nil }); err != nil {
				return err
			}
			if strings.Join(links, ",") != "c1=1,c3=256,c4=1" || strings.Join(index, ",") != "1/c1,1/c4,256/c3" {
				t.Errorf("links %v, member index %v", links, index)
			}
			return nil
		})
	})

	t.Run("ContactsAndUnlinks", func(t *testing.T) {
		st := s.open(t)
		update(t, st, func(tx orders.Tx) error {
			for _, err := range []error{
				tx.PutContact("email:1", "c1", true),
				tx.PutContact("phone:2", "c2", false),
				tx.PutContact("code:3", "c3", true),
				tx.DeleteContact("code:3"),
				tx.PutUnlinked("c1", 7),
				tx.PutUnlinked("c1", 8),
				tx.DeleteUnlinked("c1", 8),
			} {
				if err != nil {
					return err
				}
			}
			return nil
		})
		view(t, st, func(tx orders.ReadTx) error {
			if c, v, ok, err := tx.ContactCustomer("email:1"); c != "c1" || !v || !ok || err != nil {
				t.Errorf("verified contact: %q %v %v %v", c, v, ok, err)
			}
			if c, v, ok, err := tx.ContactCustomer("phone:2"); c != "c2" || v || !ok || err != nil {
				t.Errorf("unverified contact: %q %v %v %v", c, v, ok, err)
			}
			if _, _, ok, err := tx.ContactCustomer("code:3"); ok || err != nil {
				t.Errorf("deleted contact: %v %v", ok, err)
			}
			for m, want := range map[uint64]bool{7: true, 8: false, 9: false} {
				if got, err := tx.Unlinked("c1", m); got != want || err != nil {
					t.Errorf("unlinked c1 from %d: %v %v, want %v", m, got, err, want)
				}
			}
			return nil
		})
	})

	t.Run("Settlements", func(t *testing.T) {
		st := s.open(t)
		want := orders.Settlement{Round: 1, Member: 2, Decided: true, Earned: 100, Hold: 9, HoldEnd: Start.Add(14 * 24 * time.Hour),
			Refunded: 3000, Taken: 30, Past: []orders.Settlement{{Member: 1, Decided: true, Earned: 100, Revoke: true, Revoked: 100}}}
		update(t, st, func(tx orders.Tx) error {
			for _, err := range []error{
				tx.PutSettlement("o1", want),
				tx.PutSettlement("o2", orders.Settlement{Decided: true, Note: "nothing paid"}),
				tx.MarkUnsettled("o3", 1),
				tx.MarkUnsettled("o1", 1),
				tx.MarkUnsettled("o1", 2), // replaces
				tx.MarkUnsettled("o2", 5),
				tx.ClearUnsettled("o2"),
				tx.ClearUnsettled("never-marked"),
			} {
				if err != nil {
					return err
				}
			}
			return nil
		})
		view(t, st, func(tx orders.ReadTx) error {
			got, ok, err := tx.Settlement("o1")
			if err != nil || !ok || got.Round != 1 || got.Member != 2 || got.Earned != 100 || got.Hold != 9 || !got.HoldEnd.Equal(want.HoldEnd) ||
				got.Taken != 30 || len(got.Past) != 1 || !got.Past[0].Revoke || got.Past[0].Revoked != 100 {
				t.Errorf("settlement: %+v %v %v, want %+v", got, ok, err, want)
			}
			if _, ok, err := tx.Settlement("o9"); ok || err != nil {
				t.Errorf("no settlement: %v %v", ok, err)
			}
			var ids []string
			if err := tx.Settlements(func(id string, _ orders.Settlement) error { ids = append(ids, id); return nil }); err != nil {
				return err
			}
			if !slices.Equal(ids, []string{"o1", "o2"}) {
				t.Errorf("settlements: %v", ids)
			}
			if m, ok, err := tx.Unsettled("o1"); m != 2 || !ok || err != nil {
				t.Errorf("mark of o1: %d %v %v, want member 2", m, ok, err)
			}
			if _, ok, err := tx.Unsettled("o2"); ok || err != nil {
				t.Errorf("cleared mark: %v %v", ok, err)
			}
			var marks []string
			if err := tx.UnsettledOrders(func(id string, m uint64) error { marks = append(marks, id+"="+itoa(m)); return nil }); err != nil {
				return err
			}
			if n, err := tx.UnsettledCount(); n != 2 || err != nil || strings.Join(marks, ",") != "o1=2,o3=1" {
				t.Errorf("marks %v, count %d %v", marks, n, err)
			}
			return nil
		})
	})

	t.Run("Rollback", func(t *testing.T) {
		st := s.open(t)
		boom := errors.New("boom")
		err := st.Update(ctx, func(tx orders.Tx) error {
			if err := tx.PutOrder(o("o1", "a")); err != nil {
				return err
			}
			if err := tx.PutLink("a", 1); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Update returned %v, want fn's error", err)
		}
		view(t, st, func(tx orders.ReadTx) error {
			if _, ok, _ := tx.Order("o1"); ok {
				t.Error("the rolled-back order is stored")
			}
			n := 0
			tx.OrderIDsOf("a", func(string) error { n++; return nil })
			tx.CustomersOf(1, func(string) error { n++; return nil })
			if n != 0 {
				t.Error("the rolled-back index entries are stored")
			}
			return nil
		})
		done, cancel := context.WithCancel(ctx)
		cancel()
		called := false
		if err := st.Update(done, func(orders.Tx) error { called = true; return nil }); !errors.Is(err, context.Canceled) || called {
			t.Errorf("Update with a done context: %v, fn called %v", err, called)
		}
		if err := st.View(done, func(orders.ReadTx) error { called = true; return nil }); !errors.Is(err, context.Canceled) || called {
			t.Errorf("View with a done context: %v, fn called %v", err, called)
		}
	})
}

func itoa(v uint64) string { return strconv.FormatUint(v, 10) }
