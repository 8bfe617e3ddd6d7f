package community

import (
	"errors"
	"fmt"

	"github.com/loyalbot/loyalbot/bots"
)

// Errors the use cases return. Nothing is written when one is returned.
var (
	// ErrNoMember is returned for a member id that does not exist (or erased their data).
	ErrNoMember = errors.New("community: no such member")
	// ErrForbidden is returned when the actor's role does not allow the
	// action. The error is a *ForbiddenError.
	ErrForbidden = errors.New("community: not allowed")
	// ErrSelf is returned when a manager gives, takes, approves or features
	// for themselves; only owners may, and it is audited.
	ErrSelf = errors.New("community: managers cannot do this for themselves")
	// ErrBadLinkCode is returned for a /link code that is unknown, used or expired.
	ErrBadLinkCode = errors.New("community: link code unknown or expired")
	// ErrSameMember is returned when linking an account to its own wallet.
	ErrSameMember = errors.New("community: already the same member")
	// ErrRoleRise is returned when linking would give the code's member the
	// higher role of the account typing it: the link must go the other way.
	ErrRoleRise = errors.New("community: linking would raise a role")
	// ErrLinkGranted is returned when a manager (not an owner) gave points
	// from one of the accounts to the other: linking them would pay the
	// manager. The owner can still give what is right.
	ErrLinkGranted = errors.New("community: a manager gave points between these accounts")
	// ErrNotPending is returned for a grant that is not waiting for the owner.
	ErrNotPending = errors.New("community: grant is not waiting for approval")
)

// ForbiddenError reports an action that needs a higher role.
// errors.Is(err, ErrForbidden) is true for it.
type ForbiddenError struct {
	Action string
	Need   bots.Role
}

func (e *ForbiddenError) Error() string {
	return fmt.Sprintf("community: %s needs the %s role", e.Action, e.Need)
}

// Is reports whether target is ErrForbidden.
func (e *ForbiddenError) Is(target error) bool { return target == ErrForbidden }

// LimitError reports a manager past their daily limit of points given.
type LimitError struct {
	Limit, Used, Asked int64
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("community: daily limit %d points, %d given today, %d asked", e.Limit, e.Used, e.Asked)
}
