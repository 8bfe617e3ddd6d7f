package bolt

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/loyalbot/loyalbot/loyalty"
)

// lotTx reads and writes members' lots and the lot expiry index.
type lotTx struct{ *txn }

func (t *lotTx) Lot(a loyalty.AccountID, expires time.Time) (int64, error) {
	return int64(getU64(t.bucket(bLots).Get(acctKey(a, u64(expKey(expires)))))), nil
}

func (t *lotTx) AddLot(a loyalty.AccountID, expires time.Time, delta int64) (int64, error) {
	exp := expKey(expires)
	k := acctKey(a, u64(exp))
	old := int64(getU64(t.bucket(bLots).Get(k)))
	n := old + delta
	switch {
	case n < 0:
		return old, fmt.Errorf("lot %s@%d: %d points, take %d: %w", a, exp, old, -delta, ErrCorrupt)
	case n == 0:
		if err := t.bucket(bLots).Delete(k); err != nil {
			return old, err
		}
		return 0, t.bucket(bLotExpiry).Delete(append(u64(exp), a...))
	case old == 0 && exp != neverExpires:
		// The expiry index names each non-empty lot that can expire.
		if err := t.bucket(bLotExpiry).Put(append(u64(exp), a...), nil); err != nil {
			return old, err
		}
	}
	return n, t.bucket(bLots).Put(k, u64(uint64(n)))
}

func (t *lotTx) LotsOf(a loyalty.AccountID, fn func(loyalty.Lot) error) error {
	prefix := acctKey(a)
	c := t.bucket(bLots).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		lot := loyalty.Lot{Expires: expTime(binary.BigEndian.Uint64(k[len(prefix):])), Remaining: int64(getU64(v))}
		if err := fn(lot); err != nil {
			return err
		}
	}
	return nil
}

func (t *lotTx) LotsDue(until time.Time, after loyalty.DueLot, fn func(loyalty.DueLot) error) error {
	end := until.Unix()
	if end < 0 {
		return nil
	}
	c := t.bucket(bLotExpiry).Cursor()
	var k []byte
	if after.Account == "" && after.Expires.IsZero() {
		k, _ = c.First()
	} else {
		from := append(u64(expKey(after.Expires)), after.Account...)
		if k, _ = c.Seek(from); k != nil && bytes.Equal(k, from) {
			k, _ = c.Next()
		}
	}
	for ; k != nil && binary.BigEndian.Uint64(k) <= uint64(end); k, _ = c.Next() {
		if err := fn(loyalty.DueLot{Expires: expTime(binary.BigEndian.Uint64(k)), Account: loyalty.AccountID(k[8:])}); err != nil {
			return err
		}
	}
	return nil
}

func (t *lotTx) Lots(fn func(loyalty.AccountID, loyalty.Lot) error) error {
	return t.bucket(bLots).ForEach(func(k, v []byte) error {
		if len(k) < 9 {
			return fmt.Errorf("lot key %x: %w", k, ErrCorrupt)
		}
		a := loyalty.AccountID(k[:len(k)-9])
		return fn(a, loyalty.Lot{Expires: expTime(binary.BigEndian.Uint64(k[len(k)-8:])), Remaining: int64(getU64(v))})
	})
}
