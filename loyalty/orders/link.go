package orders

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// LinkResult says what Link did.
type LinkResult struct {
	Customer string
	Orders   int  // the customer's orders, all now settled
	Already  bool // the customer was linked to this member before
}

// Link joins a shop customer to member. proof is a one-time code the shop
// showed the customer (it always links, and is used up), or an e-mail
// address or phone number the shop marked verified in an order (it links
// only a customer no member has yet). Paid orders the customer already has
// earn their points now. It returns ErrUnknown for a proof that names no
// customer or an unverified contact, and ErrLinkedElsewhere for a customer
// linked to another member (a manager unlinks first); nothing is written
// then, and a code stays valid.
func (s *Service) Link(ctx context.Context, member uint64, proof string) (LinkResult, error) {
	if err := ctx.Err(); err != nil {
		return LinkResult{}, err
	}
	var res LinkResult
	var orderIDs []string
	err := s.db.Update(func(tx *bolt.Tx) error {
		cb, lb := tx.Bucket(bucketContacts), tx.Bucket(bucketLinks)
		var codeKey []byte
		if v := cb.Get(s.contactKey("code", proof)); len(v) > 0 {
			res.Customer, codeKey = string(bytes.TrimPrefix(v, []byte{verifiedMark})), s.contactKey("code", proof)
		} else {
			for _, kind := range []string{"email", "phone"} {
				if v := cb.Get(s.contactKey(kind, proof)); len(v) > 1 && v[0] == verifiedMark {
					res.Customer = string(v[1:])
					break
				}
			}
		}
		if res.Customer == "" {
			return ErrUnknown
		}
		if v := lb.Get([]byte(res.Customer)); len(v) == 8 {
			if cur := binary.BigEndian.Uint64(v); cur != member {
				return fmt.Errorf("customer %s: %w", res.Customer, ErrLinkedElsewhere)
			}
			res.Already = true
		}
		if codeKey != nil {
			if err := cb.Delete(codeKey); err != nil { // one-time
				return err
			}
		}
		if err := lb.Put([]byte(res.Customer), u64(member)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketMemberLinks).Put(append(u64(member), res.Customer...), nil); err != nil {
			return err
		}
		var err error
		orderIDs, err = s.markCustomer(tx, res.Customer, member)
		return err
	})
	if err != nil {
		return LinkResult{}, err
	}
	res.Orders = len(orderIDs)
	for _, id := range orderIDs {
		if err := s.settleLocked(ctx, id); err != nil {
			return res, err // marked: Resume finishes it
		}
	}
	return res, nil
}

// markCustomer marks every order of customer that no member settled yet
// as unsettled for member, and returns the customer's order ids.
func (s *Service) markCustomer(tx *bolt.Tx, customer string, member uint64) ([]string, error) {
	var ids []string
	prefix := []byte(customer + "\x00")
	c := tx.Bucket(bucketByCustomer).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		id := string(k[len(prefix):])
		ids = append(ids, id)
		if _, settled, err := getSettlement(tx, id); err != nil {
			return nil, err
		} else if settled {
			continue
		}
		if err := tx.Bucket(bucketUnsettled).Put([]byte(id), u64(member)); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// Unlink removes every link between shop customers and member (a manager's
// /shop unlink, or a member erasing their data), and returns the customers
// it unlinked. The orders stay, keyed by the shop's ids, and the points they
// earned stay with the member.
func (s *Service) Unlink(ctx context.Context, member uint64) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []string
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		out, err = moveLinks(tx, member, 0)
		return err
	})
	return out, err
}

// Merge moves the shop links of member from to member to, when /link folds
// two chat accounts into one.
func (s *Service) Merge(ctx context.Context, from, to uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		_, err := moveLinks(tx, from, to)
		return err
	})
}

// moveLinks re-links every customer of member from to member to, or
// unlinks them when to is 0.
func moveLinks(tx *bolt.Tx, from, to uint64) ([]string, error) {
	ml, lb := tx.Bucket(bucketMemberLinks), tx.Bucket(bucketLinks)
	var customers []string
	prefix := u64(from)
	c := ml.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		customers = append(customers, string(k[8:]))
	}
	for _, cust := range customers {
		if err := ml.Delete(append(u64(from), cust...)); err != nil {
			return nil, err
		}
		if to == 0 {
			if err := lb.Delete([]byte(cust)); err != nil {
				return nil, err
			}
			continue
		}
		if err := lb.Put([]byte(cust), u64(to)); err != nil {
			return nil, err
		}
		if err := ml.Put(append(u64(to), cust...), nil); err != nil {
			return nil, err
		}
	}
	return customers, nil
}
