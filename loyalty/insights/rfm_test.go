package insights_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/loyalty/insights"
)

func TestSegmentOf(t *testing.T) {
	tests := []struct {
		r, f int
		want string
	}{
		{5, 5, insights.Champions}, {5, 4, insights.Champions}, {4, 5, insights.Loyal}, {3, 4, insights.Loyal},
		{5, 3, insights.PotentialLoyalist}, {4, 2, insights.PotentialLoyalist}, {5, 1, insights.New}, {4, 1, insights.Promising},
		{3, 3, insights.NeedAttention}, {3, 2, insights.AboutToSleep}, {3, 1, insights.AboutToSleep}, {2, 4, insights.AtRisk},
		{1, 3, insights.AtRisk}, {1, 5, insights.CantLoseThem}, {2, 5, insights.CantLoseThem}, {2, 2, insights.Hibernating},
		{1, 2, insights.Hibernating}, {2, 1, insights.Hibernating}, {1, 1, insights.Lost},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		if got := insights.SegmentOf(tt.r, tt.f); got != tt.want {
			t.Errorf("SegmentOf(%d, %d) = %s, want %s", tt.r, tt.f, got, tt.want)
		}
		seen[tt.want] = true
	}
	// Every cell of the grid has a segment, and all 11 are reachable.
	for r := 1; r <= 5; r++ {
		for f := 1; f <= 5; f++ {
			seen[insights.SegmentOf(r, f)] = true
		}
	}
	if len(seen) != len(insights.Segments()) {
		t.Errorf("%d segments reachable, want %d", len(seen), len(insights.Segments()))
	}
}

func TestScore(t *testing.T) {
	asOf := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var ps []insights.Purchase
	// Customer i bought i times, the last time i days ago, for 10·i each.
	for i := 1; i <= 10; i++ {
		for k := 0; k < i; k++ {
			ps = append(ps, insights.Purchase{Customer: fmt.Sprintf("c%02d", i), At: asOf.AddDate(0, 0, -i-10*k), Amount: float64(10 * i)})
		}
	}
	rfm := insights.Score(insights.Summarize(ps, asOf), asOf)
	first, last := rfm[0], rfm[9] // c01: 1 purchase yesterday; c10: 10 purchases, last 10 days ago
	if first.R != 5 || first.F != 1 || first.Segment != insights.New {
		t.Errorf("c01 %+v", first)
	}
	if last.R != 1 || last.F != 5 || last.M != 5 || last.Segment != insights.CantLoseThem {
		t.Errorf("c10 %+v", last)
	}
	table := insights.Table(rfm)
	var n int
	var share float64
	for _, s := range table {
		n += s.Customers
		share += s.Share
	}
	if n != 10 || share < 0.999 || share > 1.001 {
		t.Errorf("table covers %d customers, %.3f of revenue", n, share)
	}
}

// BenchmarkRFM scores 100,000 customers with 1,000,000 orders.
func BenchmarkRFM(b *testing.B) {
	asOf := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	ps := make([]insights.Purchase, 0, 1_000_000)
	for i := range 1_000_000 {
		c := (i * 7919) % 100_000
		ps = append(ps, insights.Purchase{Customer: fmt.Sprint("c", c), At: asOf.AddDate(0, 0, -(i*31)%720), Amount: float64(5 + i%200)})
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		insights.Table(insights.Score(insights.Summarize(ps, asOf), asOf))
	}
	b.ReportMetric(float64(100_000*b.N)/time.Since(start).Seconds(), "customers/s")
}
