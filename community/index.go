package community

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Indexes over members and chats, maintained in the transaction that
// writes the record, so listings never decode the whole bucket. Members
// folded by /link or erased are in none of the member indexes.
var (
	bucketByRole   = []byte("community.members_by_role")   // role \0 member id → nil
	bucketByJoined = []byte("community.members_by_joined") // joined (Unix ns) member id → nil
	bucketByActive = []byte("community.members_by_active") // last active (Unix ns) member id → nil
	bucketGroups   = []byte("community.group_chats")       // platform \0 chat id → nil, group chats only
)

func indexBuckets() [][]byte {
	return [][]byte{bucketByRole, bucketByJoined, bucketByActive, bucketGroups}
}

func roleKey(r Role, id uint64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte(cmpRole(r)), 0), id)
}

// cmpRole is how a role is indexed: "" is a member.
func cmpRole(r Role) Role {
	if r == "" {
		return RoleMember
	}
	return r
}

func timeKey(t time.Time, id uint64) []byte {
	return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, uint64(t.UnixNano())), id)
}

// indexed reports whether a member belongs in the member indexes.
func indexed(m Member) bool { return m.MergedInto == 0 && m.Erased.IsZero() }

// reindexMember moves a member's index entries from what old said to what
// m says (old is the zero Member for a new one).
func reindexMember(tx *bolt.Tx, old, m Member) error {
	type entry struct {
		bucket []byte
		key    func(Member) []byte
	}
	for _, e := range []entry{
		{bucketByRole, func(x Member) []byte { return roleKey(x.Role, x.ID) }},
		{bucketByJoined, func(x Member) []byte { return timeKey(x.Joined, x.ID) }},
		{bucketByActive, func(x Member) []byte { return timeKey(x.LastActive, x.ID) }},
	} {
		b := tx.Bucket(e.bucket)
		var was, is []byte
		if old.ID != 0 && indexed(old) {
			was = e.key(old)
		}
		if indexed(m) {
			is = e.key(m)
		}
		if bytes.Equal(was, is) {
			continue
		}
		if was != nil {
			if err := b.Delete(was); err != nil {
				return err
			}
		}
		if is != nil {
			if err := b.Put(is, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// buildIndexes fills the indexes from the records, for a database written
// before they existed. It runs inside the migration's transaction.
func buildIndexes(tx *bolt.Tx) error {
	for _, b := range indexBuckets() {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	if err := tx.Bucket(bucketMembers).ForEach(func(_, v []byte) error {
		var m Member
		if err := json.Unmarshal(v, &m); err != nil {
			return err
		}
		return reindexMember(tx, Member{}, m)
	}); err != nil {
		return err
	}
	groups := tx.Bucket(bucketGroups)
	return tx.Bucket(bucketChats).ForEach(func(k, v []byte) error {
		var c Chat
		if err := json.Unmarshal(v, &c); err != nil {
			return err
		}
		if c.Kind == ChatGroup {
			return groups.Put(k, nil)
		}
		return nil
	})
}
