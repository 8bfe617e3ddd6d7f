package ugc

import (
	"context"
	"errors"
	"fmt"

	"github.com/loyalbot/loyalbot/loyalty"
)

// Store is where the ambassador programme keeps its data. ugc/bolt
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

// Order is the order a walk visits records in.
type Order int

// Walk orders.
const (
	OldestFirst Order = iota // ascending ids
	NewestFirst              // descending ids
)

// ReadTx reads the programme's data inside a transaction. It is valid only
// until the function it was given to returns.
//
// A walk calls fn once per record, in the order named; an error from fn
// ends the walk and is returned as it is. fn must not write: collect what
// to change, and change it after the walk.
//
// A day is a date as "2006-01-02", in the Config.Location of the service.
type ReadTx interface {
	// Submission returns the submission with id; ok is false when there is none.
	Submission(id uint64) (sub Submission, ok bool, err error)
	// Submissions walks every submission by id.
	Submissions(order Order, fn func(Submission) error) error
	// SubmissionIDsOf walks the ids of member's submissions, from an index
	// by member.
	SubmissionIDsOf(member uint64, order Order, fn func(id uint64) error) error
	// PendingIDs walks the ids of the pending submissions, oldest first,
	// from an index of pending submissions.
	PendingIDs(fn func(id uint64) error) error
	// SubmissionIDByURL returns the id of the submission of a canonical
	// link, from an index by link.
	SubmissionIDByURL(canonical string) (id uint64, ok bool, err error)
	// SubmissionIDByKey returns the id of the submission made under an
	// idempotency key.
	SubmissionIDByKey(key string) (id uint64, ok bool, err error)
	// DailySubmissions returns how many submissions member made on day.
	DailySubmissions(member uint64, day string) (int, error)

	// CodeOwner returns the member a referral code credits.
	CodeOwner(code string) (member uint64, ok bool, err error)
	// MemberCode returns a member's own referral code.
	MemberCode(member uint64) (code string, ok bool, err error)

	// Referral returns the referral that brought referee in.
	Referral(referee uint64) (ref Referral, ok bool, err error)
	// RefereesOf walks the referees of referrer's referrals by referee id,
	// from an index by referrer.
	RefereesOf(referrer uint64, fn func(referee uint64) error) error
	// RejectedReferrals walks the rejected referrals in the order they were added.
	RejectedReferrals(order Order, fn func(Referral) error) error
	// DailyAttributions returns how many referrals were attributed to
	// referrer on day.
	DailyAttributions(referrer uint64, day string) (int, error)

	// Application returns member's ambassador application.
	Application(member uint64) (app Application, ok bool, err error)
	// Applications walks every application by member id.
	Applications(fn func(Application) error) error

	// Payment returns the payment recorded under an idempotency key and
	// not posted yet.
	Payment(key string) (p loyalty.Posting, ok bool, err error)
	// Payments walks the payments not posted yet, by key.
	Payments(fn func(loyalty.Posting) error) error
}

// Tx reads and writes the programme's data inside a read-write transaction.
type Tx interface {
	ReadTx
	// NextSubmissionID returns a submission id never returned before, each
	// greater than the last.
	NextSubmissionID() (uint64, error)
	// PutSubmission stores sub under sub.ID, replacing what was there, and
	// keeps the indexes by member, by link and of pending submissions in
	// step with it.
	PutSubmission(sub Submission) error
	// PutSubmissionKey records that the submission made under key is id.
	PutSubmissionKey(key string, id uint64) error
	// PutDailySubmissions sets how many submissions member made on day.
	PutDailySubmissions(member uint64, day string, n int) error

	// PutCode makes code credit member.
	PutCode(code string, member uint64) error
	// DeleteCode forgets code.
	DeleteCode(code string) error
	// PutMemberCode sets member's own referral code.
	PutMemberCode(member uint64, code string) error
	// DeleteMemberCode forgets member's own referral code.
	DeleteMemberCode(member uint64) error

	// PutReferral stores ref under ref.Referee, replacing what was there,
	// and keeps the index by referrer in step with it.
	PutReferral(ref Referral) error
	// DeleteReferral deletes the referral of referee and its index entry.
	DeleteReferral(referee uint64) error
	// AddRejectedReferral appends ref to the rejected referrals.
	AddRejectedReferral(ref Referral) error
	// PutDailyAttributions sets how many referrals were attributed to
	// referrer on day.
	PutDailyAttributions(referrer uint64, day string, n int) error

	// PutApplication stores app under app.Member, replacing what was there.
	PutApplication(app Application) error
	// DeleteApplication deletes member's application.
	DeleteApplication(member uint64) error

	// PutPayment records p, to be posted, under p.Key.
	PutPayment(p loyalty.Posting) error
	// DeletePayment forgets the payment recorded under key.
	DeletePayment(key string) error
}

// errStop ends a walk early; the walk's caller then returns nil.
var errStop = errors.New("ugc: stop the walk")

// stopped turns a walk's errStop into nil.
func stopped(err error) error {
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}

// collect walks the ids walk yields into a slice, so the caller may write
// after the walk.
func collect(walk func(fn func(uint64) error) error) ([]uint64, error) {
	var ids []uint64
	err := walk(func(id uint64) error {
		ids = append(ids, id)
		return nil
	})
	return ids, err
}

// getSubmission returns submission id, or an error wrapping ErrNotFound.
func getSubmission(tx ReadTx, id uint64) (Submission, error) {
	sub, ok, err := tx.Submission(id)
	if err != nil {
		return Submission{}, err
	}
	if !ok {
		return Submission{}, fmt.Errorf("submission #%d: %w", id, ErrNotFound)
	}
	return sub, nil
}
