package bolt

import (
	"encoding/binary"
	"fmt"
)

// verifiedMark leads a contact's stored customer id when the shop
// verified the contact.
const verifiedMark = 1

func unlinkedKey(customer string, member uint64) []byte {
	return append([]byte(customer+"\x00"), u64(member)...)
}

func (t *linkTxn) Link(customer string) (uint64, bool, error) {
	m, ok, err := getMember(t.b(bucketLinks).Get([]byte(customer)))
	if err != nil {
		return 0, false, fmt.Errorf("link of customer %s: %w", customer, err)
	}
	return m, ok, nil
}

func (t *linkTxn) Links(fn func(customer string, member uint64) error) error {
	return t.b(bucketLinks).ForEach(func(k, v []byte) error {
		m, _, err := getMember(v)
		if err != nil {
			return fmt.Errorf("link of customer %s: %w", k, err)
		}
		return fn(string(k), m)
	})
}

func (t *linkTxn) CustomersOf(member uint64, fn func(customer string) error) error {
	return walkPrefix(t.b(bucketMemberLinks), u64(member), func(c []byte) error { return fn(string(c)) })
}

func (t *linkTxn) MemberIndex(fn func(member uint64, customer string) error) error {
	return t.b(bucketMemberLinks).ForEach(func(k, _ []byte) error {
		if len(k) < 8 {
			return fmt.Errorf("member index key %x is too short", k)
		}
		return fn(binary.BigEndian.Uint64(k[:8]), string(k[8:]))
	})
}

func (t *linkTxn) ContactCustomer(key string) (string, bool, bool, error) {
	v := t.b(bucketContacts).Get([]byte(key))
	if v == nil {
		return "", false, false, nil
	}
	if len(v) > 0 && v[0] == verifiedMark {
		return string(v[1:]), true, true, nil
	}
	return string(v), false, true, nil
}

func (t *linkTxn) Unlinked(customer string, member uint64) (bool, error) {
	return t.b(bucketUnlinked).Get(unlinkedKey(customer, member)) != nil, nil
}

// PutLink writes the link and moves its entry in the index by member.
func (t *linkTxn) PutLink(customer string, member uint64) error {
	if err := t.DeleteLink(customer); err != nil {
		return err
	}
	if err := t.b(bucketLinks).Put([]byte(customer), u64(member)); err != nil {
		return err
	}
	return t.b(bucketMemberLinks).Put(memberKey(member, customer), nil)
}

func (t *linkTxn) DeleteLink(customer string) error {
	old, ok, err := t.Link(customer)
	if err != nil || !ok {
		return err
	}
	if err := t.b(bucketMemberLinks).Delete(memberKey(old, customer)); err != nil {
		return err
	}
	return t.b(bucketLinks).Delete([]byte(customer))
}

func (t *linkTxn) PutContact(key, customer string, verified bool) error {
	v := []byte(customer)
	if verified {
		v = append([]byte{verifiedMark}, v...)
	}
	return t.b(bucketContacts).Put([]byte(key), v)
}

func (t *linkTxn) DeleteContact(key string) error { return t.b(bucketContacts).Delete([]byte(key)) }

func (t *linkTxn) PutUnlinked(customer string, member uint64) error {
	return t.b(bucketUnlinked).Put(unlinkedKey(customer, member), nil)
}

func (t *linkTxn) DeleteUnlinked(customer string, member uint64) error {
	return t.b(bucketUnlinked).Delete(unlinkedKey(customer, member))
}
