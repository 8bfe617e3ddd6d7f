package insights

import (
	"cmp"
	"slices"
	"time"
)

// Segment names.
const (
	Champions         = "Champions"
	Loyal             = "Loyal"
	PotentialLoyalist = "Potential Loyalist"
	New               = "New"
	Promising         = "Promising"
	NeedAttention     = "Need Attention"
	AboutToSleep      = "About To Sleep"
	AtRisk            = "At Risk"
	CantLoseThem      = "Can't Lose Them"
	Hibernating       = "Hibernating"
	Lost              = "Lost"
)

// Segments returns the segment names, best first.
func Segments() []string {
	return []string{Champions, Loyal, PotentialLoyalist, New, Promising, NeedAttention, AboutToSleep, AtRisk, CantLoseThem, Hibernating, Lost}
}

// RFM is a customer's recency, frequency and monetary value as of a date,
// with quintile scores (5 best) and segment.
type RFM struct {
	Customer    string
	RecencyDays int     // days since the last purchase
	Frequency   int     // orders
	Monetary    float64 // total spend
	R, F, M     int     // 1..5
	Segment     string
}

// Score computes RFM as of asOf for every customer in summaries (built
// with Summarize up to asOf). Scores are quintiles over these customers:
// recent, frequent and big spenders get 5. Ties share the lower score.
//
// Segments follow the common R×F grid:
//
//	Champions          R 5,   F 4-5      Loyal              R 3-4, F 4-5
//	Potential Loyalist R 4-5, F 2-3      New                R 5,   F 1
//	Promising          R 4,   F 1        Need Attention     R 3,   F 3
//	About To Sleep     R 3,   F 1-2      At Risk            R 1-2, F 3-4
//	Can't Lose Them    R 1-2, F 5        Hibernating        R 1-2, F 1-2 (not both 1)
//	Lost               R 1,   F 1
func Score(summaries []Summary, asOf time.Time) []RFM {
	n := len(summaries)
	out := make([]RFM, n)
	rec := make([]float64, n)
	freq := make([]float64, n)
	mon := make([]float64, n)
	asOf = day(asOf)
	for i, s := range summaries {
		days := int(asOf.Sub(s.Last).Hours() / 24)
		out[i] = RFM{Customer: s.Customer, RecencyDays: days, Frequency: s.Orders, Monetary: s.Monetary}
		rec[i], freq[i], mon[i] = -float64(days), float64(s.Orders), s.Monetary
	}
	r, f, m := quintiles(rec), quintiles(freq), quintiles(mon)
	for i := range out {
		out[i].R, out[i].F, out[i].M = r[i], f[i], m[i]
		out[i].Segment = SegmentOf(r[i], f[i])
	}
	return out
}

// SegmentOf maps R and F scores to a segment.
func SegmentOf(r, f int) string {
	switch {
	case r == 5 && f >= 4:
		return Champions
	case r >= 3 && f >= 4:
		return Loyal
	case r >= 4 && f >= 2:
		return PotentialLoyalist
	case r == 5:
		return New
	case r == 4:
		return Promising
	case r == 3 && f == 3:
		return NeedAttention
	case r == 3:
		return AboutToSleep
	case f == 5:
		return CantLoseThem
	case f >= 3:
		return AtRisk
	case r == 1 && f == 1:
		return Lost
	}
	return Hibernating
}

// quintiles scores values 1..5 by rank: the top fifth gets 5. Equal values
// share the score of the first of them.
func quintiles(v []float64) []int {
	n := len(v)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(v[a], v[b]) })
	out := make([]int, n)
	for rank := 0; rank < n; {
		end := rank
		for end+1 < n && v[idx[end+1]] == v[idx[rank]] {
			end++
		}
		score := rank*5/n + 1
		for k := rank; k <= end; k++ {
			out[idx[k]] = score
		}
		rank = end + 1
	}
	return out
}

// SegmentStats summarises a segment.
type SegmentStats struct {
	Segment   string
	Customers int
	Revenue   float64
	Share     float64 // of all revenue
}

// Table returns each segment's size and revenue share, in Segments order.
func Table(rfm []RFM) []SegmentStats {
	by := map[string]*SegmentStats{}
	var total float64
	for _, r := range rfm {
		s := by[r.Segment]
		if s == nil {
			s = &SegmentStats{Segment: r.Segment}
			by[r.Segment] = s
		}
		s.Customers++
		s.Revenue += r.Monetary
		total += r.Monetary
	}
	var out []SegmentStats
	for _, name := range Segments() {
		if s := by[name]; s != nil {
			if total > 0 {
				s.Share = s.Revenue / total
			}
			out = append(out, *s)
		}
	}
	return out
}
