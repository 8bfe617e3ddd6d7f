// Package bolt keeps the ambassador programme's data in bbolt: it
// implements ugc.Store.
//
// # Layout
//
// Records are JSON and keys big-endian ids, under the buckets package ugc
// always used, so existing databases open unchanged:
//
//	ugc.submissions     id → Submission
//	ugc.by_url          canonical URL → id
//	ugc.by_member       member id, submission id → nil
//	ugc.pending         id → nil while pending
//	ugc.daily           member id, date → submissions that day
//	ugc.keys            idempotency key → submission id
//	ugc.referral_codes  code → member id
//	ugc.member_codes    member id → code
//	ugc.referrals       referee id → Referral
//	ugc.by_referrer     referrer id, referee id → nil
//	ugc.rejected_refs   sequence → Referral
//	ugc.attributions    referrer id, date → count
//	ugc.applications    member id → Application
//	ugc.payments        idempotency key → loyalty.Posting still to post
//
// The indexes by URL, by member, of pending submissions and by referrer
// are kept by PutSubmission and PutReferral in the transaction that
// writes the record.
package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"

	boltrec "github.com/loyalbot/loyalbot/internal/bolt"

	"github.com/loyalbot/loyalbot/ugc"
	bbolt "go.etcd.io/bbolt"
)

var (
	bucketSubmissions = []byte("ugc.submissions")
	bucketByURL       = []byte("ugc.by_url")
	bucketByMember    = []byte("ugc.by_member")
	bucketPending     = []byte("ugc.pending")
	bucketDaily       = []byte("ugc.daily")
	bucketKeys        = []byte("ugc.keys")
	bucketCodes       = []byte("ugc.referral_codes")
	bucketMemberCodes = []byte("ugc.member_codes")
	bucketReferrals   = []byte("ugc.referrals")
	bucketByReferrer  = []byte("ugc.by_referrer")
	bucketRejectedRef = []byte("ugc.rejected_refs")
	bucketAttrDaily   = []byte("ugc.attributions")
	bucketApps        = []byte("ugc.applications")
	bucketPayments    = []byte("ugc.payments")
)

// Store is a ugc.Store on a bbolt database. It is safe for concurrent use.
type Store struct {
	db *bbolt.DB
}

// Open creates the programme's buckets in db, in one transaction; opening
// again changes nothing.
func Open(db *bbolt.DB) (*Store, error) {
	err := db.Update(func(tx *bbolt.Tx) error {
		for _, b := range [][]byte{bucketSubmissions, bucketByURL, bucketByMember, bucketPending, bucketDaily, bucketKeys,
			bucketCodes, bucketMemberCodes, bucketReferrals, bucketByReferrer, bucketRejectedRef, bucketAttrDaily, bucketApps, bucketPayments} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("open ugc: %w", err)
	}
	return &Store{db: db}, nil
}

// Update runs fn in one bbolt read-write transaction.
func (s *Store) Update(ctx context.Context, fn func(tx ugc.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Update(func(tx *bbolt.Tx) error { return fn(newTxn(tx)) })
}

// View runs fn in one bbolt read-only transaction.
func (s *Store) View(ctx context.Context, fn func(tx ugc.ReadTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(func(tx *bbolt.Tx) error { return fn(newTxn(tx)) })
}

// txn is a ugc.Tx on one bbolt transaction (in a read-only one only its
// read methods are called). Its methods come from one type per kind of
// record (submissions, referrals, other records), each over the same
// transaction.
type txn struct {
	submissionTxn
	referralTxn
	recordTxn
}

func newTxn(tx *bbolt.Tx) *txn {
	b := bucketTx{tx: tx}
	return &txn{submissionTxn{b}, referralTxn{b}, recordTxn{b}}
}

// bucketTx is what every part of a txn shares: the bbolt transaction.
type bucketTx struct{ tx *bbolt.Tx }

// submissionTxn reads and writes submissions and their indexes.
type submissionTxn struct{ bucketTx }

// referralTxn reads and writes referral codes and referrals.
type referralTxn struct{ bucketTx }

// recordTxn reads and writes applications and the payments outbox.
type recordTxn struct{ bucketTx }

func (t bucketTx) b(name []byte) *bbolt.Bucket { return t.tx.Bucket(name) }

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func pair(a, b uint64) []byte { return binary.BigEndian.AppendUint64(u64(a), b) }

// dayKey is the key of a per-day counter.
func dayKey(member uint64, day string) []byte { return append(u64(member), day...) }

func getCount(v []byte) int {
	if len(v) != 8 {
		return 0
	}
	return int(binary.BigEndian.Uint64(v))
}

// walkPairs calls fn with the second id of each pair key in bucket name
// whose first id is first, in order of the second.
func (t bucketTx) walkPairs(name []byte, first uint64, order ugc.Order, fn func(second uint64) error) error {
	prefix := u64(first)
	c := t.b(name).Cursor()
	var k []byte
	next := c.Next
	switch {
	case order != ugc.NewestFirst:
		k, _ = c.Seek(prefix)
	case first == math.MaxUint64:
		k, _ = c.Last()
		next = c.Prev
	default:
		next = c.Prev
		if k, _ = c.Seek(u64(first + 1)); k == nil { // the next id's first key
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = next() {
		if len(k) != 16 {
			return fmt.Errorf("index %s: key %x is not a pair of ids", name, k)
		}
		if err := fn(binary.BigEndian.Uint64(k[8:])); err != nil {
			return err
		}
	}
	return nil
}

// Interface guards.
var (
	_ ugc.Store = (*Store)(nil)
	_ ugc.Tx    = (*txn)(nil)
)

// walk calls fn with each key and value of b, in order.
func walk(b *bbolt.Bucket, order ugc.Order, fn func(k, v []byte) error) error {
	return boltrec.Walk(b, order == ugc.NewestFirst, fn)
}
