package orders

import (
	"context"
)

// Store is where the shop integration keeps its data. loyalty/orders/bolt
// implements it on bbolt. An implementation is safe for concurrent use.
type Store interface {
	// Update runs fn in one read-write transaction: all of fn's writes
	// happen, or none (fn's error rolls back and is returned). fn is called
	// once. It returns ctx's error, starting nothing, when ctx is done.
	Update(ctx context.Context, fn func(tx Tx) error) error
	// View runs fn in a read-only, consistent snapshot. It returns ctx's
	// error, starting nothing, when ctx is done.
	View(ctx context.Context, fn func(tx ReadTx) error) error
}

// ReadTx reads the shop data inside a transaction. It is valid only until
// the function it was given to returns.
//
// A walk calls fn once per record, in ascending byte order of the key
// named (order ids and customer ids compare as bytes, member ids as
// numbers); an error from fn ends the walk and is returned as it is. fn
// must not write: collect what to change, and change it after the walk.
type ReadTx interface {
	// Order returns the order with id; ok is false when there is none.
	Order(id string) (o Order, ok bool, err error)
	// Orders walks every order, by id.
	Orders(fn func(Order) error) error
	// OrderIDsOf walks the ids of customer's orders, by id, from an index
	// by customer: it touches only that customer's entries.
	OrderIDsOf(customer string, fn func(id string) error) error
	// CustomerIndex walks every entry of the index by customer, by
	// customer and then order id, for Verify.
	CustomerIndex(fn func(customer, order string) error) error

	// Link returns the member customer is linked to; ok is false when
	// nobody is.
	Link(customer string) (member uint64, ok bool, err error)
	// Links walks every link, by customer. It decodes no orders.
	Links(fn func(customer string, member uint64) error) error
	// CustomersOf walks the customers linked to member, by customer id,
	// from an index by member: it touches only that member's entries.
	CustomersOf(member uint64, fn func(customer string) error) error
	// MemberIndex walks every entry of the index by member, by member and
	// then customer, for Verify.
	MemberIndex(fn func(member uint64, customer string) error) error

	// ContactCustomer returns the customer a contact key names and whether
	// the shop verified the contact; ok is false for an unknown key. A
	// contact key is the service's salted hash of an e-mail address, phone
	// number or link code: the store keeps it as it is given.
	ContactCustomer(key string) (customer string, verified, ok bool, err error)
	// Unlinked reports whether a manager unlinked customer from member
	// (and no link code proved them again since).
	Unlinked(customer string, member uint64) (bool, error)

	// Settlement returns the settlement of order id; ok is false when the
	// order has none.
	Settlement(id string) (st Settlement, ok bool, err error)
	// Settlements walks every settlement, by order id.
	Settlements(fn func(id string, st Settlement) error) error
	// Unsettled returns the member order id's settlement work is for; ok
	// is false when the order is not marked unsettled.
	Unsettled(id string) (member uint64, ok bool, err error)
	// UnsettledOrders walks the orders marked unsettled, by id.
	UnsettledOrders(fn func(id string, member uint64) error) error
	// UnsettledCount returns how many orders are marked unsettled.
	UnsettledCount() (int, error)

	// PaidDays returns customer's stored PaidDays; ok is false when none
	// are stored.
	PaidDays(customer string) (p PaidDays, ok bool, err error)
	// AllPaidDays walks every customer's stored PaidDays, by customer.
	AllPaidDays(fn func(PaidDays) error) error
}

// Tx reads and writes the shop data inside a read-write transaction.
type Tx interface {
	ReadTx
	// PutOrder stores o under o.ID, replacing what was there, and adds it
	// to the index by customer. An order's customer never changes.
	PutOrder(o Order) error
	// PutPaidDays stores p as its customer's PaidDays, which the service
	// keeps in step with the customer's orders; with no days it forgets
	// them.
	PutPaidDays(p PaidDays) error

	// PutLink links customer to member, replacing the link it had, and
	// keeps the index by member in step.
	PutLink(customer string, member uint64) error
	// DeleteLink removes customer's link and its index entry. It does
	// nothing for a customer nobody is linked to.
	DeleteLink(customer string) error
	// PutContact makes a contact key name customer, verified or not.
	PutContact(key, customer string, verified bool) error
	// DeleteContact forgets a contact key.
	DeleteContact(key string) error
	// PutUnlinked records that a manager unlinked customer from member.
	PutUnlinked(customer string, member uint64) error
	// DeleteUnlinked forgets that record.
	DeleteUnlinked(customer string, member uint64) error

	// PutSettlement stores the settlement of order id, replacing what was
	// there.
	PutSettlement(id string, st Settlement) error
	// MarkUnsettled marks order id as having settlement work to finish
	// for member, replacing an earlier mark.
	MarkUnsettled(id string, member uint64) error
	// ClearUnsettled removes order id's mark. It does nothing for an
	// order not marked.
	ClearUnsettled(id string) error
}

// orderIDsOf collects the ids of customer's orders, so the caller may
// write after the walk.
func orderIDsOf(tx ReadTx, customer string) ([]string, error) {
	var ids []string
	err := tx.OrderIDsOf(customer, func(id string) error {
		ids = append(ids, id)
		return nil
	})
	return ids, err
}

// customersOf collects the customers linked to member.
func customersOf(tx ReadTx, member uint64) ([]string, error) {
	var cs []string
	err := tx.CustomersOf(member, func(c string) error {
		cs = append(cs, c)
		return nil
	})
	return cs, err
}
