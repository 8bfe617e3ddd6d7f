package ugc

import (
	"context"
	"fmt"
	"slices"
	"time"
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

// Ambassadors is the ambassador side of the programme: the level a
// member's recent activity earns, whose multiplier scales their post and
// referral rewards, and the applications to become an ambassador that
// managers decide. Service.Ambassadors returns it; it shares the Service's
// store and rules. It is safe for concurrent use.
type Ambassadors struct {
	*programme
}

// Level returns the member's ambassador level and the activity it rests on.
func (a *Ambassadors) Level(ctx context.Context, member uint64) (Level, Activity, error) {
	var lvl Level
	var act Activity
	err := a.store.View(ctx, func(tx ReadTx) error {
		var err error
		act, err = a.activityTx(tx, member, a.now().Add(-LevelWindow))
		lvl = a.levelFor(act)
		return err
	})
	return lvl, act, err
}

// Activity returns what the member did since the given time.
func (a *Ambassadors) Activity(ctx context.Context, member uint64, since time.Time) (Activity, error) {
	var act Activity
	err := a.store.View(ctx, func(tx ReadTx) error {
		var err error
		act, err = a.activityTx(tx, member, since)
		return err
	})
	return act, err
}

func (a *Ambassadors) levelTx(tx ReadTx, member uint64) (Level, error) {
	act, err := a.activityTx(tx, member, a.now().Add(-LevelWindow))
	return a.levelFor(act), err
}

func (a *Ambassadors) levelFor(act Activity) Level {
	lvl := a.cfg.Levels[0]
	for _, l := range a.cfg.Levels {
		if act.Approved+act.Referrals >= l.Threshold {
			lvl = l
		}
	}
	return lvl
}

// activityTx counts member's activity since the given time. A submission
// or referral that cannot be read does not count.
func (a *Ambassadors) activityTx(tx ReadTx, member uint64, since time.Time) (Activity, error) {
	var act Activity
	err := tx.SubmissionIDsOf(member, OldestFirst, func(id uint64) error {
		sub, err := getSubmission(tx, id)
		if err != nil {
			return nil
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
		return nil
	})
	if err != nil {
		return Activity{}, err
	}
	err = tx.RefereesOf(member, func(referee uint64) error {
		ref, found, err := tx.Referral(referee)
		if err == nil && found && ref.Status == RefQualified && !ref.Qualified.Before(since) {
			act.Referrals++
			act.Points += ref.Paid
		}
		return nil
	})
	if err != nil {
		return Activity{}, err
	}
	return act, nil
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
func (a *Ambassadors) Apply(ctx context.Context, member uint64, why string) (Application, error) {
	if err := ctx.Err(); err != nil {
		return Application{}, err
	}
	app := Application{Member: member, Why: why, Status: AppPending, Created: a.now()}
	err := a.store.Update(ctx, func(tx Tx) error {
		old, found, err := tx.Application(member)
		if err != nil {
			return err
		}
		if found && old.Status != AppRejected {
			app = old
			return fmt.Errorf("apply: %w (%s)", ErrApplied, old.Status)
		}
		return tx.PutApplication(app)
	})
	return app, err
}

// Decide approves or rejects a pending application. It returns ErrNotFound
// when the member has no pending application.
func (a *Ambassadors) Decide(ctx context.Context, member uint64, approve bool, reviewer uint64) (Application, error) {
	var app Application
	err := a.store.Update(ctx, func(tx Tx) error {
		var found bool
		var err error
		if app, found, err = tx.Application(member); err != nil {
			return err
		}
		if !found || app.Status != AppPending {
			return fmt.Errorf("application of %d: %w", member, ErrNotFound)
		}
		app.Status, app.Decided, app.Reviewer = AppRejected, a.now(), reviewer
		if approve {
			app.Status = AppApproved
		}
		return tx.PutApplication(app)
	})
	return app, err
}

// Applications returns the pending applications, oldest first.
func (a *Ambassadors) Applications(ctx context.Context) ([]Application, error) {
	var out []Application
	err := a.store.View(ctx, func(tx ReadTx) error {
		return tx.Applications(func(app Application) error {
			if app.Status == AppPending {
				out = append(out, app)
			}
			return nil
		})
	})
	slices.SortFunc(out, func(x, y Application) int { return x.Created.Compare(y.Created) })
	return out, err
}
