package community

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrInvariant is wrapped by the errors Verify returns.
var ErrInvariant = errors.New("community: invariant violated")

// Verify checks the members' invariants and returns every violation,
// joined, each wrapping ErrInvariant: every platform account and handle
// names a live (not folded, not erased) member that lists it, every
// member's accounts are indexed back to it, the indexes by role, join
// date and last activity hold exactly the live members, and the index of
// group chats exactly the group chats.
func (m *Members) Verify(ctx context.Context) error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s", ErrInvariant, fmt.Sprintf(format, args...)))
	}
	err := m.store.View(ctx, func(tx ReadTx) error {
		if err := verifyAccounts(tx, bad); err != nil {
			return err
		}
		if err := verifyMemberIndexes(tx, bad); err != nil {
			return err
		}
		return verifyGroups(tx, bad)
	})
	if err != nil {
		return fmt.Errorf("verify members: %w", err)
	}
	return errors.Join(errs...)
}

// verifyAccounts checks the accounts and handles against the members.
func verifyAccounts(tx ReadTx, bad func(string, ...any)) error {
	if err := tx.Identities(func(platform, user string, id uint64) error {
		mem, ok, err := tx.Member(id)
		switch {
		case err != nil:
			bad("account %s:%s names member %d, which does not decode: %v", platform, user, id, err)
		case !ok:
			bad("account %s:%s names missing member %d", platform, user, id)
		case !mem.Live():
			bad("account %s:%s names member %d, which was folded or erased", platform, user, mem.ID)
		case !hasIdentity(mem, platform, user):
			bad("account %s:%s names member %d, which does not list it", platform, user, mem.ID)
		}
		return nil
	}); err != nil {
		return err
	}
	if err := tx.Handles(func(platform, handle string, id uint64) error {
		if mem, ok, err := tx.Member(id); err != nil || !ok || mem.MergedInto != 0 {
			bad("handle %s:%q names member %d, missing or folded", platform, handle, id)
		}
		return nil
	}); err != nil {
		return err
	}
	return tx.Members(func(mem Member) error {
		if mem.MergedInto != 0 {
			return nil
		}
		for _, idt := range mem.Identities {
			if got, ok, err := tx.IdentityMember(idt.Platform, idt.UserID); err != nil || !ok || got != mem.ID {
				bad("member %d lists account %s:%s, which is not indexed to it", mem.ID, idt.Platform, idt.UserID)
			}
		}
		return nil
	})
}

// indexEntry is one entry of a member index: the indexed value (a role,
// or a time in Unix nanoseconds) and the member.
type indexEntry struct {
	value string
	id    uint64
}

// verifyMemberIndexes checks that the indexes by role, join date and last
// activity hold one entry per live member, with its current value.
func verifyMemberIndexes(tx ReadTx, bad func(string, ...any)) error {
	at := func(t time.Time) string { return fmt.Sprint(t.UnixNano()) }
	got := map[string]map[indexEntry]bool{"role": {}, "joined": {}, "active": {}}
	n := map[string]int{}
	add := func(index, value string, id uint64) error {
		got[index][indexEntry{value, id}] = true
		n[index]++
		return nil
	}
	if err := tx.RoleIndex(func(r Role, id uint64) error { return add("role", string(r), id) }); err != nil {
		return err
	}
	if err := tx.MembersByJoined(OldestFirst, func(t time.Time, id uint64) error { return add("joined", at(t), id) }); err != nil {
		return err
	}
	if err := tx.MembersByActive(OldestFirst, func(t time.Time, id uint64) error { return add("active", at(t), id) }); err != nil {
		return err
	}
	live := 0
	if err := tx.Members(func(mem Member) error {
		if !mem.Live() {
			return nil
		}
		live++
		for index, value := range map[string]string{"role": string(cmp.Or(mem.Role, RoleMember)), "joined": at(mem.Joined), "active": at(mem.LastActive)} {
			if !got[index][indexEntry{value, mem.ID}] {
				bad("member %d is missing from the %s index", mem.ID, index)
			}
		}
		return nil
	}); err != nil {
		return err
	}
	for _, index := range []string{"role", "joined", "active"} {
		if n[index] != live {
			bad("the %s index has %d entries for %d members", index, n[index], live)
		}
	}
	return nil
}

// verifyGroups checks that the index of group chats holds exactly the
// group chats.
func verifyGroups(tx ReadTx, bad func(string, ...any)) error {
	indexed := map[string]bool{}
	if err := tx.GroupChats(func(c Chat) error {
		if c.Kind != ChatGroup {
			bad("the group chat index lists %s chat %s:%s", c.Kind, c.Platform, c.ID)
		}
		indexed[c.Platform+"\x00"+c.ID] = true
		return nil
	}); err != nil {
		return err
	}
	return tx.Chats(func(c Chat) error {
		if c.Kind == ChatGroup && !indexed[c.Platform+"\x00"+c.ID] {
			bad("group chat %s:%s is missing from the group chat index", c.Platform, c.ID)
		}
		return nil
	})
}

func hasIdentity(mem Member, platform, user string) bool {
	for _, id := range mem.Identities {
		if id.Platform == platform && id.UserID == user {
			return true
		}
	}
	return false
}
