package bolt

import (
	"fmt"

	"github.com/loyalbot/loyalbot/loyalty"
	bbolt "go.etcd.io/bbolt"
)

// tx is a loyalty.Tx on a bbolt transaction. Buckets are looked up on
// first use: a balance read touches one bucket, not all of them. In a
// read-write transaction account records are kept decoded and written once
// by flush before commit, so a batch that credits a thousand members from
// one issuance account writes that account once, not a thousand times.
//
// tx itself keeps accounts, entries, idempotency keys and merges; the
// types it embeds keep lots, holds, rewards and leaderboards, all on the
// one txn.
type tx struct {
	txn
	lotTx
	holdTx
	rewardTx
	boardTx
}

// txn is the state every part of a tx shares: the bbolt transaction, its
// buckets and the accounts it loaded.
type txn struct {
	btx   *bbolt.Tx
	bk    [nBuckets]*bbolt.Bucket
	accts map[loyalty.AccountID]*account // read-write transactions: every account touched
	dirty []loyalty.AccountID            // changed accounts, in first-change order
}

func newTx(btx *bbolt.Tx) *tx {
	t := &tx{txn: txn{btx: btx}}
	t.lotTx.txn, t.holdTx.txn, t.rewardTx.txn, t.boardTx.txn = &t.txn, &t.txn, &t.txn, &t.txn
	return t
}

func (t *txn) bucket(i int) *bbolt.Bucket {
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
func (t *txn) load(a loyalty.AccountID) *account {
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
func (t *txn) change(a loyalty.AccountID) *account {
	acc := t.load(a)
	if !acc.dirty {
		acc.dirty = true
		t.dirty = append(t.dirty, a)
	}
	return acc
}

// flush writes the changed account records. Update calls it before commit.
func (t *txn) flush() error {
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
