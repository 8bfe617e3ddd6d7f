package community

import (
	"context"
	"errors"
	"fmt"

	"github.com/loyalbot/loyalbot/loyalty"
)

// run finishes job j and forgets it.
func (c *Community) run(ctx context.Context, j Job) error {
	var err error
	switch j.Kind {
	case JobLink:
		err = c.finishLink(ctx, j.From, j.To)
	case JobErase:
		err = c.finishErase(ctx, j.Member)
	default:
		err = fmt.Errorf("unknown job kind %q", j.Kind)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", j.Key, err)
	}
	return c.members.store.Update(ctx, func(tx Tx) error { return tx.DeleteJob(j.Key) })
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
	var jobs []Job
	if err := c.members.store.View(ctx, func(tx ReadTx) error {
		return tx.Jobs(func(j Job) error {
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
	err := c.members.store.View(ctx, func(tx ReadTx) error {
		return tx.Jobs(func(Job) error { n++; return nil })
	})
	return n, err
}
