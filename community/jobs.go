package community

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/loyalbot/loyalbot/loyalty"
	bolt "go.etcd.io/bbolt"
)

// bucketJobs holds multi-step operations that span domains (/link,
// /erase) from the moment they start until every step is done, so a crash
// between steps is finished by Resume.
var bucketJobs = []byte("community.jobs") // key → job

// job is one recorded multi-step operation. Every step is idempotent, so
// running a job again from the start finishes it.
type job struct {
	Key     string    `json:"key"`
	Kind    string    `json:"kind"` // "link" or "erase"
	From    uint64    `json:"from,omitempty"`
	To      uint64    `json:"to,omitempty"`
	Member  uint64    `json:"member,omitempty"`
	Created time.Time `json:"created"`
}

func putJob(tx *bolt.Tx, j job) error {
	v, err := json.Marshal(j)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketJobs).Put([]byte(j.Key), v)
}

// run finishes job j and forgets it.
func (c *Community) run(ctx context.Context, j job) error {
	var err error
	switch j.Kind {
	case "link":
		err = c.finishLink(ctx, j.From, j.To)
	case "erase":
		err = c.finishErase(ctx, j.Member)
	default:
		err = fmt.Errorf("unknown job kind %q", j.Kind)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", j.Key, err)
	}
	return c.members.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketJobs).Delete([]byte(j.Key)) })
}

// step calls the step hook (tests stop operations there, as a crash would).
func (c *Community) step(op string, n int) error {
	if c.stepHook == nil {
		return nil
	}
	return c.stepHook(op, n)
}

// Resume finishes what a crash interrupted: recorded /link and /erase jobs,
// and audited grants that were started but not settled. Run it at start-up,
// after the domains' own Resume. It returns how many items it finished.
func (c *Community) Resume(ctx context.Context) (int, error) {
	var jobs []job
	if err := c.members.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketJobs).ForEach(func(_, v []byte) error {
			var j job
			if err := json.Unmarshal(v, &j); err != nil {
				return err
			}
			jobs = append(jobs, j)
			return nil
		})
	}); err != nil {
		return 0, err
	}
	n := 0
	for _, j := range jobs {
		if err := c.run(ctx, j); err != nil {
			return n, fmt.Errorf("resume: %w", err)
		}
		n++
	}
	started, err := c.startedAudits(ctx)
	if err != nil {
		return n, err
	}
	for _, e := range started {
		outcome := OutcomeNotDone
		if e.Effect != "" {
			if _, err := c.ledger.EntryByKey(ctx, e.Effect); err == nil {
				outcome = OutcomeDone
			} else if !errors.Is(err, loyalty.ErrNotFound) {
				return n, err
			}
		}
		if _, err := c.settleAudit(ctx, e.ID, outcome, ""); err != nil {
			return n, err
		}
		n++
	}
	if n > 0 {
		c.log.InfoContext(ctx, "finished operations a crash interrupted", "items", n)
	}
	return n, nil
}

// PendingJobs returns how many recorded operations wait to be finished.
func (c *Community) PendingJobs(ctx context.Context) (int, error) {
	n := 0
	err := c.members.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketJobs).Stats().KeyN
		return nil
	})
	return n, err
}
