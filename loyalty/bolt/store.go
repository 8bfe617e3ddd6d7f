// Package bolt keeps a loyalty ledger in bbolt: it implements
// loyalty.Store on a *bbolt.DB that other packages may share (each owns
// the buckets prefixed with its name; this one owns "loyalty.").
//
// # Layout
//
// Account records, entries, lot-use lists and idempotency keys are fixed
// binary layouts (see encode.go); holds, rewards and redemptions are JSON.
// Indexes are buckets of composite keys kept in step with their records in
// the same transaction: a member's lots and their expiry, open holds by
// account and by expiry, redemption codes, pending redemptions and
// redemptions by account. Each entry links to the previous entry of both
// its accounts, and an account record names its newest entry, so an
// account's history is walked without an index. Databases written before
// this package existed open unchanged; Open adds what is new.
package bolt

import (
	"context"
	"fmt"
	"io"

	"github.com/loyalbot/loyalbot/loyalty"
	bbolt "go.etcd.io/bbolt"
)

// Bucket names, all prefixed "loyalty.". The b* constants index bucketNames.
const (
	bAccounts     = iota // account → account record (with the head of its history)
	bEntries             // entry id → entry (with links to the previous entries of its accounts)
	bKeys                // idempotency key → key record
	bReversals           // original entry id → reversal entry id
	bConsumed            // debit entry id → lot uses
	bLots                // member\0 expires → remaining
	bLotExpiry           // expires member → nil
	bHolds               // hold id → Hold (JSON)
	bHoldIndex           // member\0 hold id → nil while open
	bHoldExpiry          // expires hold id → nil while open
	bRewards             // reward id → Reward (JSON)
	bRedemptions         // redemption id → Redemption (JSON)
	bCodes               // code → redemption id
	bRedeemCounts        // member\0 reward id → count
	bPending             // redemption id → nil while pending
	bMerged              // member account → the member account it was merged into
	bRedeemIndex         // member\0 redemption id → nil
	bBoards              // leaderboards: one nested bucket per board (see boardTx), and the newest entry applied
	nBuckets
)

var bucketNames = [nBuckets][]byte{
	bAccounts: []byte("loyalty.accounts"), bEntries: []byte("loyalty.entries"), bKeys: []byte("loyalty.keys"),
	bReversals: []byte("loyalty.reversals"), bConsumed: []byte("loyalty.consumed"),
	bLots: []byte("loyalty.lots"), bLotExpiry: []byte("loyalty.lot_expiry"),
	bHolds: []byte("loyalty.holds"), bHoldIndex: []byte("loyalty.holds_by_account"), bHoldExpiry: []byte("loyalty.hold_expiry"),
	bRewards: []byte("loyalty.rewards"), bRedemptions: []byte("loyalty.redemptions"), bCodes: []byte("loyalty.redemption_codes"),
	bRedeemCounts: []byte("loyalty.redemption_counts"), bPending: []byte("loyalty.redemptions_open"),
	bMerged: []byte("loyalty.merged"), bRedeemIndex: []byte("loyalty.redemptions_by_account"),
	bBoards: []byte("loyalty.boards"),
}

// Store is a loyalty.Store on a bbolt database. It is safe for concurrent
// use; bbolt runs one read-write transaction at a time and any number of
// read transactions beside it.
type Store struct {
	db *bbolt.DB
}

// Open creates the ledger's buckets in db and builds the indexes a database
// written by an older release lacks, in one transaction. The caller keeps
// ownership of db: closing it is the caller's, after the ledger on this
// store is closed.
func Open(db *bbolt.DB) (*Store, error) {
	err := db.Update(func(btx *bbolt.Tx) error {
		fresh := btx.Bucket(bucketNames[bRedeemIndex]) == nil
		for _, name := range bucketNames {
			if _, err := btx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		if fresh {
			return indexRedemptions(btx)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("open loyalty store: %w", err)
	}
	return &Store{db: db}, nil
}

// indexRedemptions builds the redemptions-by-account index, which releases
// before it did not keep.
func indexRedemptions(btx *bbolt.Tx) error {
	idx := btx.Bucket(bucketNames[bRedeemIndex])
	return btx.Bucket(bucketNames[bRedemptions]).ForEach(func(k, v []byte) error {
		rd, err := decodeJSON[loyalty.Redemption](v, "redemption", getU64(k))
		if err != nil {
			return err
		}
		return idx.Put(acctKey(rd.Account, u64(rd.ID)), nil)
	})
}

// Update runs fn in one bbolt read-write transaction, which commits (with
// an fsync, unless the database was opened NoSync) when fn returns nil.
func (s *Store) Update(ctx context.Context, fn func(loyalty.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Update(func(btx *bbolt.Tx) error {
		t := newTx(btx)
		if err := fn(t); err != nil {
			return err
		}
		return t.flush()
	})
}

// View runs fn in one bbolt read transaction.
func (s *Store) View(ctx context.Context, fn func(loyalty.ReadTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(func(btx *bbolt.Tx) error { return fn(newTx(btx)) })
}

// Backup writes a consistent copy of the whole database — every package's
// buckets, not only the ledger's — to w while writes continue: it runs in
// one read transaction, which bbolt never blocks writers for. It returns
// the number of bytes written.
func (s *Store) Backup(ctx context.Context, w io.Writer) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var n int64
	err := s.db.View(func(btx *bbolt.Tx) error {
		var err error
		n, err = btx.WriteTo(w)
		return err
	})
	return n, err
}

// Interface guards.
var (
	_ loyalty.Store    = (*Store)(nil)
	_ loyalty.Backuper = (*Store)(nil)
	_ loyalty.Tx       = (*tx)(nil)
)
