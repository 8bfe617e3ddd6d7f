package orders

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"slices"

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
// linked to another member (a manager unlinks first), and
// ErrUnlinkedByManager for an e-mail or phone of a customer a manager
// unlinked from this member (only a code links it again); nothing is
// written then, and a code stays valid.
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
		if codeKey == nil && !res.Already && tx.Bucket(bucketUnlinked).Get(unlinkedKey(res.Customer, member)) != nil {
			return fmt.Errorf("customer %s: %w", res.Customer, ErrUnlinkedByManager)
		}
		if codeKey != nil {
			if err := cb.Delete(codeKey); err != nil { // one-time
				return err
			}
			if err := tx.Bucket(bucketUnlinked).Delete(unlinkedKey(res.Customer, member)); err != nil { // proven again
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
// in its current round as unsettled for member, and returns the customer's
// order ids.
func (s *Service) markCustomer(tx *bolt.Tx, customer string, member uint64) ([]string, error) {
	ids := customerOrders(tx, customer)
	for _, id := range ids {
		if st, settled, err := getSettlement(tx, id); err != nil {
			return nil, err
		} else if settled && st.Member != 0 {
			continue
		}
		if err := tx.Bucket(bucketUnsettled).Put([]byte(id), u64(member)); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// customerOrders returns the ids of customer's orders, from the customer index.
func customerOrders(tx *bolt.Tx, customer string) []string {
	var ids []string
	prefix := []byte(customer + "\x00")
	c := tx.Bucket(bucketByCustomer).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		ids = append(ids, string(k[len(prefix):]))
	}
	return ids
}

// UnlinkResult says what Unlink did.
type UnlinkResult struct {
	Customers []string // the customers unlinked
	Orders    int      // orders whose points (if any) were taken back
	Taken     int64    // points taken back
	// Short is points of those orders the member had spent already: they
	// could not be taken back and are recorded with each order's settlement.
	Short int64
}

// Unlink removes every link between shop customers and member, as a
// manager's /shop unlink does for a member who linked a customer that is
// not theirs, and takes back the points those customers' orders earned the
// member: out of each order's hold while its return window is open, else
// out of what the member has available (what they spent already is recorded
// as a shortfall, never overdrawn). The member who links a customer next is
// paid for its orders afresh. merged lists the member ids folded into member
// by /link: orders they earned count as member's.
//
// The links go, and every order to revoke is marked, in one transaction;
// the revocations then run one idempotent step at a time, and a crash
// between them leaves the marks for Resume. An error after the links went
// is returned with the result so far: Resume finishes the rest. Unlinking a
// member with no links does nothing.
func (s *Service) Unlink(ctx context.Context, member uint64, merged ...uint64) (UnlinkResult, error) {
	if err := ctx.Err(); err != nil {
		return UnlinkResult{}, err
	}
	owners := map[uint64]bool{member: true}
	for _, m := range merged {
		owners[m] = true
	}
	var res UnlinkResult
	rounds := map[string]int{} // order → the round it revokes
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		if res.Customers, err = moveLinks(tx, member, 0); err != nil {
			return err
		}
		ub := tx.Bucket(bucketUnsettled)
		for _, cust := range res.Customers {
			for m := range owners {
				if err := tx.Bucket(bucketUnlinked).Put(unlinkedKey(cust, m), nil); err != nil {
					return err
				}
			}
			for _, id := range customerOrders(tx, cust) {
				st, found, err := getSettlement(tx, id)
				if err != nil {
					return err
				}
				if !found || st.Member == 0 {
					// Not settled this round, unless settling for the member
					// was under way: then it finishes, and is revoked.
					mark := ub.Get([]byte(id))
					if len(mark) != 8 {
						continue
					}
					st.Member = binary.BigEndian.Uint64(mark)
				}
				if !owners[st.Member] {
					continue // the points of this round are another member's
				}
				st.Revoke = true
				if err := putSettlement(tx, id, st); err != nil {
					return err
				}
				if err := ub.Put([]byte(id), u64(st.Member)); err != nil {
					return err
				}
				rounds[id] = st.Round
			}
		}
		return nil
	})
	if err != nil {
		return UnlinkResult{}, fmt.Errorf("unlink member %d: %w", member, err)
	}
	if err := s.step("unlink", 1); err != nil {
		return res, err
	}
	ids := make([]string, 0, len(rounds))
	for id := range rounds {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if err := s.settleLocked(ctx, id); err != nil {
			return res, fmt.Errorf("take back the points of order %s: %w", id, err) // marked: Resume finishes it
		}
		st, _, err := s.SettlementOf(ctx, id)
		if err != nil {
			return res, err
		}
		if r := rounds[id]; r < len(st.Past) {
			res.Orders++
			res.Taken += st.Past[r].Revoked
			res.Short += st.Past[r].Short
		}
	}
	if len(res.Customers) > 0 {
		s.log.InfoContext(ctx, "shop customers unlinked by a manager", "member", member, "customers", len(res.Customers),
			"orders", res.Orders, "taken", res.Taken, "short", res.Short)
	}
	return res, nil
}

// UnlinkErased removes every link between shop customers and member, for a
// member erasing their data, and returns the customers it unlinked. Unlike
// Unlink it takes nothing back and leaves the orders settled to the member:
// the erasure forfeits all their points (held ones included) anyway, and
// orders already paid are not paid again when the customer is linked once
// more, so erasing and re-joining cannot earn them twice.
func (s *Service) UnlinkErased(ctx context.Context, member uint64) ([]string, error) {
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

func unlinkedKey(customer string, member uint64) []byte {
	return append([]byte(customer+"\x00"), u64(member)...)
}
