package orders

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// contactKey is the salted hash a contact is stored under: kind is
// "email", "phone" or "code".
func (s *Service) contactKey(kind, v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	if kind == "phone" {
		v = strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, v)
	}
	sum := sha256.Sum256([]byte(s.cfg.Salt + "\x00" + kind + "\x00" + v))
	return kind + ":" + hex.EncodeToString(sum[:16])
}

// putContacts records c's e-mail, phone and link code for customer. A
// verified contact is never downgraded by a later unverified mention.
func (s *Service) putContacts(tx Tx, customer string, c Contact) error {
	for _, x := range []struct {
		kind, val string
		verified  bool
	}{{"email", c.Email, c.EmailVerified}, {"phone", c.Phone, c.PhoneVerified}, {"code", c.LinkCode, true}} {
		if x.val == "" {
			continue
		}
		k := s.contactKey(x.kind, x.val)
		if !x.verified {
			if _, was, _, err := tx.ContactCustomer(k); err != nil {
				return err
			} else if was {
				continue
			}
		}
		if err := tx.PutContact(k, customer, x.verified); err != nil {
			return err
		}
	}
	return nil
}

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
	var res LinkResult
	var orderIDs []string
	err := s.store.Update(ctx, func(tx Tx) error {
		codeKey := s.contactKey("code", proof)
		cust, _, isCode, err := tx.ContactCustomer(codeKey)
		if err != nil {
			return err
		}
		if !isCode {
			for _, kind := range []string{"email", "phone"} {
				c, verified, ok, err := tx.ContactCustomer(s.contactKey(kind, proof))
				if err != nil {
					return err
				}
				if ok && verified {
					cust = c
					break
				}
			}
		}
		if res.Customer = cust; cust == "" {
			return ErrUnknown
		}
		if cur, ok, err := tx.Link(cust); err != nil {
			return err
		} else if ok && cur != member {
			return fmt.Errorf("customer %s: %w", cust, ErrLinkedElsewhere)
		} else if ok {
			res.Already = true
		}
		if !isCode && !res.Already {
			if un, err := tx.Unlinked(cust, member); err != nil {
				return err
			} else if un {
				return fmt.Errorf("customer %s: %w", cust, ErrUnlinkedByManager)
			}
		}
		if isCode {
			if err := tx.DeleteContact(codeKey); err != nil { // one-time
				return err
			}
			if err := tx.DeleteUnlinked(cust, member); err != nil { // proven again
				return err
			}
		}
		if err := tx.PutLink(cust, member); err != nil {
			return err
		}
		orderIDs, err = markCustomer(tx, cust, member)
		return err
	})
	if err != nil {
		return LinkResult{}, err
	}
	res.Orders = len(orderIDs)
	if err := s.settler.settleMany(ctx, orderIDs); err != nil {
		return res, err // marked: Resume finishes it
	}
	return res, nil
}

// markCustomer marks every order of customer that no member settled yet
// in its current round as unsettled for member, and returns the customer's
// order ids.
func markCustomer(tx Tx, customer string, member uint64) ([]string, error) {
	ids, err := orderIDsOf(tx, customer)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if st, settled, err := tx.Settlement(id); err != nil {
			return nil, err
		} else if settled && st.Member != 0 {
			continue
		}
		if err := tx.MarkUnsettled(id, member); err != nil {
			return nil, err
		}
	}
	return ids, nil
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
	owners := map[uint64]bool{member: true}
	for _, m := range merged {
		owners[m] = true
	}
	var res UnlinkResult
	rounds := map[string]int{} // order → the round it revokes
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		if res.Customers, err = moveLinks(tx, member, 0); err != nil {
			return err
		}
		for _, cust := range res.Customers {
			for m := range owners {
				if err := tx.PutUnlinked(cust, m); err != nil {
					return err
				}
			}
			ids, err := orderIDsOf(tx, cust)
			if err != nil {
				return err
			}
			for _, id := range ids {
				st, found, err := tx.Settlement(id)
				if err != nil {
					return err
				}
				if !found || st.Member == 0 {
					// Not settled this round, unless settling for the member
					// was under way: then it finishes, and is revoked.
					m, marked, err := tx.Unsettled(id)
					if err != nil {
						return err
					}
					if !marked {
						continue
					}
					st.Member = m
				}
				if !owners[st.Member] {
					continue // the points of this round are another member's
				}
				st.Revoke = true
				if err := tx.PutSettlement(id, st); err != nil {
					return err
				}
				if err := tx.MarkUnsettled(id, st.Member); err != nil {
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
	if err := s.settler.step("unlink", 1); err != nil {
		return res, err
	}
	ids := make([]string, 0, len(rounds))
	for id := range rounds {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if err := s.settler.settleLocked(ctx, id); err != nil {
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
	var out []string
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		out, err = moveLinks(tx, member, 0)
		return err
	})
	return out, err
}

// Merge moves the shop links of member from to member to, when /link folds
// two chat accounts into one.
func (s *Service) Merge(ctx context.Context, from, to uint64) error {
	return s.store.Update(ctx, func(tx Tx) error {
		_, err := moveLinks(tx, from, to)
		return err
	})
}

// moveLinks re-links every customer of member from to member to, or
// unlinks them when to is 0, and returns those customers.
func moveLinks(tx Tx, from, to uint64) ([]string, error) {
	customers, err := customersOf(tx, from)
	if err != nil {
		return nil, err
	}
	for _, cust := range customers {
		if to == 0 {
			err = tx.DeleteLink(cust)
		} else {
			err = tx.PutLink(cust, to)
		}
		if err != nil {
			return nil, err
		}
	}
	return customers, nil
}

// CustomerOf returns the first shop customer linked to member, if any.
func (s *Service) CustomerOf(ctx context.Context, member uint64) (string, bool, error) {
	cs, err := s.CustomersOf(ctx, member)
	if err != nil || len(cs) == 0 {
		return "", false, err
	}
	return cs[0], true, nil
}

// CustomersOf returns the shop customers linked to member, from the index
// by member.
func (s *Service) CustomersOf(ctx context.Context, member uint64) ([]string, error) {
	var out []string
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		out, err = customersOf(tx, member)
		return err
	})
	return out, err
}

// MemberOf returns the member a shop customer is linked to.
func (s *Service) MemberOf(ctx context.Context, customer string) (uint64, bool, error) {
	var member uint64
	var ok bool
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		member, ok, err = tx.Link(customer)
		return err
	})
	return member, ok, err
}

// Links returns every linked customer's member. It reads the links, not
// the orders.
func (s *Service) Links(ctx context.Context) (map[string]uint64, error) {
	out := map[string]uint64{}
	err := s.store.View(ctx, func(tx ReadTx) error {
		return tx.Links(func(customer string, member uint64) error {
			out[customer] = member
			return nil
		})
	})
	return out, err
}
