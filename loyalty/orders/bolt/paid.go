package bolt

import (
	"encoding/binary"
	"fmt"

	"github.com/loyalbot/loyalbot/loyalty/orders"
	bbolt "go.etcd.io/bbolt"
)

var bucketPaidDays = []byte("orders.paid_days")

// A stored PaidDays is its days one after the other, each as three
// big-endian int64s: day, orders, net cents.
const paidDayLen = 3 * 8

func encodePaidDays(p orders.PaidDays) []byte {
	b := make([]byte, 0, paidDayLen*len(p.Days))
	for _, d := range p.Days {
		b = binary.BigEndian.AppendUint64(b, uint64(d.Day))
		b = binary.BigEndian.AppendUint64(b, uint64(d.Orders))
		b = binary.BigEndian.AppendUint64(b, uint64(d.Net))
	}
	return b
}

func decodePaidDays(customer, v []byte) (orders.PaidDays, error) {
	if len(v)%paidDayLen != 0 {
		return orders.PaidDays{}, fmt.Errorf("decode paid days of %s: %d bytes, not a multiple of %d", customer, len(v), paidDayLen)
	}
	p := orders.PaidDays{Customer: string(customer), Days: make([]orders.PaidDay, len(v)/paidDayLen)}
	for i := range p.Days {
		d := v[i*paidDayLen:]
		p.Days[i] = orders.PaidDay{Day: int64(binary.BigEndian.Uint64(d)), Orders: int64(binary.BigEndian.Uint64(d[8:])), Net: int64(binary.BigEndian.Uint64(d[16:]))}
	}
	return p, nil
}

func (t *orderTxn) PaidDays(customer string) (orders.PaidDays, bool, error) {
	v := t.b(bucketPaidDays).Get([]byte(customer))
	if v == nil {
		return orders.PaidDays{Customer: customer}, false, nil
	}
	p, err := decodePaidDays([]byte(customer), v)
	return p, err == nil, err
}

func (t *orderTxn) AllPaidDays(fn func(orders.PaidDays) error) error {
	return t.b(bucketPaidDays).ForEach(func(k, v []byte) error {
		p, err := decodePaidDays(k, v)
		if err != nil {
			return err
		}
		return fn(p)
	})
}

func (t *orderTxn) PutPaidDays(p orders.PaidDays) error {
	if len(p.Days) == 0 {
		return t.b(bucketPaidDays).Delete([]byte(p.Customer))
	}
	return t.b(bucketPaidDays).Put([]byte(p.Customer), encodePaidDays(p))
}

// buildPaidDays fills the paid days of a database written before they
// were kept, from its orders, with the service's own rule
// (orders.PaidDaysOf).
func buildPaidDays(tx *bbolt.Tx) error {
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
	b := tx.Bucket(bucketPaidDays)
	for c, os := range by {
		if p := orders.PaidDaysOf(c, os); len(p.Days) > 0 {
			if err := b.Put([]byte(c), encodePaidDays(p)); err != nil {
				return err
			}
		}
	}
	return nil
}
