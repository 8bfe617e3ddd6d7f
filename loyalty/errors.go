package loyalty

import (
	"errors"
	"fmt"
)

// Errors returned for bad input. Nothing is written when one is returned.
var (
	// ErrInvalidAmount is returned for a zero or negative amount.
	ErrInvalidAmount = errors.New("loyalty: amount must be positive")
	// ErrEmptyKey is returned when a write carries no idempotency key.
	ErrEmptyKey = errors.New("loyalty: idempotency key is empty")
	// ErrUnknownAccount is returned for an account id that is neither a member
	// account nor a known system account.
	ErrUnknownAccount = errors.New("loyalty: unknown account")
	// ErrSameAccount is returned when a posting names one account on both sides.
	ErrSameAccount = errors.New("loyalty: from and to are the same account")
	// ErrOverflow is returned when a posting would push a balance past the int64 range.
	ErrOverflow = errors.New("loyalty: amount overflows the balance")
)

// Errors returned for requests the ledger's state refuses.
var (
	// ErrInsufficientFunds is returned when a debit would take a member's
	// available points below zero. The error is an *InsufficientFundsError.
	ErrInsufficientFunds = errors.New("loyalty: insufficient funds")
	// ErrIdempotencyConflict is returned when a key is reused with a different payload.
	ErrIdempotencyConflict = errors.New("loyalty: idempotency key reused with a different request")
	// ErrNotFound is returned when a key, entry, hold or redemption does not exist.
	ErrNotFound = errors.New("loyalty: not found")
	// ErrAlreadyReversed is returned when an entry has already been reversed under another key.
	ErrAlreadyReversed = errors.New("loyalty: entry already reversed")
	// ErrNotReversible is returned when asked to reverse a reversal.
	ErrNotReversible = errors.New("loyalty: entry cannot be reversed")
	// ErrHoldExpired is returned when a hold is captured after its TTL; the hold is voided.
	ErrHoldExpired = errors.New("loyalty: hold expired")
	// ErrHoldResolved is returned when a hold was already captured or voided under another key.
	ErrHoldResolved = errors.New("loyalty: hold already resolved")
)

// Errors returned by the rewards catalogue.
var (
	// ErrUnknownReward is returned for a reward id that is not in the catalogue.
	ErrUnknownReward = errors.New("loyalty: unknown reward")
	// ErrRewardInactive is returned when a reward is disabled or outside its active window.
	ErrRewardInactive = errors.New("loyalty: reward not available now")
	// ErrOutOfStock is returned when a reward has no stock left.
	ErrOutOfStock = errors.New("loyalty: reward out of stock")
	// ErrLimitReached is returned when a member has redeemed a reward as often as allowed.
	ErrLimitReached = errors.New("loyalty: per-member limit reached")
	// ErrRedemptionClosed is returned when fulfilling a cancelled redemption or
	// cancelling a fulfilled one.
	ErrRedemptionClosed = errors.New("loyalty: redemption already closed")
)

// ErrClosed is returned for writes submitted after Close.
var ErrClosed = errors.New("loyalty: ledger closed")

// InsufficientFundsError reports a debit that would overdraw a member account.
// errors.Is(err, ErrInsufficientFunds) is true for it.
type InsufficientFundsError struct {
	Account   AccountID
	Available int64 // balance minus held points
	Required  int64
}

func (e *InsufficientFundsError) Error() string {
	return fmt.Sprintf("loyalty: %s has %d points available, needs %d", e.Account, e.Available, e.Required)
}

// Is reports whether target is ErrInsufficientFunds.
func (e *InsufficientFundsError) Is(target error) bool { return target == ErrInsufficientFunds }

// Missing returns how many points the member lacks.
func (e *InsufficientFundsError) Missing() int64 { return e.Required - e.Available }

// rejections are the errors a write returns without touching the database:
// the group-commit writer hands them to their caller and commits the rest of
// the batch.
var rejections = []error{
	ErrInvalidAmount, ErrEmptyKey, ErrUnknownAccount, ErrSameAccount, ErrOverflow,
	ErrInsufficientFunds, ErrIdempotencyConflict, ErrNotFound, ErrAlreadyReversed,
	ErrNotReversible, ErrHoldExpired, ErrHoldResolved, ErrUnknownReward,
	ErrRewardInactive, ErrOutOfStock, ErrLimitReached, ErrRedemptionClosed,
}

func isRejection(err error) bool {
	for _, r := range rejections {
		if errors.Is(err, r) {
			return true
		}
	}
	return false
}

// errCorrupt reports stored records that contradict each other.
var errCorrupt = errors.New("loyalty: stored record is corrupt")
