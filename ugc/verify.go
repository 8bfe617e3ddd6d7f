package ugc

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
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
	err := s.db.View(func(tx *bolt.Tx) error {
		byURL, pending, byMember := tx.Bucket(bucketByURL), tx.Bucket(bucketPending), tx.Bucket(bucketByMember)
		if err := tx.Bucket(bucketSubmissions).ForEach(func(k, v []byte) error {
			var sub Submission
			if err := json.Unmarshal(v, &sub); err != nil {
				bad("submission %x does not decode: %v", k, err)
				return nil
			}
			if id := byURL.Get([]byte(sub.Canonical)); len(id) != 8 || binary.BigEndian.Uint64(id) != sub.ID {
				bad("submission #%d is not the one indexed under %s", sub.ID, sub.Canonical)
			}
			if (pending.Get(k) != nil) != (sub.Status == Pending) {
				bad("submission #%d is %s but the pending set says otherwise", sub.ID, sub.Status)
			}
			if byMember.Get(pair(sub.Member, sub.ID)) == nil {
				bad("submission #%d is missing from member %d's index", sub.ID, sub.Member)
			}
			return nil
		}); err != nil {
			return err
		}
		return pending.ForEach(func(k, _ []byte) error {
			if tx.Bucket(bucketSubmissions).Get(k) == nil {
				bad("pending set names missing submission %x", k)
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("verify ugc: %w", err)
	}
	return errors.Join(errs...)
}

// Pending returns how many payments wait to be posted (a crash came
// between a decision and its payment; Resume posts them).
func (s *Service) Pending(ctx context.Context) (int, error) {
	n := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketPayments).Stats().KeyN
		return nil
	})
	return n, err
}
