package bolt

import (
	"bytes"
	"encoding/json"
	"fmt"

	boltrec "github.com/loyalbot/loyalbot/internal/bolt"

	"github.com/loyalbot/loyalbot/loyalty/orders"
)

func decodeOrder(k, v []byte) (orders.Order, error) {
	var o orders.Order
	if err := json.Unmarshal(v, &o); err != nil {
		return orders.Order{}, fmt.Errorf("decode order %s: %w", k, err)
	}
	return o, nil
}

func (t *orderTxn) Order(id string) (orders.Order, bool, error) {
	v := t.b(bucketOrders).Get([]byte(id))
	if v == nil {
		return orders.Order{}, false, nil
	}
	o, err := decodeOrder([]byte(id), v)
	return o, err == nil, err
}

func (t *orderTxn) Orders(fn func(orders.Order) error) error {
	return t.b(bucketOrders).ForEach(func(k, v []byte) error {
		o, err := decodeOrder(k, v)
		if err != nil {
			return err
		}
		return fn(o)
	})
}

func (t *orderTxn) OrderIDsOf(customer string, fn func(id string) error) error {
	return walkPrefix(t.b(bucketByCustomer), []byte(customer+"\x00"), func(id []byte) error { return fn(string(id)) })
}

func (t *orderTxn) CustomerIndex(fn func(customer, order string) error) error {
	return t.b(bucketByCustomer).ForEach(func(k, _ []byte) error {
		customer, order, ok := bytes.Cut(k, []byte{0})
		if !ok {
			return fmt.Errorf("customer index key %q has no separator", k)
		}
		return fn(string(customer), string(order))
	})
}

// PutOrder writes o and its entry in the index by customer (the same key
// again when o was stored before: an order keeps its customer).
func (t *orderTxn) PutOrder(o orders.Order) error {
	if err := boltrec.PutJSON(t.b(bucketOrders), []byte(o.ID), o); err != nil {
		return err
	}
	return t.b(bucketByCustomer).Put(customerKey(o.Customer, o.ID), nil)
}
