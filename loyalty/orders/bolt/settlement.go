package bolt

import (
	"encoding/json"
	"fmt"

	boltrec "github.com/loyalbot/loyalbot/internal/bolt"

	"github.com/loyalbot/loyalbot/loyalty/orders"
)

func (t *settlementTxn) Settlement(id string) (orders.Settlement, bool, error) {
	v := t.b(bucketSettlements).Get([]byte(id))
	if v == nil {
		return orders.Settlement{}, false, nil
	}
	var st orders.Settlement
	if err := json.Unmarshal(v, &st); err != nil {
		return orders.Settlement{}, false, fmt.Errorf("decode settlement of %s: %w", id, err)
	}
	return st, true, nil
}

func (t *settlementTxn) Settlements(fn func(id string, st orders.Settlement) error) error {
	return t.b(bucketSettlements).ForEach(func(k, v []byte) error {
		var st orders.Settlement
		if err := json.Unmarshal(v, &st); err != nil {
			return fmt.Errorf("decode settlement of %s: %w", k, err)
		}
		return fn(string(k), st)
	})
}

func (t *settlementTxn) Unsettled(id string) (uint64, bool, error) {
	m, ok, err := getMember(t.b(bucketUnsettled).Get([]byte(id)))
	if err != nil {
		return 0, false, fmt.Errorf("unsettled mark of order %s: %w", id, err)
	}
	return m, ok, nil
}

func (t *settlementTxn) UnsettledOrders(fn func(id string, member uint64) error) error {
	return t.b(bucketUnsettled).ForEach(func(k, v []byte) error {
		m, _, err := getMember(v)
		if err != nil {
			return fmt.Errorf("unsettled mark of order %s: %w", k, err)
		}
		return fn(string(k), m)
	})
}

func (t *settlementTxn) UnsettledCount() (int, error) {
	return t.b(bucketUnsettled).Stats().KeyN, nil
}

func (t *settlementTxn) PutSettlement(id string, st orders.Settlement) error {
	return boltrec.PutJSON(t.b(bucketSettlements), []byte(id), st)
}

func (t *settlementTxn) MarkUnsettled(id string, member uint64) error {
	return t.b(bucketUnsettled).Put([]byte(id), u64(member))
}

func (t *settlementTxn) ClearUnsettled(id string) error {
	return t.b(bucketUnsettled).Delete([]byte(id))
}
