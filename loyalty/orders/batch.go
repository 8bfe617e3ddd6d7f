package orders

import (
	"context"
	"slices"
	"time"

	"github.com/loyalbot/loyalbot/loyalty"
	"golang.org/x/sync/errgroup"
)

// settleBatch is how many orders settleMany takes at once when it is
// handed a long list (Resume after an interrupted import).
const settleBatch = 1000

// postWorkers is how many members' credits settleMany posts at once: the
// ledger commits concurrent posts in groups, one fsync for many.
const postWorkers = 128

// A batchJob is one order settleMany settles on its fast path: it is
// marked, its round is undecided, no unlink revokes it, and it needs no
// clawback after its credit (no refund yet) — what an import brings.
type batchJob struct {
	o   Order
	st  Settlement
	p   loyalty.Posting // the credit; no Key when the order earns nothing
	rc  loyalty.Receipt
	err error
}

// settleMany settles the orders ids, each as settle does, with fewer
// transactions: one read for all of them, their credits through one
// ledger Import (or, when held through the return window, posted
// concurrently so the ledger commits them in groups), and one write of
// their settlements that clears their marks. Orders it cannot take on
// that path — decided already, revoked, refunded, or of a member who has
// such an order among ids — are settled one by one, each member's in the
// order of ids, so tier multipliers apply as they would one at a time.
//
// It holds the locks of all of ids meanwhile. A crash at any point leaves
// the marks of what is not saved, and every ledger write is keyed as
// settle's are, so Resume finishes the job.
func (s *settler) settleMany(ctx context.Context, ids []string) error {
	ids = dedupe(ids)
	if len(ids) <= 1 {
		for _, id := range ids {
			return s.settleLocked(ctx, id)
		}
		return nil
	}
	defer s.lockAll(ids)()
	now := s.cfg.Now()
	var jobs []*batchJob
	var slow []string
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		jobs, slow, err = s.plan(tx, ids, now)
		return err
	})
	if err != nil {
		return err
	}
	postErr := s.post(ctx, jobs)
	var save []*batchJob
	for _, j := range jobs {
		if j.err == nil {
			save = append(save, j)
		}
	}
	if len(save) > 0 {
		if err := s.step("settle", 4); err != nil {
			return err
		}
		err := s.store.Update(ctx, func(tx Tx) error {
			for _, j := range save {
				again, err := putSettled(tx, j.o.ID, &j.st, true)
				if err != nil {
					return err
				}
				if again { // an unlink came meanwhile: its revocation is next
					slow = append(slow, j.o.ID)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	if postErr != nil {
		return postErr // the orders whose credit failed stay marked
	}
	for _, id := range slow {
		if err := s.settle(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// plan reads the orders ids and sorts them into the fast path's jobs (the
// credit decided, not posted) and the ids to settle one by one.
func (s *settler) plan(tx ReadTx, ids []string, now time.Time) (jobs []*batchJob, slow []string, err error) {
	var marked []*batchJob
	oneByOne := map[uint64]bool{} // members with an order off the fast path
	for _, id := range ids {
		o, st, ok, err := load(tx, id)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			continue
		}
		marked = append(marked, &batchJob{o: o, st: st})
		if st.Decided || st.Revoke || s.noPoints(o, now) == "" && o.refundTotal() > 0 {
			oneByOne[st.Member] = true
		}
	}
	for _, j := range marked {
		if oneByOne[j.st.Member] {
			slow = append(slow, j.o.ID)
			continue
		}
		if j.st.Note = s.noPoints(j.o, now); j.st.Note != "" {
			j.st.Decided, j.st.Refunded = true, min(j.o.refundTotal(), j.o.Amount)
		} else {
			j.p = s.credit(j.o, &j.st, loyalty.Member(j.st.Member), now)
		}
		jobs = append(jobs, j)
	}
	return jobs, slow, nil
}

// post posts the jobs' credits and records each outcome in its job (err
// set: not to be saved). A member's credits without holds go through one
// ledger Import; a member with a held one has all theirs posted one after
// another, members side by side. It returns the first error.
func (s *settler) post(ctx context.Context, jobs []*batchJob) error {
	byMember := map[uint64][]*batchJob{}
	var members []uint64
	for _, j := range jobs {
		if j.p.Key == "" {
			continue
		}
		m := j.st.Member
		if byMember[m] == nil {
			members = append(members, m)
		}
		byMember[m] = append(byMember[m], j)
	}
	if len(members) == 0 {
		return nil
	}
	if err := s.step("settle", 1); err != nil {
		for _, j := range jobs {
			j.err = err
		}
		return err
	}
	var imported, posted []*batchJob
	var serial [][]*batchJob
	for _, m := range members {
		js := byMember[m]
		if slices.ContainsFunc(js, func(j *batchJob) bool { return !j.p.HoldUntil.IsZero() }) {
			serial = append(serial, js)
			posted = append(posted, js...)
		} else {
			imported = append(imported, js...)
		}
	}
	if len(imported) > 0 {
		ps := make([]loyalty.Posting, len(imported))
		for i, j := range imported {
			ps[i] = j.p
		}
		rcs, errs, err := s.ledger.Import(ctx, ps)
		for i, j := range imported {
			if j.err = err; err == nil {
				j.rc, j.err = rcs[i], errs[i]
			}
		}
	}
	var g errgroup.Group
	g.SetLimit(postWorkers)
	for _, js := range serial {
		g.Go(func() error {
			for _, j := range js {
				j.rc, j.err = s.ledger.Post(ctx, j.p)
			}
			return nil
		})
	}
	g.Wait()
	var first error
	for _, j := range append(imported, posted...) {
		if j.err = s.decided(ctx, j.o, &j.st, j.p, j.rc, j.err); j.err != nil && first == nil {
			first = j.err
		}
	}
	if err := s.step("settle", 2); err != nil {
		for _, j := range jobs {
			j.err = err
		}
		return err
	}
	return first
}

// lockAll locks the stripes of ids, in stripe order so that two callers
// never wait on each other, and returns the function that unlocks them.
func (s *settler) lockAll(ids []string) func() {
	var held [numLocks]bool
	for _, id := range ids {
		held[s.stripe(id)] = true
	}
	for i, h := range held {
		if h {
			s.locks[i].Lock()
		}
	}
	return func() {
		for i, h := range held {
			if h {
				s.locks[i].Unlock()
			}
		}
	}
}

// dedupe returns ids without repeats, in their first order.
func dedupe(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
