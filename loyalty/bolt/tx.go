package bolt

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/loyalbot/loyalbot/loyalty"
	bbolt "go.etcd.io/bbolt"
)

// tx is a loyalty.Tx on a bbolt transaction. Buckets are looked up on
// first use: a balance read touches one bucket, not all of them. In a
// read-write transaction account records are kept decoded and written once
// by flush before commit, so a batch that credits a thousand members from
// one issuance account writes that account once, not a thousand times.
type tx struct {
	btx   *bbolt.Tx
	bk    [nBuckets]*bbolt.Bucket
	accts map[loyalty.AccountID]*account // read-write transactions: every account touched
	dirty []loyalty.AccountID            // changed accounts, in first-change order
}

func newTx(btx *bbolt.Tx) *tx { return &tx{btx: btx} }

func (t *tx) bucket(i int) *bbolt.Bucket {
	if t.bk[i] == nil {
		t.bk[i] = t.btx.Bucket(bucketNames[i])
		if t.bk[i] == nil {
			panic(fmt.Sprintf("loyalty/bolt: bucket %s missing: open the database with bolt.Open", bucketNames[i]))
		}
		if i == bEntries || i == bConsumed {
			// Keys only ever grow (entry ids): full pages are right, as a
			// page is never split again once left behind.
			t.bk[i].FillPercent = 1.0
		}
	}
	return t.bk[i]
}

// load returns account a's record, from this transaction's own writes
// first. Only read-write transactions keep what they load.
func (t *tx) load(a loyalty.AccountID) *account {
	if acc, ok := t.accts[a]; ok {
		return acc
	}
	acc := decodeAccount(t.bucket(bAccounts).Get([]byte(a)))
	if t.btx.Writable() {
		if t.accts == nil {
			t.accts = make(map[loyalty.AccountID]*account)
		}
		t.accts[a] = &acc
	}
	return &acc
}

// change loads account a for a write and marks it for flush.
func (t *tx) change(a loyalty.AccountID) *account {
	acc := t.load(a)
	if !acc.dirty {
		acc.dirty = true
		t.dirty = append(t.dirty, a)
	}
	return acc
}

// flush writes the changed account records. Update calls it before commit.
func (t *tx) flush() error {
	b := t.bucket(bAccounts)
	for _, a := range t.dirty {
		if err := b.Put([]byte(a), t.accts[a].encode()); err != nil {
			return err
		}
	}
	t.dirty = t.dirty[:0]
	return nil
}

// Accounts.

func (t *tx) Account(a loyalty.AccountID) (loyalty.Account, error) {
	return t.load(a).Account, nil
}

func (t *tx) Accounts(fn func(loyalty.AccountID, loyalty.Account) error) error {
	// Stored records, then this transaction's changes on top of them.
	err := t.bucket(bAccounts).ForEach(func(k, v []byte) error {
		a := loyalty.AccountID(k)
		if acc, ok := t.accts[a]; ok && acc.dirty {
			return nil
		}
		return fn(a, decodeAccount(v).Account)
	})
	if err != nil {
		return err
	}
	for _, a := range t.dirty {
		if err := fn(a, t.accts[a].Account); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) PutAccount(a loyalty.AccountID, acc loyalty.Account) error {
	t.change(a).Account = acc
	return nil
}

// Entries.

func (t *tx) storedEntry(id uint64) (storedEntry, bool, error) {
	v := t.bucket(bEntries).Get(u64(id))
	if v == nil {
		return storedEntry{}, false, nil
	}
	e, err := decodeEntry(v)
	if err != nil {
		return storedEntry{}, false, fmt.Errorf("decode entry %d: %w", id, err)
	}
	return e, true, nil
}

func (t *tx) Entry(id uint64) (loyalty.Entry, bool, error) {
	e, ok, err := t.storedEntry(id)
	return e.Entry, ok, err
}

func (t *tx) EntriesOf(a loyalty.AccountID, before uint64, fn func(loyalty.Entry) error) error {
	id := t.load(a).Last
	if before != 0 {
		e, ok, err := t.storedEntry(before)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("entry %d: %w", before, loyalty.ErrNotFound)
		}
		id = e.prev(a)
	}
	for id != 0 {
		e, ok, err := t.storedEntry(id)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("history of %s: entry %d missing: %w", a, id, ErrCorrupt)
		}
		if err := fn(e.Entry); err != nil {
			return err
		}
		id = e.prev(a)
	}
	return nil
}

func (t *tx) Entries(fn func(loyalty.Entry) error) error {
	c := t.bucket(bEntries).Cursor()
	for k, v := c.Last(); k != nil; k, v = c.Prev() {
		e, err := decodeEntry(v)
		if err != nil {
			return fmt.Errorf("decode entry %d: %w", getU64(k), err)
		}
		if err := fn(e.Entry); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) NextEntryID() (uint64, error) { return t.bucket(bEntries).NextSequence() }

func (t *tx) PutEntry(e loyalty.Entry) error {
	from, to := t.change(e.From), t.change(e.To)
	se := storedEntry{Entry: e, PrevFrom: from.Last, PrevTo: to.Last}
	from.Last, to.Last = e.ID, e.ID
	return t.bucket(bEntries).Put(u64(e.ID), se.encode())
}

func (t *tx) Reversal(id uint64) (uint64, bool, error) {
	v := t.bucket(bReversals).Get(u64(id))
	return getU64(v), v != nil, nil
}

func (t *tx) PutReversal(id, rev uint64) error {
	return t.bucket(bReversals).Put(u64(id), u64(rev))
}

func (t *tx) LotUses(id uint64) ([]loyalty.LotUse, error) {
	return decodeUses(t.bucket(bConsumed).Get(u64(id))), nil
}

func (t *tx) PutLotUses(id uint64, uses []loyalty.LotUse) error {
	return t.bucket(bConsumed).Put(u64(id), encodeUses(uses))
}

// Idempotency keys.

func (t *tx) Key(k string) (loyalty.KeyRecord, bool, error) {
	r, ok := decodeKey(t.bucket(bKeys).Get([]byte(k)))
	return r, ok, nil
}

func (t *tx) Keys(fn func(string, loyalty.KeyRecord) error) error {
	return t.bucket(bKeys).ForEach(func(k, v []byte) error {
		r, ok := decodeKey(v)
		if !ok {
			return fmt.Errorf("key %q: %w", k, ErrCorrupt)
		}
		return fn(string(k), r)
	})
}

func (t *tx) PutKey(k string, r loyalty.KeyRecord) error {
	return t.bucket(bKeys).Put([]byte(k), encodeKey(r))
}

// Lots.

func (t *tx) Lot(a loyalty.AccountID, expires time.Time) (int64, error) {
	return int64(getU64(t.bucket(bLots).Get(acctKey(a, u64(expKey(expires)))))), nil
}

func (t *tx) AddLot(a loyalty.AccountID, expires time.Time, delta int64) (int64, error) {
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

func (t *tx) LotsOf(a loyalty.AccountID, fn func(loyalty.Lot) error) error {
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

func (t *tx) LotsDue(until time.Time, after loyalty.DueLot, fn func(loyalty.DueLot) error) error {
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

func (t *tx) Lots(fn func(loyalty.AccountID, loyalty.Lot) error) error {
	return t.bucket(bLots).ForEach(func(k, v []byte) error {
		if len(k) < 9 {
			return fmt.Errorf("lot key %x: %w", k, ErrCorrupt)
		}
		a := loyalty.AccountID(k[:len(k)-9])
		return fn(a, loyalty.Lot{Expires: expTime(binary.BigEndian.Uint64(k[len(k)-8:])), Remaining: int64(getU64(v))})
	})
}

// Holds.

func (t *tx) Hold(id uint64) (loyalty.Hold, bool, error) {
	v := t.bucket(bHolds).Get(u64(id))
	if v == nil {
		return loyalty.Hold{}, false, nil
	}
	hd, err := decodeJSON[loyalty.Hold](v, "hold", id)
	return hd, err == nil, err
}

// holdByIndex returns the hold an index names, which must exist.
func (t *tx) holdByIndex(id uint64) (loyalty.Hold, error) {
	hd, ok, err := t.Hold(id)
	if err == nil && !ok {
		err = fmt.Errorf("indexed hold %d missing: %w", id, ErrCorrupt)
	}
	return hd, err
}

func (t *tx) HoldsOf(a loyalty.AccountID, fn func(loyalty.Hold) error) error {
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

func (t *tx) HoldsDue(until time.Time, fn func(loyalty.Hold) error) error {
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

func (t *tx) Holds(fn func(loyalty.Hold) error) error {
	return t.bucket(bHolds).ForEach(func(k, v []byte) error {
		hd, err := decodeJSON[loyalty.Hold](v, "hold", getU64(k))
		if err != nil {
			return err
		}
		return fn(hd)
	})
}

func (t *tx) NextHoldID() (uint64, error) { return t.bucket(bHolds).NextSequence() }

func holdExpiryKey(hd loyalty.Hold) []byte {
	return append(u64(uint64(hd.Expires.Unix())), u64(hd.ID)...)
}

func (t *tx) PutHold(hd loyalty.Hold) error {
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

// Rewards and redemptions.

func (t *tx) Reward(id string) (loyalty.Reward, bool, error) {
	v := t.bucket(bRewards).Get([]byte(id))
	if v == nil {
		return loyalty.Reward{}, false, nil
	}
	r, err := decodeJSON[loyalty.Reward](v, "reward", id)
	return r, err == nil, err
}

func (t *tx) Rewards(fn func(loyalty.Reward) error) error {
	return t.bucket(bRewards).ForEach(func(k, v []byte) error {
		r, err := decodeJSON[loyalty.Reward](v, "reward", string(k))
		if err != nil {
			return err
		}
		return fn(r)
	})
}

func (t *tx) PutReward(r loyalty.Reward) error {
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return t.bucket(bRewards).Put([]byte(r.ID), v)
}

func (t *tx) Redemption(id uint64) (loyalty.Redemption, bool, error) {
	v := t.bucket(bRedemptions).Get(u64(id))
	if v == nil {
		return loyalty.Redemption{}, false, nil
	}
	rd, err := decodeJSON[loyalty.Redemption](v, "redemption", id)
	return rd, err == nil, err
}

// redemptionByIndex returns the redemption an index names, which must exist.
func (t *tx) redemptionByIndex(id uint64) (loyalty.Redemption, error) {
	rd, ok, err := t.Redemption(id)
	if err == nil && !ok {
		err = fmt.Errorf("indexed redemption %d missing: %w", id, ErrCorrupt)
	}
	return rd, err
}

func (t *tx) RedemptionByCode(code string) (loyalty.Redemption, bool, error) {
	v := t.bucket(bCodes).Get([]byte(code))
	if v == nil {
		return loyalty.Redemption{}, false, nil
	}
	rd, err := t.redemptionByIndex(getU64(v))
	return rd, err == nil, err
}

func (t *tx) Redemptions(fn func(loyalty.Redemption) error) error {
	c := t.bucket(bRedemptions).Cursor()
	for k, v := c.Last(); k != nil; k, v = c.Prev() {
		rd, err := decodeJSON[loyalty.Redemption](v, "redemption", getU64(k))
		if err != nil {
			return err
		}
		if err := fn(rd); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) PendingRedemptions(fn func(loyalty.Redemption) error) error {
	c := t.bucket(bPending).Cursor()
	for k, _ := c.Last(); k != nil; k, _ = c.Prev() {
		rd, err := t.redemptionByIndex(getU64(k))
		if err != nil {
			return err
		}
		if err := fn(rd); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) RedemptionsOf(a loyalty.AccountID, fn func(loyalty.Redemption) error) error {
	prefix := acctKey(a)
	c := t.bucket(bRedeemIndex).Cursor()
	k, _ := c.Seek(acctKey(a, u64(^uint64(0))))
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Prev() {
		rd, err := t.redemptionByIndex(binary.BigEndian.Uint64(k[len(prefix):]))
		if err != nil {
			return err
		}
		if err := fn(rd); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) NextRedemptionID() (uint64, error) { return t.bucket(bRedemptions).NextSequence() }

func (t *tx) PutRedemption(rd loyalty.Redemption) error {
	old, had, err := t.Redemption(rd.ID)
	if err != nil {
		return err
	}
	if had && (old.Code != rd.Code || old.Account != rd.Account) {
		return fmt.Errorf("redemption %d: code or account changed", rd.ID)
	}
	if !had {
		if err := t.bucket(bCodes).Put([]byte(rd.Code), u64(rd.ID)); err != nil {
			return err
		}
		if err := t.bucket(bRedeemIndex).Put(acctKey(rd.Account, u64(rd.ID)), nil); err != nil {
			return err
		}
	}
	wasPending, pending := had && old.State == loyalty.RedemptionPending, rd.State == loyalty.RedemptionPending
	switch {
	case pending && !wasPending:
		err = t.bucket(bPending).Put(u64(rd.ID), nil)
	case wasPending && !pending:
		err = t.bucket(bPending).Delete(u64(rd.ID))
	}
	if err != nil {
		return err
	}
	v, err := json.Marshal(rd)
	if err != nil {
		return err
	}
	return t.bucket(bRedemptions).Put(u64(rd.ID), v)
}

func (t *tx) RedeemCount(a loyalty.AccountID, reward string) (int64, error) {
	return int64(getU64(t.bucket(bRedeemCounts).Get(acctKey(a, []byte(reward))))), nil
}

func (t *tx) RedeemCountsOf(a loyalty.AccountID, fn func(string, int64) error) error {
	prefix := acctKey(a)
	type count struct {
		reward string
		n      int64
	}
	var cs []count
	c := t.bucket(bRedeemCounts).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if n := int64(getU64(v)); n != 0 { // releases before kept zero counts
			cs = append(cs, count{string(k[len(prefix):]), n})
		}
	}
	for _, ct := range cs {
		if err := fn(ct.reward, ct.n); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) SetRedeemCount(a loyalty.AccountID, reward string, n int64) error {
	k := acctKey(a, []byte(reward))
	switch {
	case n < 0:
		return fmt.Errorf("redemption count %s/%s: %d below zero", a, reward, n)
	case n == 0:
		return t.bucket(bRedeemCounts).Delete(k)
	}
	return t.bucket(bRedeemCounts).Put(k, u64(uint64(n)))
}

// Merges.

func (t *tx) MergedInto(a loyalty.AccountID) (loyalty.AccountID, bool, error) {
	v := t.bucket(bMerged).Get([]byte(a))
	return loyalty.AccountID(v), v != nil, nil
}

func (t *tx) Merges(fn func(from, to loyalty.AccountID) error) error {
	return t.bucket(bMerged).ForEach(func(k, v []byte) error {
		return fn(loyalty.AccountID(k), loyalty.AccountID(v))
	})
}

func (t *tx) PutMerge(from, to loyalty.AccountID) error {
	return t.bucket(bMerged).Put([]byte(from), []byte(to))
}
