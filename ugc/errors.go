package ugc

import (
	"errors"
	"fmt"
)

// Errors the ugc service returns; nothing is written when one is returned.
var (
	// ErrQuota is returned when a member has submitted their daily quota.
	ErrQuota = errors.New("ugc: daily submission quota reached")
	// ErrNotFound is returned for an unknown submission, code or application.
	ErrNotFound = errors.New("ugc: not found")
	// ErrReviewed is returned when approving or rejecting a submission that
	// was already decided the other way. (Approving an approved submission
	// is a replay, not an error.)
	ErrReviewed = errors.New("ugc: submission already reviewed")
	// ErrNotApproved is returned when featuring a submission that is not approved.
	ErrNotApproved = errors.New("ugc: submission not approved")
	// ErrApplied is returned for a second open ambassador application.
	ErrApplied = errors.New("ugc: application already open")
)

// DuplicateError reports a submission whose canonical URL was submitted
// before, by anyone.
type DuplicateError struct {
	Existing Submission
}

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("ugc: %s was already submitted as #%d", e.Existing.Canonical, e.Existing.ID)
}
