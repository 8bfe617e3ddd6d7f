package bolt

import (
	"fmt"

	boltrec "github.com/loyalbot/loyalbot/internal/bolt"

	"github.com/loyalbot/loyalbot/ugc"
)

func (t *submissionTxn) Submission(id uint64) (ugc.Submission, bool, error) {
	var sub ugc.Submission
	ok, err := boltrec.GetJSON(t.b(bucketSubmissions).Get(u64(id)), &sub)
	if err != nil {
		return ugc.Submission{}, false, fmt.Errorf("decode submission #%d: %w", id, err)
	}
	return sub, ok, nil
}

func (t *submissionTxn) Submissions(order ugc.Order, fn func(ugc.Submission) error) error {
	return walk(t.b(bucketSubmissions), order, func(k, v []byte) error {
		var sub ugc.Submission
		if _, err := boltrec.GetJSON(v, &sub); err != nil {
			return fmt.Errorf("decode submission %x: %w", k, err)
		}
		return fn(sub)
	})
}

func (t *submissionTxn) SubmissionIDsOf(member uint64, order ugc.Order, fn func(id uint64) error) error {
	return t.walkPairs(bucketByMember, member, order, fn)
}

func (t *submissionTxn) PendingIDs(fn func(id uint64) error) error {
	return walk(t.b(bucketPending), ugc.OldestFirst, func(k, _ []byte) error {
		id, _, err := boltrec.ID(k)
		if err != nil {
			return fmt.Errorf("pending set: %w", err)
		}
		return fn(id)
	})
}

func (t *submissionTxn) SubmissionIDByURL(canonical string) (uint64, bool, error) {
	id, ok, err := boltrec.ID(t.b(bucketByURL).Get([]byte(canonical)))
	if err != nil {
		return 0, false, fmt.Errorf("submission of %s: %w", canonical, err)
	}
	return id, ok, nil
}

func (t *submissionTxn) SubmissionIDByKey(key string) (uint64, bool, error) {
	id, ok, err := boltrec.ID(t.b(bucketKeys).Get([]byte(key)))
	if err != nil {
		return 0, false, fmt.Errorf("submission under key %s: %w", key, err)
	}
	return id, ok, nil
}

func (t *submissionTxn) DailySubmissions(member uint64, day string) (int, error) {
	return getCount(t.b(bucketDaily).Get(dayKey(member, day))), nil
}

func (t *submissionTxn) NextSubmissionID() (uint64, error) {
	return t.b(bucketSubmissions).NextSequence()
}

// PutSubmission writes sub and moves its index entries when its link,
// member or status changed (or writes them for a new one).
func (t *submissionTxn) PutSubmission(sub ugc.Submission) error {
	old, found, err := t.Submission(sub.ID)
	if err != nil {
		return err
	}
	id := u64(sub.ID)
	byURL, byMember, pending := t.b(bucketByURL), t.b(bucketByMember), t.b(bucketPending)
	if !found || old.Canonical != sub.Canonical {
		if found {
			if cur, ok, _ := boltrec.ID(byURL.Get([]byte(old.Canonical))); ok && cur == sub.ID {
				if err := byURL.Delete([]byte(old.Canonical)); err != nil {
					return err
				}
			}
		}
		if err := byURL.Put([]byte(sub.Canonical), id); err != nil {
			return err
		}
	}
	if !found || old.Member != sub.Member {
		if found {
			if err := byMember.Delete(pair(old.Member, sub.ID)); err != nil {
				return err
			}
		}
		if err := byMember.Put(pair(sub.Member, sub.ID), nil); err != nil {
			return err
		}
	}
	switch was, is := found && old.Status == ugc.Pending, sub.Status == ugc.Pending; {
	case is && !was:
		err = pending.Put(id, nil)
	case was && !is:
		err = pending.Delete(id)
	}
	if err != nil {
		return err
	}
	return boltrec.PutJSON(t.b(bucketSubmissions), id, sub)
}

func (t *submissionTxn) PutSubmissionKey(key string, id uint64) error {
	return t.b(bucketKeys).Put([]byte(key), u64(id))
}

func (t *submissionTxn) PutDailySubmissions(member uint64, day string, n int) error {
	return t.b(bucketDaily).Put(dayKey(member, day), u64(uint64(n)))
}
