package bolt

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	boltrec "github.com/loyalbot/loyalbot/internal/bolt"

	"github.com/loyalbot/loyalbot/community"
	bbolt "go.etcd.io/bbolt"
)

// memberTxn reads and writes members and the member indexes.
type memberTxn struct{ bucketTx }

func (t *memberTxn) Member(id uint64) (community.Member, bool, error) {
	var m community.Member
	ok, err := boltrec.GetJSON(t.b(bucketMembers).Get(u64(id)), &m)
	if err != nil {
		return community.Member{}, false, fmt.Errorf("decode member %d: %w", id, err)
	}
	return m, ok, nil
}

func (t *memberTxn) Members(fn func(community.Member) error) error {
	return walk(t.b(bucketMembers), community.OldestFirst, func(k, v []byte) error {
		var m community.Member
		if _, err := boltrec.GetJSON(v, &m); err != nil {
			return fmt.Errorf("decode member %x: %w", k, err)
		}
		return fn(m)
	})
}

func (t *memberTxn) MemberIDsWithRole(role community.Role, fn func(id uint64) error) error {
	return t.walkPrefix(bucketByRole, append([]byte(indexedRole(role)), 0), func(rest []byte) error {
		if len(rest) != 8 {
			return fmt.Errorf("role index: key %q does not end in an id", rest)
		}
		return fn(binary.BigEndian.Uint64(rest))
	})
}

func (t *memberTxn) RoleIndex(fn func(role community.Role, id uint64) error) error {
	return walk(t.b(bucketByRole), community.OldestFirst, func(k, _ []byte) error {
		n := len(k) - 9
		if n < 0 || k[n] != 0 {
			return fmt.Errorf("role index: key %q is not role\\0id", k)
		}
		return fn(community.Role(k[:n]), binary.BigEndian.Uint64(k[n+1:]))
	})
}

func (t *memberTxn) MembersByJoined(order community.Order, fn func(joined time.Time, id uint64) error) error {
	return walkTimes(t.b(bucketByJoined), order, fn)
}

func (t *memberTxn) MembersByActive(order community.Order, fn func(active time.Time, id uint64) error) error {
	return walkTimes(t.b(bucketByActive), order, fn)
}

func (t *memberTxn) NextMemberID() (uint64, error) { return t.b(bucketMembers).NextSequence() }

// PutMember writes m and moves its index entries from what the stored
// record said to what m says.
func (t *memberTxn) PutMember(m community.Member) error {
	old, _, err := t.Member(m.ID)
	if err != nil {
		return err
	}
	if err := boltrec.PutJSON(t.b(bucketMembers), u64(m.ID), m); err != nil {
		return err
	}
	return t.reindex(old, m)
}

// reindex moves a member's index entries from what old said to what m
// says (old is the zero Member for a new one).
func (t *memberTxn) reindex(old, m community.Member) error {
	type index struct {
		bucket []byte
		key    func(community.Member) []byte
	}
	for _, ix := range []index{
		{bucketByRole, func(x community.Member) []byte { return roleKey(x.Role, x.ID) }},
		{bucketByJoined, func(x community.Member) []byte { return timeKey(x.Joined, x.ID) }},
		{bucketByActive, func(x community.Member) []byte { return timeKey(x.LastActive, x.ID) }},
	} {
		b := t.b(ix.bucket)
		var was, is []byte
		if old.ID != 0 && old.Live() {
			was = ix.key(old)
		}
		if m.Live() {
			is = ix.key(m)
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

// indexedRole is how a role is indexed: "" is a member.
func indexedRole(r community.Role) community.Role {
	if r == "" {
		return community.RoleMember
	}
	return r
}

func roleKey(r community.Role, id uint64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte(indexedRole(r)), 0), id)
}

func timeKey(t time.Time, id uint64) []byte { return pair(uint64(t.UnixNano()), id) }

// walkTimes walks an index of time keys.
func walkTimes(b *bbolt.Bucket, order community.Order, fn func(t time.Time, id uint64) error) error {
	return walk(b, order, func(k, _ []byte) error {
		if len(k) != 16 {
			return fmt.Errorf("index %x: key is not a time and an id", k)
		}
		return fn(time.Unix(0, int64(binary.BigEndian.Uint64(k))), binary.BigEndian.Uint64(k[8:]))
	})
}

// accountTxn reads and writes the platform accounts and handles that map
// to members.
type accountTxn struct{ bucketTx }

func (t *accountTxn) IdentityMember(platform, user string) (uint64, bool, error) {
	id, ok, err := boltrec.ID(t.b(bucketIdentities).Get(nameKey(platform, user)))
	if err != nil {
		return 0, false, fmt.Errorf("account %s:%s: %w", platform, user, err)
	}
	return id, ok, nil
}

func (t *accountTxn) Identities(fn func(platform, user string, member uint64) error) error {
	return walkNames(t.b(bucketIdentities), fn)
}

func (t *accountTxn) HandleMember(platform, handle string) (uint64, bool, error) {
	id, ok, err := boltrec.ID(t.b(bucketHandles).Get(nameKey(platform, handle)))
	if err != nil {
		return 0, false, fmt.Errorf("handle %s:%s: %w", platform, handle, err)
	}
	return id, ok, nil
}

func (t *accountTxn) Handles(fn func(platform, handle string, member uint64) error) error {
	return walkNames(t.b(bucketHandles), fn)
}

func (t *accountTxn) PutIdentity(platform, user string, member uint64) error {
	return t.b(bucketIdentities).Put(nameKey(platform, user), u64(member))
}

func (t *accountTxn) DeleteIdentity(platform, user string) error {
	return t.b(bucketIdentities).Delete(nameKey(platform, user))
}

func (t *accountTxn) PutHandle(platform, handle string, member uint64) error {
	return t.b(bucketHandles).Put(nameKey(platform, handle), u64(member))
}

func (t *accountTxn) DeleteHandle(platform, handle string) error {
	return t.b(bucketHandles).Delete(nameKey(platform, handle))
}

// walkNames walks a bucket of nameKey → member id.
func walkNames(b *bbolt.Bucket, fn func(platform, name string, member uint64) error) error {
	return walk(b, community.OldestFirst, func(k, v []byte) error {
		platform, name, err := splitName(k)
		if err != nil {
			return err
		}
		id, _, err := boltrec.ID(v)
		if err != nil {
			return fmt.Errorf("%s:%s: %w", platform, name, err)
		}
		return fn(platform, name, id)
	})
}
