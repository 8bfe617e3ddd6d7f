package orders

import (
	"errors"
	"fmt"
)

// Errors for orders the service refuses; nothing is written when one is returned.
var (
	// ErrBadOrder is returned for a malformed order (a missing id, a
	// negative amount): the sender must fix the request.
	ErrBadOrder = errors.New("orders: bad order")
	// ErrOutOfBounds is returned for a well-formed order loyalbot will not
	// take: an amount above orders.max_amount, a created_at more than a
	// day ahead, a currency that is not the shop's and has no rate.
	ErrOutOfBounds = errors.New("orders: order out of bounds")
	// ErrConflict is returned for an order id seen before with another
	// customer, amount, currency or date. The error is a *ConflictError.
	ErrConflict = errors.New("orders: order conflicts with the stored one")
)

// Errors for linking a shop account.
var (
	// ErrUnknown is returned for a link code or contact that matches no
	// customer, or an e-mail address or phone number the shop did not mark
	// verified.
	ErrUnknown = errors.New("orders: unknown customer code or contact")
	// ErrLinkedElsewhere is returned when the customer is already linked to
	// another member: a manager must unlink it first (/shop unlink).
	ErrLinkedElsewhere = errors.New("orders: customer already linked to another member")
	// ErrUnlinkedByManager is returned when a member offers an e-mail or
	// phone for a customer a manager unlinked from them: only the shop's
	// one-time code, which proves the member is the customer, links it again.
	ErrUnlinkedByManager = errors.New("orders: a manager unlinked this customer from the member")
)

// ConflictError reports an order event whose fixed fields differ from the
// order stored under the same id. errors.Is(err, ErrConflict) is true for it.
type ConflictError struct {
	Order       string
	Field       string
	Stored, Got string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("orders: order %s was stored with %s %s, not %s", e.Order, e.Field, e.Stored, e.Got)
}

// Is reports whether target is ErrConflict.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }
