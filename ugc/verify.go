package ugc

import (
	"context"
	"errors"
	"fmt"
)

// ErrInvariant is wrapped by the errors Verify returns.
var ErrInvariant = errors.New("ugc: invariant violated")

// Verify checks the programme's invariants and returns every violation,
// joined, each wrapping ErrInvariant: the URL index names each submission's
// canonical link, the pending set is exactly the pending submissions, and
// every submission is in its member's index.
func (s *Service) Verify(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s", ErrInvariant, fmt.Sprintf(format, args...)))
	}
	err := s.store.View(ctx, func(tx ReadTx) error {
		pending := map[uint64]bool{}
		if err := tx.PendingIDs(func(id uint64) error { pending[id] = true; return nil }); err != nil {
			return err
		}
		indexed := map[uint64]map[uint64]bool{} // member → ids in their index, read on first use
		inIndex := func(member, id uint64) (bool, error) {
			ids, ok := indexed[member]
			if !ok {
				ids = map[uint64]bool{}
				if err := tx.SubmissionIDsOf(member, OldestFirst, func(id uint64) error { ids[id] = true; return nil }); err != nil {
					return false, err
				}
				indexed[member] = ids
			}
			return ids[id], nil
		}
		seen := map[uint64]bool{}
		if err := tx.Submissions(OldestFirst, func(sub Submission) error {
			seen[sub.ID] = true
			if id, ok, err := tx.SubmissionIDByURL(sub.Canonical); err != nil {
				return err
			} else if !ok || id != sub.ID {
				bad("submission #%d is not the one indexed under %s", sub.ID, sub.Canonical)
			}
			if pending[sub.ID] != (sub.Status == Pending) {
				bad("submission #%d is %s but the pending set says otherwise", sub.ID, sub.Status)
			}
			if ok, err := inIndex(sub.Member, sub.ID); err != nil {
				return err
			} else if !ok {
				bad("submission #%d is missing from member %d's index", sub.ID, sub.Member)
			}
			return nil
		}); err != nil {
			return err
		}
		return tx.PendingIDs(func(id uint64) error {
			if !seen[id] {
				bad("pending set names missing submission #%d", id)
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("verify ugc: %w", err)
	}
	return errors.Join(errs...)
}
