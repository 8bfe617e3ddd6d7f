package bolt

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/loyalbot/loyalbot/loyalty/insights"
	"github.com/loyalbot/loyalbot/loyalty/orders"
	bbolt "go.etcd.io/bbolt"
)

var bucketTotals = []byte("orders.totals")

// totalsLen is the size of a stored totals record: the first and last
// day (Unix days), days and orders (uint32 each), amount and first-day
// amount (float64 bits), all big-endian.
const totalsLen = 8 + 8 + 4 + 4 + 8 + 8

func encodeTotals(t insights.Totals) []byte {
	b := make([]byte, totalsLen)
	binary.BigEndian.PutUint64(b[0:], uint64(t.First.Unix()/86400))
	binary.BigEndian.PutUint64(b[8:], uint64(t.Last.Unix()/86400))
	binary.BigEndian.PutUint32(b[16:], uint32(t.Days))
	binary.BigEndian.PutUint32(b[20:], uint32(t.Orders))
	binary.BigEndian.PutUint64(b[24:], math.Float64bits(t.Amount))
	binary.BigEndian.PutUint64(b[32:], math.Float64bits(t.FirstDay))
	return b
}

func decodeTotals(customer, v []byte) (insights.Totals, error) {
	if len(v) != totalsLen {
		return insights.Totals{}, fmt.Errorf("decode totals of %s: %d bytes, want %d", customer, len(v), totalsLen)
	}
	day := func(b []byte) time.Time { return time.Unix(int64(binary.BigEndian.Uint64(b))*86400, 0).UTC() }
	return insights.Totals{
		Customer: string(customer),
		First:    day(v[0:]), Last: day(v[8:]),
		Days: int(binary.BigEndian.Uint32(v[16:])), Orders: int(binary.BigEndian.Uint32(v[20:])),
		Amount:   math.Float64frombits(binary.BigEndian.Uint64(v[24:])),
		FirstDay: math.Float64frombits(binary.BigEndian.Uint64(v[32:])),
	}, nil
}

func (t *orderTxn) Totals(customer string) (insights.Totals, bool, error) {
	v := t.b(bucketTotals).Get([]byte(customer))
	if v == nil {
		return insights.Totals{}, false, nil
	}
	tt, err := decodeTotals([]byte(customer), v)
	return tt, err == nil, err
}

func (t *orderTxn) AllTotals(fn func(insights.Totals) error) error {
	return t.b(bucketTotals).ForEach(func(k, v []byte) error {
		tt, err := decodeTotals(k, v)
		if err != nil {
			return err
		}
		return fn(tt)
	})
}

func (t *orderTxn) PutTotals(tt insights.Totals) error {
	return t.b(bucketTotals).Put([]byte(tt.Customer), encodeTotals(tt))
}

func (t *orderTxn) DeleteTotals(customer string) error {
	return t.b(bucketTotals).Delete([]byte(customer))
}

// buildTotals fills the totals of a database written before they were
// kept, from its orders, with the service's own rule (orders.TotalsOf).
func buildTotals(tx *bbolt.Tx) error {
	by := map[string][]orders.Order{}
	if err := tx.Bucket(bucketOrders).ForEach(func(k, v []byte) error {
		o, err := decodeOrder(k, v)
		if err != nil {
			return err
		}
		by[o.Customer] = append(by[o.Customer], o)
		return nil
	}); err != nil {
		return err
	}
	b := tx.Bucket(bucketTotals)
	for _, os := range by {
		if t, ok := orders.TotalsOf(os); ok {
			if err := b.Put([]byte(t.Customer), encodeTotals(t)); err != nil {
				return err
			}
		}
	}
	return nil
}
