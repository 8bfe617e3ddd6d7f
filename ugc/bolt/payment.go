package bolt

import (
	"fmt"

	boltrec "github.com/loyalbot/loyalbot/internal/bolt"

	"github.com/loyalbot/loyalbot/loyalty"
	"github.com/loyalbot/loyalbot/ugc"
)

func (t *recordTxn) Payment(key string) (loyalty.Posting, bool, error) {
	var p loyalty.Posting
	ok, err := boltrec.GetJSON(t.b(bucketPayments).Get([]byte(key)), &p)
	if err != nil {
		return loyalty.Posting{}, false, fmt.Errorf("decode payment %s: %w", key, err)
	}
	return p, ok, nil
}

func (t *recordTxn) Payments(fn func(loyalty.Posting) error) error {
	return walk(t.b(bucketPayments), ugc.OldestFirst, func(k, v []byte) error {
		var p loyalty.Posting
		if _, err := boltrec.GetJSON(v, &p); err != nil {
			return fmt.Errorf("decode payment %s: %w", k, err)
		}
		return fn(p)
	})
}

func (t *recordTxn) PutPayment(p loyalty.Posting) error {
	return boltrec.PutJSON(t.b(bucketPayments), []byte(p.Key), p)
}

func (t *recordTxn) DeletePayment(key string) error { return t.b(bucketPayments).Delete([]byte(key)) }
