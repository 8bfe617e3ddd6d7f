package orders

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/loyalty/insights"
)

// TestPaidDays_MatchSummarize: summaries built from PaidDays kept by
// adding and refunding orders one at a time equal insights.Summarize over
// the orders' paid parts.
func TestPaidDays_MatchSummarize(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	end := time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC)
	byCustomer := map[string]*PaidDays{}
	latest := map[string]Order{}
	for range 3000 {
		c := fmt.Sprintf("c%d", rng.IntN(200))
		o := Order{ID: fmt.Sprintf("o%d", rng.IntN(2500)), Customer: c, Amount: int64(1 + rng.IntN(50_000)),
			Created: end.Add(-time.Duration(rng.IntN(900*24)) * time.Hour), Status: Paid}
		if prev, ok := latest[o.ID]; ok { // an event for a stored order: a refund grows
			o = prev
			o.Refunded = min(o.Amount, o.Refunded+int64(rng.IntN(20_000)))
			o.Status = Refunded
		}
		pd := byCustomer[o.Customer]
		if pd == nil {
			pd = &PaidDays{Customer: o.Customer}
			byCustomer[o.Customer] = pd
		}
		if prev, ok := latest[o.ID]; ok {
			pd.add(prev, -1)
		}
		pd.add(o, 1)
		latest[o.ID] = o
	}
	var ps []insights.Purchase
	for _, o := range latest {
		if p, ok := o.purchase(); ok {
			ps = append(ps, p)
		}
	}
	want := map[string]insights.Summary{}
	for _, s := range insights.Summarize(ps, end) {
		want[s.Customer] = s
	}
	got := 0
	for c, pd := range byCustomer {
		tt, ok := pd.Totals()
		w, paid := want[c]
		if ok != paid {
			t.Fatalf("%s: paid days %v, summarize %v", c, ok, paid)
		}
		if !ok {
			continue
		}
		got++
		s := tt.Summary(end)
		near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*max(1, math.Abs(b)) }
		if s.Frequency != w.Frequency || s.Orders != w.Orders || !s.First.Equal(w.First) || !s.Last.Equal(w.Last) ||
			!near(s.Recency, w.Recency) || !near(s.T, w.T) || !near(s.Monetary, w.Monetary) || !near(s.MeanValue, w.MeanValue) {
			t.Errorf("%s: from paid days %+v, summarize %+v", c, s, w)
		}
	}
	if got != len(want) || got < 150 {
		t.Errorf("compared %d customers of %d", got, len(want))
	}
}
