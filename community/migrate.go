package community

import (
	"encoding/json"
	"fmt"
	"strconv"

	bolt "go.etcd.io/bbolt"
)

// The community's schema version lives in bucketMeta under "schema". A
// database without it was written by a release before versions were
// stored: version 1.
var (
	bucketMeta = []byte("community.meta")
	keySchema  = []byte("schema")
)

// SchemaVersion is the version of the community's stored data this code
// writes.
const SchemaVersion = 3

// migrations[v] brings the data from version v to v+1.
var migrations = map[int]func(tx *bolt.Tx) error{
	1: migrateStableNames,
	2: buildIndexes,
}

// migrate brings the community's buckets to SchemaVersion inside tx (the
// caller's one transaction: all or nothing). Running it again on migrated
// data changes nothing. A database from a newer release is refused.
func migrate(tx *bolt.Tx) (from int, err error) {
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return 0, err
	}
	v := 1
	if raw := meta.Get(keySchema); raw != nil {
		if v, err = strconv.Atoi(string(raw)); err != nil {
			return 0, fmt.Errorf("schema version %q: %w", raw, err)
		}
	}
	from = v
	if v > SchemaVersion {
		return from, fmt.Errorf("the database has community schema %d, newer than this release's %d: run the newer loyalbot", v, SchemaVersion)
	}
	for ; v < SchemaVersion; v++ {
		if err := migrations[v](tx); err != nil {
			return from, fmt.Errorf("migrate community schema %d to %d: %w", v, v+1, err)
		}
	}
	return from, meta.Put(keySchema, []byte(strconv.Itoa(SchemaVersion)))
}

// legacyRoles and legacyKinds are the integers releases before schema 2
// stored for roles (bots.Role's order then) and chat kinds.
var (
	legacyRoles = map[float64]Role{0: RoleMember, 1: RoleMember, 2: RoleAmbassador, 3: RoleManager, 4: RoleOwner}
	legacyKinds = map[float64]ChatKind{0: ChatGroup, 1: ChatPrivate}
)

// migrateStableNames rewrites members' roles and chats' kinds from
// integers to names.
func migrateStableNames(tx *bolt.Tx) error {
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
func rewriteField(b *bolt.Bucket, field string, name func(float64) (string, bool)) error {
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
