package bolt

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/loyalbot/loyalbot/community"
	bbolt "go.etcd.io/bbolt"
)

func TestMigrate(t *testing.T) {
	db, err := bbolt.Open(filepath.Join(t.TempDir(), "m.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	put := func(bucket, key, val string) {
		t.Helper()
		if err := db.Update(func(tx *bbolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte(bucket))
			if err != nil {
				return err
			}
			return b.Put([]byte(key), []byte(val))
		}); err != nil {
			t.Fatal(err)
		}
	}
	get := func(bucket, key string) (v string) {
		t.Helper()
		_ = db.View(func(tx *bbolt.Tx) error { v = string(tx.Bucket([]byte(bucket)).Get([]byte(key))); return nil })
		return v
	}
	migrateOnce := func() (int, error) {
		var from int
		err := db.Update(func(tx *bbolt.Tx) (err error) { from, err = migrate(tx); return err })
		return from, err
	}
	put("community.members", "a", `{"id":1,"role":3,"name":"ann"}`)
	put("community.members", "b", `{"id":2,"name":"ben"}`)
	put("community.chats", "c", `{"id":"g","kind":1}`)
	if from, err := migrateOnce(); err != nil || from != 1 {
		t.Fatalf("first migration from %d: %v", from, err)
	}
	for _, tc := range []struct{ bucket, key, want string }{
		{"community.members", "a", `"role":"manager"`},
		{"community.members", "b", `"name":"ben"`},
		{"community.chats", "c", `"kind":"private"`},
		{"community.meta", "schema", strconv.Itoa(community.SchemaVersion)},
	} {
		if got := get(tc.bucket, tc.key); !strings.Contains(got, tc.want) {
			t.Errorf("%s/%s = %s, want %s", tc.bucket, tc.key, got, tc.want)
		}
	}
	before := get("community.members", "a")
	roles := 0
	_ = db.View(func(tx *bbolt.Tx) error { roles = tx.Bucket(bucketByRole).Stats().KeyN; return nil })
	if roles != 2 {
		t.Errorf("the role index has %d members, want 2 (built by the migration)", roles)
	}
	if from, err := migrateOnce(); err != nil || from != community.SchemaVersion || get("community.members", "a") != before {
		t.Errorf("second migration from %d (%v) changed %s", from, err, get("community.members", "a"))
	}
	put("community.meta", "schema", "99")
	if _, err := migrateOnce(); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("a newer schema opened: %v", err)
	}
	put("community.meta", "schema", "1")
	put("community.members", "z", `{"id":9,"role":42}`)
	if _, err := migrateOnce(); err == nil || get("community.meta", "schema") != "1" {
		t.Errorf("a failed migration left schema %s (%v): it must be all or nothing", get("community.meta", "schema"), err)
	}
}
