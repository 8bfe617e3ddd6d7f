package community

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// ErrInvariant is wrapped by the errors Verify returns.
var ErrInvariant = errors.New("community: invariant violated")

// Verify checks the members' invariants and returns every violation,
// joined, each wrapping ErrInvariant: every platform account and handle
// names a live (not folded, not erased) member that lists it, and every
// member's accounts are indexed back to it.
func (m *Members) Verify(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s", ErrInvariant, fmt.Sprintf(format, args...)))
	}
	err := m.db.View(func(tx *bolt.Tx) error {
		mb, ib := tx.Bucket(bucketMembers), tx.Bucket(bucketIdentities)
		raw := func(id uint64) (Member, bool) {
			v := mb.Get(idKey(id))
			if v == nil {
				return Member{}, false
			}
			var mem Member
			return mem, json.Unmarshal(v, &mem) == nil
		}
		if err := ib.ForEach(func(k, v []byte) error {
			mem, ok := raw(binary.BigEndian.Uint64(v))
			platform, user, _ := bytes.Cut(k, []byte{0})
			switch {
			case !ok:
				bad("account %s:%s names missing member %d", platform, user, binary.BigEndian.Uint64(v))
			case mem.MergedInto != 0 || !mem.Erased.IsZero():
				bad("account %s:%s names member %d, which was folded or erased", platform, user, mem.ID)
			case !hasIdentity(mem, string(platform), string(user)):
				bad("account %s:%s names member %d, which does not list it", platform, user, mem.ID)
			}
			return nil
		}); err != nil {
			return err
		}
		if err := tx.Bucket(bucketHandles).ForEach(func(k, v []byte) error {
			if mem, ok := raw(binary.BigEndian.Uint64(v)); !ok || mem.MergedInto != 0 {
				bad("handle %q names member %d, missing or folded", k, binary.BigEndian.Uint64(v))
			}
			return nil
		}); err != nil {
			return err
		}
		want := map[string]int{}
		if err := mb.ForEach(func(k, v []byte) error {
			var mem Member
			if err := json.Unmarshal(v, &mem); err != nil {
				bad("member %x does not decode: %v", k, err)
				return nil
			}
			if indexed(mem) {
				for name, key := range map[string][]byte{"role": roleKey(mem.Role, mem.ID), "joined": timeKey(mem.Joined, mem.ID), "active": timeKey(mem.LastActive, mem.ID)} {
					want[name]++
					if tx.Bucket(map[string][]byte{"role": bucketByRole, "joined": bucketByJoined, "active": bucketByActive}[name]).Get(key) == nil {
						bad("member %d is missing from the %s index", mem.ID, name)
					}
				}
			}
			if mem.MergedInto != 0 {
				return nil
			}
			for _, id := range mem.Identities {
				if got := ib.Get(identityKey(id.Platform, id.UserID)); len(got) != 8 || binary.BigEndian.Uint64(got) != mem.ID {
					bad("member %d lists account %s:%s, which is not indexed to it", mem.ID, id.Platform, id.UserID)
				}
			}
			return nil
		}); err != nil {
			return err
		}
		for name, b := range map[string][]byte{"role": bucketByRole, "joined": bucketByJoined, "active": bucketByActive} {
			if n := tx.Bucket(b).Stats().KeyN; n != want[name] {
				bad("the %s index has %d entries for %d members", name, n, want[name])
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("verify members: %w", err)
	}
	return errors.Join(errs...)
}

func hasIdentity(mem Member, platform, user string) bool {
	for _, id := range mem.Identities {
		if id.Platform == platform && id.UserID == user {
			return true
		}
	}
	return false
}
