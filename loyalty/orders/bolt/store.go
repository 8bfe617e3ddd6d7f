// Package bolt keeps the shop integration's data in bbolt: it implements
// orders.Store.
//
// # Layout
//
// Records are JSON, under the buckets package orders always used, so
// existing databases open unchanged:
//
//	orders.orders            order id → Order
//	orders.by_customer       customer id \0 order id → nil
//	orders.customers         customer id → member id (big-endian)
//	orders.member_customers  member id (big-endian), customer id → nil
//	orders.contacts          contact key → customer id, led by 0x01 when verified
//	orders.unlinked          customer id \0 member id (big-endian) → nil
//	orders.settlements       order id → Settlement
//	orders.unsettled         order id → member id (big-endian)
//	orders.paid_days         customer id → orders.PaidDays (fixed binary, see encodePaidDays)
//
// The index by customer is kept by PutOrder, and the one by member by
// PutLink and DeleteLink, in the transaction that writes the record; the
// service keeps the paid days with PutPaidDays. Open builds all three for a
// database written before they existed.
package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"

	"github.com/loyalbot/loyalbot/loyalty/orders"
	bbolt "go.etcd.io/bbolt"
)

var (
	bucketOrders      = []byte("orders.orders")
	bucketByCustomer  = []byte("orders.by_customer")
	bucketLinks       = []byte("orders.customers")
	bucketMemberLinks = []byte("orders.member_customers")
	bucketContacts    = []byte("orders.contacts")
	bucketUnlinked    = []byte("orders.unlinked")
	bucketSettlements = []byte("orders.settlements")
	bucketUnsettled   = []byte("orders.unsettled")
)

// Store is an orders.Store on a bbolt database. It is safe for concurrent
// use.
type Store struct {
	db *bbolt.DB
}

// Open creates the shop buckets in db and, when the indexes by customer
// and by member or the customers' paid days are missing (a database written
// before them), builds them from the orders and links, all in one
// transaction: opening again changes
// nothing. It returns an error wrapping the decode error when a stored
// order does not decode.
func Open(db *bbolt.DB) (*Store, error) {
	err := db.Update(func(tx *bbolt.Tx) error {
		fresh, noPaidDays := tx.Bucket(bucketByCustomer) == nil, tx.Bucket(bucketPaidDays) == nil
		for _, b := range [][]byte{bucketOrders, bucketLinks, bucketContacts, bucketByCustomer, bucketMemberLinks,
			bucketSettlements, bucketUnsettled, bucketUnlinked, bucketPaidDays} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		if fresh {
			if err := buildIndexes(tx); err != nil {
				return err
			}
		}
		if noPaidDays {
			return buildPaidDays(tx)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("open orders: %w", err)
	}
	return &Store{db: db}, nil
}

// buildIndexes fills the indexes by customer and by member from the
// orders and links of a database written before they existed.
func buildIndexes(tx *bbolt.Tx) error {
	bc, ml := tx.Bucket(bucketByCustomer), tx.Bucket(bucketMemberLinks)
	if err := tx.Bucket(bucketOrders).ForEach(func(k, v []byte) error {
		o, err := decodeOrder(k, v)
		if err != nil {
			return err
		}
		return bc.Put(customerKey(o.Customer, o.ID), nil)
	}); err != nil {
		return err
	}
	return tx.Bucket(bucketLinks).ForEach(func(k, v []byte) error {
		if len(v) != 8 {
			return nil
		}
		return ml.Put(memberKey(binary.BigEndian.Uint64(v), string(k)), nil)
	})
}

// Update runs fn in one bbolt read-write transaction.
func (s *Store) Update(ctx context.Context, fn func(tx orders.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Update(func(tx *bbolt.Tx) error { return fn(newTxn(tx)) })
}

// View runs fn in one bbolt read-only transaction.
func (s *Store) View(ctx context.Context, fn func(tx orders.ReadTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(func(tx *bbolt.Tx) error { return fn(newTxn(tx)) })
}

// txn is an orders.Tx on one bbolt transaction (in a read-only one only
// its read methods are called). Its methods come from one type per kind of
// record (orders, links and contacts, settlements), each over the same
// transaction.
type txn struct {
	orderTxn
	linkTxn
	settlementTxn
}

func newTxn(tx *bbolt.Tx) *txn {
	b := bucketTx{tx: tx}
	return &txn{orderTxn{b}, linkTxn{b}, settlementTxn{b}}
}

// bucketTx is what every part of a txn shares: the bbolt transaction.
type bucketTx struct{ tx *bbolt.Tx }

func (t bucketTx) b(name []byte) *bbolt.Bucket { return t.tx.Bucket(name) }

// orderTxn reads and writes orders and the index by customer.
type orderTxn struct{ bucketTx }

// linkTxn reads and writes links, the index by member, contacts and
// managers' unlinks.
type linkTxn struct{ bucketTx }

// settlementTxn reads and writes settlements and the unsettled marks.
type settlementTxn struct{ bucketTx }

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

// customerKey is an entry of the index by customer.
func customerKey(customer, order string) []byte { return []byte(customer + "\x00" + order) }

// memberKey is an entry of the index by member.
func memberKey(member uint64, customer string) []byte { return append(u64(member), customer...) }

// getMember decodes a stored member id; ok is false when v is nil (no
// such key).
func getMember(v []byte) (member uint64, ok bool, err error) {
	switch {
	case v == nil:
		return 0, false, nil
	case len(v) != 8:
		return 0, false, fmt.Errorf("stored member id %x is not 8 bytes", v)
	}
	return binary.BigEndian.Uint64(v), true, nil
}

// walkPrefix calls fn with the rest of each key of b that starts with
// prefix, in order.
func walkPrefix(b *bbolt.Bucket, prefix []byte, fn func(rest []byte) error) error {
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if err := fn(k[len(prefix):]); err != nil {
			return err
		}
	}
	return nil
}

// Interface guards.
var (
	_ orders.Store = (*Store)(nil)
	_ orders.Tx    = (*txn)(nil)
)
