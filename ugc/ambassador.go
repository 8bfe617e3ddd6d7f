package ugc

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Level is an ambassador level. A member is at the highest level whose
// Threshold their activity — approved posts plus qualified referrals in the
// last 90 days — reaches; Multiplier (percent) scales their UGC and
// referral rewards.
type Level struct {
	Name       string `yaml:"name"`
	Threshold  int    `yaml:"threshold"`
	Multiplier int64  `yaml:"multiplier_pct"`
}

// DefaultLevels returns KOC (0), Rising (5) and KOL (20), earning 1×, 1.2× and 1.5×.
func DefaultLevels() []Level {
	return []Level{{Name: "KOC", Threshold: 0, Multiplier: 100}, {Name: "Rising", Threshold: 5, Multiplier: 120}, {Name: "KOL", Threshold: 20, Multiplier: 150}}
}

// LevelWindow is how far back activity counts towards a level.
const LevelWindow = 90 * 24 * time.Hour

// Activity counts what a member did since some time.
type Activity struct {
	Approved  int   // posts approved
	Pending   int   // posts waiting for review
	Rejected  int   // posts rejected
	Referrals int   // referrals qualified
	Points    int64 // paid for approved posts and referrals
}

// Level returns the member's ambassador level and the activity it rests on.
func (s *Service) Level(ctx context.Context, member uint64) (Level, Activity, error) {
	var lvl Level
	var act Activity
	err := s.db.View(func(tx *bolt.Tx) error {
		act = s.activityTx(tx, member, s.now().Add(-LevelWindow))
		lvl = s.levelFor(act)
		return nil
	})
	return lvl, act, err
}

// Activity returns what the member did since the given time.
func (s *Service) Activity(ctx context.Context, member uint64, since time.Time) (Activity, error) {
	var act Activity
	err := s.db.View(func(tx *bolt.Tx) error {
		act = s.activityTx(tx, member, since)
		return nil
	})
	return act, err
}

func (s *Service) levelTx(tx *bolt.Tx, member uint64) Level {
	return s.levelFor(s.activityTx(tx, member, s.now().Add(-LevelWindow)))
}

func (s *Service) levelFor(act Activity) Level {
	lvl := s.cfg.Levels[0]
	for _, l := range s.cfg.Levels {
		if act.Approved+act.Referrals >= l.Threshold {
			lvl = l
		}
	}
	return lvl
}

func (s *Service) activityTx(tx *bolt.Tx, member uint64, since time.Time) Activity {
	var act Activity
	prefix := u64(member)
	c := tx.Bucket(bucketByMember).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		sub, err := getSubmission(tx, binary.BigEndian.Uint64(k[8:]))
		if err != nil {
			continue
		}
		switch {
		case sub.Status == Pending:
			act.Pending++
		case sub.Reviewed.Before(since):
		case sub.Status == Approved:
			act.Approved++
			act.Points += sub.Points
		case sub.Status == Rejected:
			act.Rejected++
		}
	}
	c = tx.Bucket(bucketByReferrer).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		ref, found, err := getReferral(tx, binary.BigEndian.Uint64(k[8:]))
		if err == nil && found && ref.Status == RefQualified && !ref.Qualified.Before(since) {
			act.Referrals++
			act.Points += ref.Paid
		}
	}
	return act
}

// AppStatus is where an ambassador application is.
type AppStatus string

// Application statuses.
const (
	AppPending  AppStatus = "pending"
	AppApproved AppStatus = "approved"
	AppRejected AppStatus = "rejected"
)

// Application is a member's request to become an ambassador.
type Application struct {
	Member   uint64    `json:"member"`
	Why      string    `json:"why,omitempty"`
	Status   AppStatus `json:"status"`
	Created  time.Time `json:"created"`
	Decided  time.Time `json:"decided,omitzero"`
	Reviewer uint64    `json:"reviewer,omitempty"`
}

// Apply opens an ambassador application. It returns ErrApplied while one is
// pending or after one was approved; after a rejection a member may apply again.
func (s *Service) Apply(ctx context.Context, member uint64, why string) (Application, error) {
	if err := ctx.Err(); err != nil {
		return Application{}, err
	}
	app := Application{Member: member, Why: why, Status: AppPending, Created: s.now()}
	err := s.db.Update(func(tx *bolt.Tx) error {
		old, found, err := getApp(tx, member)
		if err != nil {
			return err
		}
		if found && old.Status != AppRejected {
			app = old
			return fmt.Errorf("apply: %w (%s)", ErrApplied, old.Status)
		}
		return putJSON(tx.Bucket(bucketApps), u64(member), app)
	})
	return app, err
}

// Decide approves or rejects a pending application. It returns ErrNotFound
// when the member has no pending application.
func (s *Service) Decide(ctx context.Context, member uint64, approve bool, reviewer uint64) (Application, error) {
	var app Application
	err := s.db.Update(func(tx *bolt.Tx) error {
		var found bool
		var err error
		if app, found, err = getApp(tx, member); err != nil {
			return err
		}
		if !found || app.Status != AppPending {
			return fmt.Errorf("application of %d: %w", member, ErrNotFound)
		}
		app.Status, app.Decided, app.Reviewer = AppRejected, s.now(), reviewer
		if approve {
			app.Status = AppApproved
		}
		return putJSON(tx.Bucket(bucketApps), u64(member), app)
	})
	return app, err
}

// Applications returns the pending applications, oldest first.
func (s *Service) Applications(ctx context.Context) ([]Application, error) {
	var out []Application
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketApps).ForEach(func(_, v []byte) error {
			var app Application
			if err := json.Unmarshal(v, &app); err != nil {
				return err
			}
			if app.Status == AppPending {
				out = append(out, app)
			}
			return nil
		})
	})
	slices.SortFunc(out, func(a, b Application) int { return a.Created.Compare(b.Created) })
	return out, err
}

func getApp(tx *bolt.Tx, member uint64) (Application, bool, error) {
	v := tx.Bucket(bucketApps).Get(u64(member))
	if v == nil {
		return Application{}, false, nil
	}
	var app Application
	if err := json.Unmarshal(v, &app); err != nil {
		return Application{}, false, fmt.Errorf("decode application of %d: %w", member, err)
	}
	return app, true, nil
}
