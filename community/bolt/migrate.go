package bolt

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/loyalbot/loyalbot/community"
	bbolt "go.etcd.io/bbolt"
)

// migrations[v] brings the data from version v to v+1. A database without
// a stored version was written by a release before versions were stored:
// version 1.
var migrations = map[int]func(tx *bbolt.Tx) error{
	1: migrateStableNames,
	2: buildIndexes,
}

// migrate brings the community's buckets to community.SchemaVersion
// inside tx (the caller's one transaction: all or nothing). Running it
// again on migrated data changes nothing. A database from a newer release
// is refused. It returns the version the data had.
func migrate(tx *bbolt.Tx) (from int, err error) {
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return 0, err
	}
	v, err := schemaVersion(meta)
	if err != nil {
		return 0, err
	}
	from = v
	if v > community.SchemaVersion {
		return from, fmt.Errorf("the database has community schema %d, newer than this release's %d: run the newer loyalbot", v, community.SchemaVersion)
	}
	for ; v < community.SchemaVersion; v++ {
		m := migrations[v]
		if m == nil {
			return from, fmt.Errorf("no migration from community schema %d", v)
		}
		if err := m(tx); err != nil {
			return from, fmt.Errorf("migrate community schema %d to %d: %w", v, v+1, err)
		}
	}
	return from, meta.Put(keySchema, []byte(strconv.Itoa(community.SchemaVersion)))
}

// legacyRoles and legacyKinds are the integers releases before schema 2
// stored for roles (bots.Role's order then) and chat kinds.
var (
	legacyRoles = map[float64]community.Role{0: community.RoleMember, 1: community.RoleMember, 2: community.RoleAmbassador,
		3: community.RoleManager, 4: community.RoleOwner}
	legacyKinds = map[float64]community.ChatKind{0: community.ChatGroup, 1: community.ChatPrivate}
)

// migrateStableNames rewrites members' roles and chats' kinds from
// integers to names.
func migrateStableNames(tx *bbolt.Tx) error {
	if err := rewriteField(tx.Bucket(bucketMembers), "role", func(n float64) (string, bool) { r, ok := legacyRoles[n]; return string(r), ok }); err != nil {
		return fmt.Errorf("members: %w", err)
	}
	if err := rewriteField(tx.Bucket(bucketChats), "kind", func(n float64) (string, bool) { k, ok := legacyKinds[n]; return string(k), ok }); err != nil {
		return fmt.Errorf("chats: %w", err)
	}
	return nil
}

// rewriteField replaces a numeric JSON field of every record in b with
// the name name returns for it; records whose field is a string already
// are left as they are.
func rewriteField(b *bbolt.Bucket, field string, name func(float64) (string, bool)) error {
	if b == nil {
		return nil
	}
	type kv struct{ k, v []byte }
	var out []kv
	err := b.ForEach(func(k, v []byte) error {
		var rec map[string]json.RawMessage
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("record %x: %w", k, err)
		}
		var n float64
		if json.Unmarshal(rec[field], &n) != nil {
			return nil // absent or already a name
		}
		s, ok := name(n)
		if !ok {
			return fmt.Errorf("record %x: unknown %s %v", k, field, n)
		}
		rec[field], _ = json.Marshal(s)
		nv, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		out = append(out, kv{append([]byte(nil), k...), nv})
		return nil
	})
	if err != nil {
		return err
	}
	for _, r := range out {
		if err := b.Put(r.k, r.v); err != nil {
			return err
		}
	}
	return nil
}

// buildIndexes fills the member and group chat indexes from the records,
// for a database written before they existed.
func buildIndexes(tx *bbolt.Tx) error {
	for _, b := range [][]byte{bucketMembers, bucketChats, bucketByRole, bucketByJoined, bucketByActive, bucketGroups} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	t := newTxn(tx)
	if err := t.Members(func(m community.Member) error { return t.reindex(community.Member{}, m) }); err != nil {
		return err
	}
	groups := tx.Bucket(bucketGroups)
	return tx.Bucket(bucketChats).ForEach(func(k, v []byte) error {
		c, err := decodeChat(k, v)
		if err != nil {
			return err
		}
		if c.Kind == community.ChatGroup {
			return groups.Put(k, nil)
		}
		return nil
	})
}
