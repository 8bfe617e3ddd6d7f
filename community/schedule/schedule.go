// Package schedule runs loyalbot's scheduled work: a list of named jobs,
// each due every so often, run from one loop with one injected clock,
// logged, and stopped on shutdown. Jobs are idempotent and derive their
// work from stored data (points past their expiry, campaigns due), so a
// restart simply runs what is due.
package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Job is one kind of scheduled work.
type Job struct {
	Name  string
	Every time.Duration // the time between runs; the first run is at start
	// Run does the work due at now. An error is logged and the job runs
	// again at its next time.
	Run func(ctx context.Context, now time.Time) error
	// Quiet marks housekeeping that RunDue runs but does not name (the
	// console's !clock lists what a jump in time made happen).
	Quiet bool
}

// Status is what the scheduler knows of a job.
type Status struct {
	Name    string
	Every   time.Duration
	Next    time.Time // when it is due next
	LastRun time.Time // zero before its first run
	LastErr string    // the last run's error, "" when it succeeded
	Runs    int
}

// Scheduler runs jobs when they are due. It is safe for concurrent use;
// one job never runs twice at once.
type Scheduler struct {
	now  func() time.Time
	log  *slog.Logger
	wake chan struct{}

	run  sync.Mutex // held while jobs run
	mu   sync.Mutex // guards jobs' status
	jobs []*entry
}

type entry struct {
	job    Job
	status Status
}

// New returns a scheduler for jobs, all due at once. Names must be unique
// and intervals positive.
func New(now func() time.Time, log *slog.Logger, jobs ...Job) (*Scheduler, error) {
	s := &Scheduler{now: now, log: log, wake: make(chan struct{}, 1)}
	seen := map[string]bool{}
	start := now()
	for _, j := range jobs {
		switch {
		case j.Name == "" || seen[j.Name]:
			return nil, fmt.Errorf("schedule: job name %q missing or repeated", j.Name)
		case j.Every <= 0:
			return nil, fmt.Errorf("schedule: job %s: interval %v must be positive", j.Name, j.Every)
		case j.Run == nil:
			return nil, fmt.Errorf("schedule: job %s has nothing to run", j.Name)
		}
		seen[j.Name] = true
		s.jobs = append(s.jobs, &entry{job: j, status: Status{Name: j.Name, Every: j.Every, Next: start}})
	}
	return s, nil
}

// RunDue runs, in list order, every job due at the clock's time, and
// returns the names of those it ran, but for quiet ones. A job that missed several intervals
// (the process was down, the clock jumped) runs once.
func (s *Scheduler) RunDue(ctx context.Context) []string {
	s.run.Lock()
	defer s.run.Unlock()
	now := s.now()
	var ran []string
	for _, e := range s.jobs {
		if ctx.Err() != nil {
			break
		}
		s.mu.Lock()
		due := !now.Before(e.status.Next)
		s.mu.Unlock()
		if !due {
			continue
		}
		err := e.job.Run(ctx, now)
		if err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "scheduled job failed", "job", e.job.Name, "err", err)
		} else if err == nil {
			s.log.DebugContext(ctx, "scheduled job ran", "job", e.job.Name)
		}
		s.mu.Lock()
		e.status.LastRun, e.status.Runs, e.status.LastErr = now, e.status.Runs+1, ""
		if err != nil {
			e.status.LastErr = err.Error()
		}
		e.status.Next = now.Add(e.job.Every)
		s.mu.Unlock()
		if !e.job.Quiet {
			ran = append(ran, e.job.Name)
		}
	}
	return ran
}

// Next returns when the next job is due (zero with no jobs).
func (s *Scheduler) Next() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	var next time.Time
	for _, e := range s.jobs {
		if next.IsZero() || e.status.Next.Before(next) {
			next = e.status.Next
		}
	}
	return next
}

// Status returns every job's status, in list order.
func (s *Scheduler) Status() []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Status, len(s.jobs))
	for i, e := range s.jobs {
		out[i] = e.status
	}
	return out
}

// Wake makes Run look at the clock again now: the clock moved (the
// console's !clock), or work was added.
func (s *Scheduler) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run runs due jobs until ctx ends, sleeping until the next is due or
// Wake is called. It returns nil when ctx ends.
func (s *Scheduler) Run(ctx context.Context) error {
	if len(s.jobs) == 0 {
		<-ctx.Done()
		return nil
	}
	for {
		s.RunDue(ctx)
		wait := s.Next().Sub(s.now())
		t := time.NewTimer(max(wait, 0))
		select {
		case <-ctx.Done():
			t.Stop()
			if errors.Is(ctx.Err(), context.Canceled) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil
			}
			return ctx.Err()
		case <-s.wake:
			t.Stop()
		case <-t.C:
		}
	}
}
