package orders

import (
	"cmp"
	"slices"
	"time"

	"github.com/loyalbot/loyalbot/loyalty/insights"
)

// PaidDays is a customer's paid orders by UTC day: what the insights
// need, kept per customer in step with the orders so that no analysis
// reads an order. Amounts are cents, so that adding and taking an order
// away is exact.
type PaidDays struct {
	Customer string
	Days     []PaidDay // by day, each with at least one order
}

// PaidDay is one day of a customer's paid orders.
type PaidDay struct {
	Day    int64 // days since 1970-01-01 UTC
	Orders int64 // orders with a paid (net of refunds) amount
	Net    int64 // their paid amount, net of refunds, in cents
}

// PaidDaysOf builds customer's PaidDays from their orders.
func PaidDaysOf(customer string, os []Order) PaidDays {
	p := PaidDays{Customer: customer}
	for _, o := range os {
		p.add(o, 1)
	}
	return p
}

// add adds order o's paid part to p (sign 1) or takes it away (sign -1).
func (p *PaidDays) add(o Order, sign int64) {
	net := o.Amount - o.refundTotal()
	if net <= 0 {
		return
	}
	day := o.Created.UTC().Truncate(24*time.Hour).Unix() / 86400 // midnight: exact, before 1970 too
	i, found := slices.BinarySearchFunc(p.Days, day, func(d PaidDay, day int64) int { return cmp.Compare(d.Day, day) })
	if !found {
		p.Days = slices.Insert(p.Days, i, PaidDay{Day: day})
	}
	p.Days[i].Orders += sign
	p.Days[i].Net += sign * net
	if p.Days[i].Orders == 0 {
		p.Days = slices.Delete(p.Days, i, i+1)
	}
}

// Totals reduces p to the insights' Totals; ok is false when the customer
// has no paid order.
func (p PaidDays) Totals() (t insights.Totals, ok bool) {
	if len(p.Days) == 0 {
		return insights.Totals{}, false
	}
	day := func(d int64) time.Time { return time.Unix(d*86400, 0).UTC() }
	t = insights.Totals{Customer: p.Customer, First: day(p.Days[0].Day), Last: day(p.Days[len(p.Days)-1].Day), Days: len(p.Days)}
	var net int64
	for _, d := range p.Days {
		t.Orders += int(d.Orders)
		net += d.Net
	}
	t.Amount, t.FirstDay = float64(net)/100, float64(p.Days[0].Net)/100
	return t, true
}
