// Package insights turns purchase histories into what a CRM analyst
// needs: RFM scores and segments, and customer lifetime value from the
// BG/NBD purchase model and the Gamma-Gamma spend model, fitted by maximum
// likelihood.
//
// # Conventions
//
// Purchases on the same day count as one transaction (their amounts add
// up). Time in the models is in weeks: days / 7. Amounts are in currency
// units (float64 here: these are statistics, not balances).
package insights

import (
	"sort"
	"time"
)

// Purchase is one order.
type Purchase struct {
	Customer string
	At       time.Time
	Amount   float64
}

// Summary is a customer's history as the models see it, as of the end of a
// calibration period.
type Summary struct {
	Customer  string
	Frequency int     // repeat transactions: distinct purchase days after the first
	Recency   float64 // weeks from the first to the last transaction
	T         float64 // weeks from the first transaction to the end of the period
	MeanValue float64 // mean value of the repeat transactions (zbar); 0 without any
	Monetary  float64 // total spend, first transaction included
	First     time.Time
	Last      time.Time
	Orders    int // orders (not days) in the period
}

func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Summarize builds each customer's summary from purchases up to and
// including the day of end. Customers whose first purchase is after end
// are left out. The result is sorted by customer.
func Summarize(purchases []Purchase, end time.Time) []Summary {
	end = day(end)
	type acc struct {
		days   map[time.Time]float64
		orders int
	}
	by := map[string]*acc{}
	for _, p := range purchases {
		d := day(p.At)
		if d.After(end) {
			continue
		}
		a := by[p.Customer]
		if a == nil {
			a = &acc{days: map[time.Time]float64{}}
			by[p.Customer] = a
		}
		a.days[d] += p.Amount
		a.orders++
	}
	out := make([]Summary, 0, len(by))
	for c, a := range by {
		days := make([]time.Time, 0, len(a.days))
		for d := range a.days {
			days = append(days, d)
		}
		sort.Slice(days, func(i, j int) bool { return days[i].Before(days[j]) })
		s := Summary{Customer: c, First: days[0], Last: days[len(days)-1], Frequency: len(days) - 1, Orders: a.orders}
		s.Recency = weeks(days[len(days)-1].Sub(days[0]))
		s.T = weeks(end.Sub(days[0]))
		var repeat float64
		for i, d := range days {
			s.Monetary += a.days[d]
			if i > 0 {
				repeat += a.days[d]
			}
		}
		if s.Frequency > 0 {
			s.MeanValue = repeat / float64(s.Frequency)
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Customer < out[j].Customer })
	return out
}

func weeks(d time.Duration) float64 { return d.Hours() / 24 / 7 }
