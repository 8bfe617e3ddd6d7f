// Package supporttest provides helpers for tests of customer service:
// conformance suites that any support.TicketStore and support.VectorStore
// must pass.
package supporttest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/community/support"
)

// start is the suite's clock at the beginning of each test.
var start = time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC)

// clock is a settable clock; safe for concurrent use.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// StoreSuite runs support's ticket rules — through support.Tickets, its
// public API — and the TicketStore contract over stores that open returns.
// open must return a store on fresh, empty storage each time it is called,
// closed when t ends.
func StoreSuite(t *testing.T, open func(t *testing.T) support.TicketStore) {
	t.Helper()
	ctx := context.Background()
	setup := func(t *testing.T) (*support.Tickets, support.TicketStore, *clock) {
		t.Helper()
		clk := &clock{t: start}
		st := open(t)
		return support.NewTickets(st, clk.now), st, clk
	}
	ask := func(member uint64, text string) support.Ticket {
		return support.Ticket{Member: member, Name: fmt.Sprint("member", member), Platform: "telegram", UserID: fmt.Sprint(100 + member),
			Turns: []support.Turn{{From: "member", Text: text, At: start}}}
	}
	mustOpen := func(t *testing.T, tks *support.Tickets, tk support.Ticket) support.Ticket {
		t.Helper()
		got, _, err := tks.Open(ctx, tk)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	ids := func(tks []support.Ticket) []uint64 {
		var out []uint64
		for _, tk := range tks {
			out = append(out, tk.ID)
		}
		return out
	}

	t.Run("Open_NewThenAdd", func(t *testing.T) {
		tks, _, clk := setup(t)
		got, isNew, err := tks.Open(ctx, ask(1, "where is my parcel?"))
		if err != nil || !isNew || got.ID == 0 || !got.Open || len(got.Turns) != 1 || !got.Created.Equal(start) || !got.Updated.Equal(start) {
			t.Fatalf("first open = %+v, new %v, %v", got, isNew, err)
		}
		clk.advance(time.Minute)
		again, isNew, err := tks.Open(ctx, ask(1, "hello?"))
		if err != nil || isNew || again.ID != got.ID || len(again.Turns) != 2 || again.Turns[1].Text != "hello?" ||
			!again.Created.Equal(start) || !again.Updated.Equal(start.Add(time.Minute)) {
			t.Fatalf("second open = %+v, new %v, %v; want turns added to #%d", again, isNew, err, got.ID)
		}
		other, isNew, err := tks.Open(ctx, ask(2, "hi"))
		if err != nil || !isNew || other.ID == got.ID {
			t.Fatalf("another member's open = %+v, new %v, %v", other, isNew, err)
		}
	})

	t.Run("OpenFor", func(t *testing.T) {
		tks, _, _ := setup(t)
		if _, ok, err := tks.OpenFor(ctx, 1); ok || err != nil {
			t.Fatalf("before any ticket: %v %v", ok, err)
		}
		a := mustOpen(t, tks, ask(1, "a"))
		mustOpen(t, tks, ask(2, "b"))
		if got, ok, err := tks.OpenFor(ctx, 1); !ok || err != nil || got.ID != a.ID || got.Member != 1 {
			t.Fatalf("open for 1 = %+v %v %v, want #%d", got, ok, err, a.ID)
		}
		if _, _, _, err := tks.Close(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if got, ok, err := tks.OpenFor(ctx, 1); ok || err != nil {
			t.Fatalf("after closing: %+v %v %v", got, ok, err)
		}
		b := mustOpen(t, tks, ask(1, "c"))
		if b.ID == a.ID || len(b.Turns) != 1 {
			t.Fatalf("after closing, open made %+v; want a new ticket", b)
		}
		if got, ok, err := tks.OpenFor(ctx, 1); !ok || err != nil || got.ID != b.ID {
			t.Fatalf("open for 1 = %+v %v %v, want #%d", got, ok, err, b.ID)
		}
	})

	t.Run("List", func(t *testing.T) {
		tks, _, _ := setup(t)
		var all []uint64
		for m := uint64(1); m <= 5; m++ {
			all = append(all, mustOpen(t, tks, ask(m, "q")).ID)
		}
		for _, id := range []uint64{all[1], all[3]} {
			if _, _, _, err := tks.Close(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []struct {
			name     string
			openOnly bool
			limit    int
			want     []uint64
		}{
			{"open", true, 20, []uint64{all[0], all[2], all[4]}},
			{"open_limit", true, 2, []uint64{all[0], all[2]}},
			{"all", false, 20, all},
			{"all_limit", false, 3, all[:3]},
			{"zero_limit", true, 0, nil},
		} {
			got, err := tks.List(ctx, c.openOnly, c.limit)
			if err != nil || !slices.Equal(ids(got), c.want) {
				t.Errorf("%s: %v %v, want %v", c.name, ids(got), err, c.want)
			}
			for _, tk := range got {
				if c.openOnly && !tk.Open {
					t.Errorf("%s: closed ticket #%d listed", c.name, tk.ID)
				}
			}
		}
	})

	t.Run("Reply", func(t *testing.T) {
		tks, _, clk := setup(t)
		tk := mustOpen(t, tks, ask(1, "q"))
		clk.advance(time.Hour)
		got, err := tks.Reply(ctx, tk.ID, "carol", "on its way")
		if err != nil || len(got.Turns) != 2 || got.Turns[1] != (support.Turn{From: "carol", Text: "on its way", At: start.Add(time.Hour), Staff: true}) ||
			!got.Updated.Equal(start.Add(time.Hour)) || got.Platform != "telegram" || got.UserID != "101" {
			t.Fatalf("reply = %+v, %v", got, err)
		}
		if of, _ := tks.Of(ctx, 1); len(of) != 1 || len(of[0].Turns) != 2 {
			t.Errorf("stored after reply: %+v", of)
		}
		if _, err := tks.Reply(ctx, tk.ID+100, "carol", "?"); !errors.Is(err, support.ErrNoTicket) {
			t.Errorf("reply to an unknown ticket: %v", err)
		}
	})

	t.Run("Close", func(t *testing.T) {
		tks, _, clk := setup(t)
		tk := mustOpen(t, tks, ask(1, "q"))
		clk.advance(time.Hour)
		got, _, _, err := tks.Close(ctx, tk.ID)
		if err != nil || got.Open || !got.Updated.Equal(start.Add(time.Hour)) {
			t.Fatalf("close = %+v, %v", got, err)
		}
		clk.advance(time.Hour)
		if _, _, _, err := tks.Close(ctx, tk.ID); !errors.Is(err, support.ErrClosed) {
			t.Errorf("close again: %v, want ErrClosed", err)
		}
		if of, _ := tks.Of(ctx, 1); len(of) != 1 || of[0].Open || !of[0].Updated.Equal(start.Add(time.Hour)) {
			t.Errorf("closing twice changed the ticket: %+v", of)
		}
		if _, _, _, err := tks.Close(ctx, tk.ID+100); !errors.Is(err, support.ErrNoTicket) {
			t.Errorf("close an unknown ticket: %v", err)
		}
	})

	t.Run("Of", func(t *testing.T) {
		tks, _, _ := setup(t)
		if got, err := tks.Of(ctx, 1); err != nil || len(got) != 0 {
			t.Fatalf("before any ticket: %v %v", got, err)
		}
		var want []uint64
		for i := range 3 {
			tk := mustOpen(t, tks, ask(1, fmt.Sprint("q", i)))
			want = append(want, tk.ID)
			mustOpen(t, tks, ask(2, "other"))
			if _, _, _, err := tks.Close(ctx, tk.ID); err != nil {
				t.Fatal(err)
			}
		}
		got, err := tks.Of(ctx, 1)
		if err != nil || !slices.Equal(ids(got), want) {
			t.Fatalf("of 1 = %v %v, want %v oldest first", ids(got), err, want)
		}
		for i, tk := range got {
			if tk.Member != 1 || tk.Turns[0].Text != fmt.Sprint("q", i) {
				t.Errorf("ticket %+v", tk)
			}
		}
		if got, err := tks.Of(ctx, 2); err != nil || len(got) != 1 || len(got[0].Turns) != 3 {
			t.Errorf("of 2 = %+v %v, want one ticket with three turns", got, err)
		}
	})

	t.Run("Erase", func(t *testing.T) {
		tks, _, _ := setup(t)
		a := mustOpen(t, tks, ask(1, "a"))
		if _, _, _, err := tks.Close(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		b := mustOpen(t, tks, ask(1, "b"))
		c := mustOpen(t, tks, ask(2, "c"))
		if err := tks.Erase(ctx, 1); err != nil {
			t.Fatal(err)
		}
		if got, err := tks.Of(ctx, 1); err != nil || len(got) != 0 {
			t.Errorf("after erase: %v %v", ids(got), err)
		}
		if _, ok, err := tks.OpenFor(ctx, 1); ok || err != nil {
			t.Errorf("open ticket after erase: %v %v", ok, err)
		}
		if got, err := tks.List(ctx, false, 20); err != nil || !slices.Equal(ids(got), []uint64{c.ID}) {
			t.Errorf("list after erase = %v %v, want [%d]", ids(got), err, c.ID)
		}
		if _, err := tks.Reply(ctx, b.ID, "carol", "hi"); !errors.Is(err, support.ErrNoTicket) {
			t.Errorf("reply to an erased ticket: %v", err)
		}
		if err := tks.Erase(ctx, 1); err != nil {
			t.Errorf("erase again: %v", err)
		}
		if n := mustOpen(t, tks, ask(1, "back")); n.ID == a.ID || n.ID == b.ID || n.ID == c.ID {
			t.Errorf("a ticket after erase reused id %d", n.ID)
		}
	})

	t.Run("Suggestions", func(t *testing.T) {
		tks, _, clk := setup(t)
		answered := func(member uint64, q, a string) support.Ticket {
			t.Helper()
			tk := mustOpen(t, tks, ask(member, q))
			if _, err := tks.Reply(ctx, tk.ID, "carol", a); err != nil {
				t.Fatal(err)
			}
			return tk
		}
		// Unanswered: nothing to learn.
		bare := mustOpen(t, tks, ask(1, "is anyone there at all"))
		if _, _, proposed, err := tks.Close(ctx, bare.ID); err != nil || proposed {
			t.Fatalf("closing an unanswered ticket proposed %v (%v)", proposed, err)
		}
		a := answered(1, "do you ship to Macau, member1?", "Yes, member1: Macau takes 5 days, see https://shop.example/o/55.")
		clk.advance(time.Minute)
		_, s, proposed, err := tks.Close(ctx, a.ID)
		if err != nil || !proposed || s.ID == 0 || s.Ticket != a.ID || s.Status != support.SuggestionPending || !s.Created.Equal(start.Add(time.Minute)) ||
			len(s.Questions) != 1 || s.Questions[0] != "do you ship to Macau, ***?" || s.Answer != "Yes, ***: Macau takes 5 days, see ***." || s.Lang != "en" {
			t.Fatalf("close proposed %+v %v (%v)", s, proposed, err)
		}
		b := answered(2, "积分可以转给朋友吗", "不可以，积分不能转让。")
		_, s2, _, err := tks.Close(ctx, b.ID)
		if err != nil || s2.ID <= s.ID || s2.Lang != "zh" {
			t.Fatalf("second suggestion %+v (%v)", s2, err)
		}
		list := func(status string) []uint64 {
			t.Helper()
			ss, err := tks.Suggestions(ctx, status, 10)
			if err != nil {
				t.Fatal(err)
			}
			var out []uint64
			for _, s := range ss {
				out = append(out, s.ID)
			}
			return out
		}
		if got := list(support.SuggestionPending); !slices.Equal(got, []uint64{s.ID, s2.ID}) {
			t.Errorf("pending %v, want [%d %d]", got, s.ID, s2.ID)
		}
		if _, err := tks.Decide(ctx, s.ID, true, "", 7); !errors.Is(err, support.ErrRedacted) {
			t.Errorf("accepting an answer with *** in it: %v, want ErrRedacted", err)
		}
		if got := list(support.SuggestionPending); len(got) != 2 {
			t.Errorf("a refused accept changed the suggestion: pending %v", got)
		}
		if got, err := tks.Decide(ctx, s.ID, true, "  Yes: Macau takes 5 working days.  ", 7); err != nil || got.Status != support.SuggestionAccepted ||
			got.Answer != "Yes: Macau takes 5 working days." || got.DecidedBy != 7 || !got.Decided.Equal(start.Add(time.Minute)) {
			t.Errorf("accept = %+v, %v", got, err)
		}
		if _, err := tks.Decide(ctx, s.ID, true, "", 7); !errors.Is(err, support.ErrDecided) {
			t.Errorf("accept twice: %v, want ErrDecided", err)
		}
		if _, err := tks.Decide(ctx, 999, false, "", 7); !errors.Is(err, support.ErrNoSuggestion) {
			t.Errorf("decide an unknown suggestion: %v", err)
		}
		learned, err := tks.Learned(ctx)
		if err != nil || len(learned) != 1 || learned[0].ID != support.LearnedID(s.ID) || learned[0].Answer["en"] != "Yes: Macau takes 5 working days." {
			t.Errorf("learned %+v (%v)", learned, err)
		}
		// Rejecting retires an accepted entry.
		if _, err := tks.Decide(ctx, s.ID, false, "", 8); err != nil {
			t.Fatal(err)
		}
		if learned, err := tks.Learned(ctx); err != nil || len(learned) != 0 {
			t.Errorf("a rejected suggestion is still learned: %+v %v", learned, err)
		}
		// Rephrasing puts the question in a manager's words.
		if got, err := tks.Rephrase(ctx, s2.ID, "  Can points be given to someone else?  "); err != nil || !got.Rephrased ||
			!slices.Equal(got.Questions, []string{"Can points be given to someone else?"}) {
			t.Errorf("rephrase = %+v, %v", got, err)
		}
		if _, err := tks.Rephrase(ctx, 999, "x"); !errors.Is(err, support.ErrNoSuggestion) {
			t.Errorf("rephrase an unknown suggestion: %v", err)
		}
		// Erasing a member takes the suggestions in their words, whatever
		// their status; a rephrased one is the brand's text and stays.
		for _, m := range []uint64{1, 2} {
			if err := tks.Erase(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
		if got := list(""); !slices.Equal(got, []uint64{s2.ID}) {
			t.Errorf("after erasing both members suggestions %v, want the rephrased [%d]", got, s2.ID)
		}
	})

	t.Run("Merge", func(t *testing.T) {
		tks, _, _ := setup(t)
		old := mustOpen(t, tks, ask(1, "old"))
		if _, _, _, err := tks.Close(ctx, old.ID); err != nil {
			t.Fatal(err)
		}
		from := mustOpen(t, tks, ask(1, "from"))
		to := mustOpen(t, tks, ask(2, "to"))
		newer := mustOpen(t, tks, ask(3, "later"))
		if err := tks.Merge(ctx, 3, 2); err != nil {
			t.Fatal(err)
		}
		if err := tks.Merge(ctx, 1, 2); err != nil {
			t.Fatal(err)
		}
		if got, err := tks.Of(ctx, 1); err != nil || len(got) != 0 {
			t.Errorf("from's tickets after merge: %v %v", ids(got), err)
		}
		got, err := tks.Of(ctx, 2)
		if err != nil || !slices.Equal(ids(got), []uint64{old.ID, from.ID, to.ID, newer.ID}) {
			t.Fatalf("to's tickets = %v %v", ids(got), err)
		}
		for _, tk := range got {
			if tk.Member != 2 {
				t.Errorf("ticket #%d has member %d", tk.ID, tk.Member)
			}
		}
		if got[1].Platform != "telegram" || got[1].UserID != "101" {
			t.Errorf("merged ticket lost where to reply: %+v", got[1])
		}
		// Both accounts had an open ticket: the newest is the one added to.
		if tk, ok, err := tks.OpenFor(ctx, 2); !ok || err != nil || tk.ID != newer.ID {
			t.Errorf("open for 2 = %+v %v %v, want #%d", tk, ok, err, newer.ID)
		}
		if tk, isNew, err := tks.Open(ctx, ask(2, "more")); err != nil || isNew || tk.ID != newer.ID {
			t.Errorf("open for 2 = #%d new %v %v, want added to #%d", tk.ID, isNew, err, newer.ID)
		}
		if err := tks.Merge(ctx, 1, 2); err != nil {
			t.Errorf("merge again: %v", err)
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		tks, _, _ := setup(t)
		var wg sync.WaitGroup
		var mu sync.Mutex
		fresh := 0
		for i := range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, isNew, err := tks.Open(ctx, ask(1, fmt.Sprint(i)))
				if err != nil {
					t.Error(err)
				}
				if isNew {
					mu.Lock()
					fresh++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		got, err := tks.Of(ctx, 1)
		if err != nil || fresh != 1 || len(got) != 1 || len(got[0].Turns) != 32 {
			t.Errorf("%d fresh opens, tickets %+v %v; want one ticket with 32 turns", fresh, ids(got), err)
		}
	})

	t.Run("Canceled", func(t *testing.T) {
		tks, st, _ := setup(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, _, err := tks.Open(cctx, ask(1, "q")); !errors.Is(err, context.Canceled) {
			t.Errorf("open: %v", err)
		}
		if _, err := tks.List(cctx, true, 10); !errors.Is(err, context.Canceled) {
			t.Errorf("list: %v", err)
		}
		called := false
		if err := st.View(cctx, func(support.TicketReadTx) error { called = true; return nil }); !errors.Is(err, context.Canceled) || called {
			t.Errorf("view: %v, fn called %v", err, called)
		}
		if err := st.Update(cctx, func(support.TicketTx) error { called = true; return nil }); !errors.Is(err, context.Canceled) || called {
			t.Errorf("update: %v, fn called %v", err, called)
		}
		if got, _ := tks.Of(ctx, 1); len(got) != 0 {
			t.Errorf("a canceled open stored %v", ids(got))
		}
	})

	t.Run("Store_Rollback", func(t *testing.T) {
		tks, st, _ := setup(t)
		boom := errors.New("boom")
		err := st.Update(ctx, func(tx support.TicketTx) error {
			id, err := tx.NextTicketID()
			if err != nil {
				return err
			}
			if err := tx.PutTicket(support.Ticket{ID: id, Member: 1, Open: true}); err != nil {
				return err
			}
			return fmt.Errorf("after the put: %w", boom)
		})
		if !errors.Is(err, boom) {
			t.Fatalf("update = %v, want fn's error", err)
		}
		if got, err := tks.List(ctx, false, 10); err != nil || len(got) != 0 {
			t.Errorf("rolled back ticket listed: %v %v", ids(got), err)
		}
		if got, err := tks.Of(ctx, 1); err != nil || len(got) != 0 {
			t.Errorf("rolled back ticket indexed: %v %v", ids(got), err)
		}
	})

	t.Run("Store_Indexes", func(t *testing.T) {
		_, st, _ := setup(t)
		var a, b uint64
		err := st.Update(ctx, func(tx support.TicketTx) error {
			var err error
			if a, err = tx.NextTicketID(); err != nil {
				return err
			}
			if b, err = tx.NextTicketID(); err != nil {
				return err
			}
			if a == 0 || b <= a {
				return fmt.Errorf("ids %d then %d", a, b)
			}
			for _, tk := range []support.Ticket{{ID: b, Member: 1, Open: true}, {ID: a, Member: 1, Open: true}} {
				if err := tx.PutTicket(tk); err != nil {
					return err
				}
			}
			return tx.PutTicket(support.Ticket{ID: a, Member: 2, Open: false}) // moved and closed
		})
		if err != nil {
			t.Fatal(err)
		}
		check := func(name string, member uint64, want, wantOpen []uint64) {
			t.Helper()
			err := st.View(ctx, func(tx support.TicketReadTx) error {
				of, err := tx.TicketsOf(member)
				if err != nil {
					return err
				}
				open, err := tx.Tickets(true, 10)
				if err != nil {
					return err
				}
				if !slices.Equal(ids(of), want) || !slices.Equal(ids(open), wantOpen) {
					t.Errorf("%s: tickets of %d %v, open %v; want %v and %v", name, member, ids(of), ids(open), want, wantOpen)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		check("after puts", 1, []uint64{b}, []uint64{b})
		check("after puts", 2, []uint64{a}, []uint64{b})
		err = st.Update(ctx, func(tx support.TicketTx) error {
			if err := tx.DeleteTicket(b); err != nil {
				return err
			}
			return tx.DeleteTicket(b + 100) // unknown: nothing to do
		})
		if err != nil {
			t.Fatal(err)
		}
		check("after delete", 1, nil, nil)
		err = st.View(ctx, func(tx support.TicketReadTx) error {
			if _, ok, err := tx.Ticket(b); ok || err != nil {
				t.Errorf("deleted ticket: %v %v", ok, err)
			}
			if tk, ok, err := tx.Ticket(a); !ok || err != nil || tk.Member != 2 || tk.Open {
				t.Errorf("ticket #%d = %+v %v %v", a, tk, ok, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// VectorSuite runs the support.VectorStore contract over stores that open
// returns, each on fresh, empty storage.
func VectorSuite(t *testing.T, open func(t *testing.T) support.VectorStore) {
	t.Helper()
	ctx := context.Background()
	key := func(b byte) support.VectorKey { return support.VectorKey{b, 1, 2} }
	t.Run("PutThenGet", func(t *testing.T) {
		st := open(t)
		if got, err := st.Vectors(ctx, []support.VectorKey{key(1)}); err != nil || len(got) != 0 {
			t.Fatalf("empty store: %v %v", got, err)
		}
		err := st.PutVectors(ctx, map[support.VectorKey][]float32{key(1): {0.5, -0.25, 1e-7}, key(2): {1}})
		if err != nil {
			t.Fatal(err)
		}
		got, err := st.Vectors(ctx, []support.VectorKey{key(1), key(3), key(2)})
		if err != nil || len(got) != 2 || !slices.Equal(got[key(1)], []float32{0.5, -0.25, 1e-7}) || !slices.Equal(got[key(2)], []float32{1}) {
			t.Errorf("vectors = %v, %v", got, err)
		}
		if _, ok := got[key(3)]; ok {
			t.Error("a key never put has a vector")
		}
		if err := st.PutVectors(ctx, map[support.VectorKey][]float32{key(1): {2, 3}}); err != nil {
			t.Fatal(err)
		}
		if got, _ := st.Vectors(ctx, []support.VectorKey{key(1)}); !slices.Equal(got[key(1)], []float32{2, 3}) {
			t.Errorf("after replacing: %v", got[key(1)])
		}
	})
	t.Run("Canceled", func(t *testing.T) {
		st := open(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := st.PutVectors(cctx, map[support.VectorKey][]float32{key(1): {1}}); !errors.Is(err, context.Canceled) {
			t.Errorf("put: %v", err)
		}
		if got, _ := st.Vectors(ctx, []support.VectorKey{key(1)}); len(got) != 0 {
			t.Errorf("a canceled put stored %v", got)
		}
		if _, err := st.Vectors(cctx, []support.VectorKey{key(1)}); !errors.Is(err, context.Canceled) {
			t.Errorf("get: %v", err)
		}
	})
}
