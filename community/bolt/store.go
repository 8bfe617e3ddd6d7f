// Package bolt keeps the community's data in bbolt: it implements
// community.Store.
//
// # Layout
//
// Records are JSON and ids big-endian, under the buckets package community
// always used, so existing databases open unchanged:
//
//	community.members            member id → Member
//	community.members_by_role    role \0 member id → nil, live members only
//	community.members_by_joined  joined (Unix ns), member id → nil, live members only
//	community.members_by_active  last active (Unix ns), member id → nil, live members only
//	community.identities         platform \0 user id → member id
//	community.handles            platform \0 lowercase handle → member id
//	community.links              link code → LinkCode
//	community.chats              platform \0 chat id → Chat
//	community.group_chats        platform \0 chat id → nil, group chats only
//	community.brand_chats        platform \0 chat or server id → BrandChat
//	community.erased             AccountHash → nil
//	community.days               day marker → nil
//	community.audit              entry id → AuditEntry
//	community.audit_by_member    member id, entry id → nil (actor and target)
//	community.audit_keys         idempotency key → entry id
//	community.grant_usage        manager id, date → points given that day
//	community.jobs               key → Job
//	community.meta               "schema" → the schema version, in decimal
//
// The member indexes are kept by PutMember, the group chat index by
// PutChat, and the audit indexes by PutAuditEntry, each in the
// transaction that writes the record.
//
// # Migrations
//
// Open brings older data to community.SchemaVersion in the transaction
// that creates the buckets: all or nothing, and nothing the second time.
package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"strings"

	boltrec "github.com/loyalbot/loyalbot/internal/bolt"

	"github.com/loyalbot/loyalbot/community"
	bbolt "go.etcd.io/bbolt"
)

var (
	bucketMembers       = []byte("community.members")
	bucketByRole        = []byte("community.members_by_role")
	bucketByJoined      = []byte("community.members_by_joined")
	bucketByActive      = []byte("community.members_by_active")
	bucketIdentities    = []byte("community.identities")
	bucketHandles       = []byte("community.handles")
	bucketLinks         = []byte("community.links")
	bucketChats         = []byte("community.chats")
	bucketGroups        = []byte("community.group_chats")
	bucketBrand         = []byte("community.brand_chats")
	bucketErased        = []byte("community.erased")
	bucketDays          = []byte("community.days")
	bucketAudit         = []byte("community.audit")
	bucketAuditByMember = []byte("community.audit_by_member")
	bucketAuditKeys     = []byte("community.audit_keys")
	bucketGrantUsage    = []byte("community.grant_usage")
	bucketJobs          = []byte("community.jobs")
	bucketMeta          = []byte("community.meta")

	keySchema = []byte("schema")
)

// Store is a community.Store on a bbolt database. It is safe for
// concurrent use.
type Store struct {
	db *bbolt.DB
}

// Open creates the community's buckets in db and migrates what they hold
// to community.SchemaVersion, in one transaction; opening again changes
// nothing. It refuses a database a newer release wrote, and returns the
// failing migration's error (nothing changed then).
func Open(db *bbolt.DB) (*Store, error) {
	err := db.Update(func(tx *bbolt.Tx) error {
		for _, b := range [][]byte{bucketMembers, bucketByRole, bucketByJoined, bucketByActive, bucketIdentities, bucketHandles,
			bucketLinks, bucketChats, bucketGroups, bucketBrand, bucketErased, bucketDays, bucketAudit, bucketAuditByMember,
			bucketAuditKeys, bucketGrantUsage, bucketJobs, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		_, err := migrate(tx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("open community: %w", err)
	}
	return &Store{db: db}, nil
}

// Update runs fn in one bbolt read-write transaction.
func (s *Store) Update(ctx context.Context, fn func(tx community.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Update(func(tx *bbolt.Tx) error { return fn(newTxn(tx)) })
}

// View runs fn in one bbolt read-only transaction.
func (s *Store) View(ctx context.Context, fn func(tx community.ReadTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(func(tx *bbolt.Tx) error { return fn(newTxn(tx)) })
}

// txn is a community.Tx on one bbolt transaction (in a read-only one only
// its read methods are called). Its methods come from one type per kind
// of record, each over the same transaction.
type txn struct {
	memberTxn  // members and their indexes
	accountTxn // platform accounts and handles
	chatTxn    // chats, group chats and brand chats
	auditTxn   // the audit log and grant usage
	recordTxn  // link codes, erased accounts, day markers, jobs, the schema version
}

func newTxn(tx *bbolt.Tx) *txn {
	b := bucketTx{tx: tx}
	return &txn{memberTxn{b}, accountTxn{b}, chatTxn{b}, auditTxn{b}, recordTxn{b}}
}

// bucketTx is what every part of a txn shares: the bbolt transaction.
type bucketTx struct{ tx *bbolt.Tx }

func (t bucketTx) b(name []byte) *bbolt.Bucket { return t.tx.Bucket(name) }

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func pair(a, b uint64) []byte { return binary.BigEndian.AppendUint64(u64(a), b) }

// nameKey is the key of a record named by a platform and a name in it
// (a user id, a handle, a chat id).
func nameKey(platform, name string) []byte { return []byte(platform + "\x00" + name) }

// splitName splits a nameKey.
func splitName(k []byte) (platform, name string, err error) {
	platform, name, ok := strings.Cut(string(k), "\x00")
	if !ok {
		return "", "", fmt.Errorf("key %q is not platform\\0name", k)
	}
	return platform, name, nil
}

// walkPrefix calls fn with the rest of each key of bucket name that
// starts with prefix, in order.
func (t bucketTx) walkPrefix(name, prefix []byte, fn func(rest []byte) error) error {
	c := t.b(name).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if err := fn(k[len(prefix):]); err != nil {
			return err
		}
	}
	return nil
}

// Interface guards.
var (
	_ community.Store = (*Store)(nil)
	_ community.Tx    = (*txn)(nil)
)

// walk calls fn with each key and value of b, in order.
func walk(b *bbolt.Bucket, order community.Order, fn func(k, v []byte) error) error {
	return boltrec.Walk(b, order == community.NewestFirst, fn)
}
