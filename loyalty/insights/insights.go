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
	kept := make([]Purchase, 0, len(purchases))
	for _, p := range purchases {
		if !day(p.At).After(end) {
			kept = append(kept, p)
		}
	}
	totals := tally(kept)
	out := make([]Summary, len(totals))
	for i, t := range totals {
		out[i] = t.Summary(end)
	}
	return out
}

// Totals is one customer's purchases in brief: enough to build their
// Summary for any end on or after their last purchase without the
// purchases, so a store can keep it per customer in step with the orders.
type Totals struct {
	Customer    string
	First, Last time.Time // UTC days of the first and last purchase
	Days        int       // distinct days with a purchase
	Orders      int
	Amount      float64 // total spend
	FirstDay    float64 // of which on the first day
}

// tally reduces purchases to each customer's Totals, sorted by customer.
func tally(purchases []Purchase) []Totals {
	type acc struct {
		days   map[time.Time]float64
		orders int
	}
	by := map[string]*acc{}
	for _, p := range purchases {
		a := by[p.Customer]
		if a == nil {
			a = &acc{days: map[time.Time]float64{}}
			by[p.Customer] = a
		}
		a.days[day(p.At)] += p.Amount
		a.orders++
	}
	out := make([]Totals, 0, len(by))
	for c, a := range by {
		days := make([]time.Time, 0, len(a.days))
		for d := range a.days {
			days = append(days, d)
		}
		sort.Slice(days, func(i, j int) bool { return days[i].Before(days[j]) })
		t := Totals{Customer: c, First: days[0], Last: days[len(days)-1], Days: len(days), Orders: a.orders, FirstDay: a.days[days[0]]}
		for _, d := range days {
			t.Amount += a.days[d]
		}
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Customer < out[j].Customer })
	return out
}

// Summary is the customer's Summary as of the day of end.
func (t Totals) Summary(end time.Time) Summary {
	s := Summary{Customer: t.Customer, First: t.First, Last: t.Last, Frequency: t.Days - 1, Orders: t.Orders, Monetary: t.Amount}
	s.Recency = weeks(t.Last.Sub(t.First))
	s.T = weeks(day(end).Sub(t.First))
	if s.Frequency > 0 {
		s.MeanValue = (t.Amount - t.FirstDay) / float64(s.Frequency)
	}
	return s
}

func weeks(d time.Duration) float64 { return d.Hours() / 24 / 7 }
