package bolt

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/loyalbot/loyalbot/loyalty"
)

// holdTx reads and writes holds and their indexes (open holds by account
// and by expiry).
type holdTx struct{ *txn }

func (t *holdTx) Hold(id uint64) (loyalty.Hold, bool, error) {
	v := t.bucket(bHolds).Get(u64(id))
	if v == nil {
		return loyalty.Hold{}, false, nil
	}
	hd, err := decodeJSON[loyalty.Hold](v, "hold", id)
	return hd, err == nil, err
}

// holdByIndex returns the hold an index names, which must exist.
func (t *holdTx) holdByIndex(id uint64) (loyalty.Hold, error) {
	hd, ok, err := t.Hold(id)
	if err == nil && !ok {
		err = fmt.Errorf("indexed hold %d missing: %w", id, ErrCorrupt)
	}
	return hd, err
}

func (t *holdTx) HoldsOf(a loyalty.AccountID, fn func(loyalty.Hold) error) error {
	// Collect the ids first: fn may read holds through this transaction.
	prefix := acctKey(a)
	var ids []uint64
	c := t.bucket(bHoldIndex).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		ids = append(ids, binary.BigEndian.Uint64(k[len(prefix):]))
	}
	for _, id := range ids {
		hd, err := t.holdByIndex(id)
		if err != nil {
			return err
		}
		if err := fn(hd); err != nil {
			return err
		}
	}
	return nil
}

func (t *holdTx) HoldsDue(until time.Time, fn func(loyalty.Hold) error) error {
	end := until.Unix()
	if end < 0 {
		return nil
	}
	c := t.bucket(bHoldExpiry).Cursor()
	for k, _ := c.First(); k != nil && binary.BigEndian.Uint64(k) <= uint64(end); k, _ = c.Next() {
		hd, err := t.holdByIndex(binary.BigEndian.Uint64(k[8:]))
		if err != nil {
			return err
		}
		if err := fn(hd); err != nil {
			return err
		}
	}
	return nil
}

func (t *holdTx) Holds(fn func(loyalty.Hold) error) error {
	return t.bucket(bHolds).ForEach(func(k, v []byte) error {
		hd, err := decodeJSON[loyalty.Hold](v, "hold", getU64(k))
		if err != nil {
			return err
		}
		return fn(hd)
	})
}

func (t *holdTx) NextHoldID() (uint64, error) { return t.bucket(bHolds).NextSequence() }

func holdExpiryKey(hd loyalty.Hold) []byte {
	return append(u64(uint64(hd.Expires.Unix())), u64(hd.ID)...)
}

func (t *holdTx) PutHold(hd loyalty.Hold) error {
	old, had, err := t.Hold(hd.ID)
	if err != nil {
		return err
	}
	wasOpen, open := had && old.State == loyalty.HoldOpen, hd.State == loyalty.HoldOpen
	moved := wasOpen && open && (old.Account != hd.Account || !old.Expires.Equal(hd.Expires))
	if wasOpen && (!open || moved) {
		if err := t.bucket(bHoldIndex).Delete(acctKey(old.Account, u64(old.ID))); err != nil {
			return err
		}
		if err := t.bucket(bHoldExpiry).Delete(holdExpiryKey(old)); err != nil {
			return err
		}
	}
	if open && (!wasOpen || moved) {
		if err := t.bucket(bHoldIndex).Put(acctKey(hd.Account, u64(hd.ID)), nil); err != nil {
			return err
		}
		if err := t.bucket(bHoldExpiry).Put(holdExpiryKey(hd), nil); err != nil {
			return err
		}
	}
	v, err := json.Marshal(hd)
	if err != nil {
		return err
	}
	return t.bucket(bHolds).Put(u64(hd.ID), v)
}
