package loyalty

import (
	"context"
	"fmt"
	"sync"
)

// MergeReport says what Merge moved.
type MergeReport struct {
	Points int64 // balance moved, held points included
	Held   int64 // of which held by open holds, which now reserve the survivor's points
	Holds  int   // open holds moved
	Replay bool  // the key had been applied before: nothing changed
	// TierChange is set when the survivor's tier changed with the earnings it took over.
	TierChange *TierChange
}

// Merge folds member account from into member account to, in one atomic
// step, for two chat accounts of one person: the whole balance (held points
// included) moves with one transfer entry, lots keep their expiry dates,
// open holds now reserve to's points, earned points (tier and
// leaderboards) and per-member redemption counts add up, and from is
// recorded as merged: every later write to or from it — a refund of an old
// order, a cancelled redemption, a late approval — lands on to instead, and
// reads of it show to. The same key returns a replay; merging an account
// into itself or into one merged into it returns ErrSameAccount.
func (l *Ledger) Merge(ctx context.Context, key string, from, to AccountID) (MergeReport, error) {
	switch {
	case key == "":
		return MergeReport{}, ErrEmptyKey
	case !from.IsMember() || !to.IsMember():
		return MergeReport{}, fmt.Errorf("merge %s into %s: %w", from, to, ErrUnknownAccount)
	}
	h := hashOf("merge", string(from), string(to))
	var src, dst AccountID // from and to through earlier merges
	out, err := l.w.do(ctx, func(s *wtx) (any, error) {
		if _, ok, err := s.replay(key, KeyMerge, h); err != nil || ok {
			return MergeReport{Replay: ok}, err
		}
		from, err := s.resolve(from)
		if err != nil {
			return nil, err
		}
		to, err := s.resolve(to)
		if err != nil {
			return nil, err
		}
		src, dst = from, to
		if from == to {
			return nil, fmt.Errorf("merge %s: %w", from, ErrSameAccount)
		}
		rep, err := l.merge(s, key, from, to)
		if err != nil {
			return nil, err
		}
		if err := s.PutMerge(from, to); err != nil {
			return nil, err
		}
		return rep, s.PutKey(key, KeyRecord{Kind: KeyMerge, Hash: h})
	})
	if err != nil {
		return MergeReport{}, err
	}
	rep := out.(MergeReport)
	if !rep.Replay {
		l.redirects.add(src, dst) // as stored: an account merged before redirects through its survivor
		if rep.TierChange != nil && l.cfg.OnTierChange != nil {
			l.cfg.OnTierChange(ctx, *rep.TierChange)
		}
	}
	return rep, nil
}

func (l *Ledger) merge(s *wtx, key string, from, to AccountID) (MergeReport, error) {
	now := l.cfg.Now().UTC()
	src, err := s.Account(from)
	if err != nil {
		return MergeReport{}, err
	}
	dst, err := s.Account(to)
	if err != nil {
		return MergeReport{}, err
	}
	rep := MergeReport{Points: src.Balance, Held: src.Held}
	if err := l.moveBoards(s, from, to); err != nil {
		return rep, err
	}
	// Read everything that moves first: a store's iteration does not survive writes.
	var holds []Hold
	if err := s.HoldsOf(from, func(hd Hold) error {
		holds = append(holds, hd)
		return nil
	}); err != nil {
		return rep, err
	}
	var uses []LotUse
	if err := s.LotsOf(from, func(lot Lot) error {
		uses = append(uses, LotUse{Expires: lot.Expires, Amount: lot.Remaining})
		return nil
	}); err != nil {
		return rep, err
	}
	type count struct {
		reward string
		n      int64
	}
	var counts []count
	if err := s.RedeemCountsOf(from, func(reward string, n int64) error {
		counts = append(counts, count{reward, n})
		return nil
	}); err != nil {
		return rep, err
	}
	// Holds: the open ones now reserve the survivor's points.
	for _, hd := range holds {
		hd.Account = to
		if err := s.PutHold(hd); err != nil {
			return rep, err
		}
		rep.Holds++
	}
	// Lots: every parcel keeps its expiry date.
	for _, u := range uses {
		if _, err := s.AddLot(from, u.Expires, -u.Amount); err != nil {
			return rep, err
		}
		if _, err := s.AddLot(to, u.Expires, u.Amount); err != nil {
			return rep, err
		}
	}
	// Per-member redemption counts follow the person.
	for _, c := range counts {
		n, err := s.RedeemCount(to, c.reward)
		if err != nil {
			return rep, err
		}
		if err := s.SetRedeemCount(from, c.reward, 0); err != nil {
			return rep, err
		}
		if err := s.SetRedeemCount(to, c.reward, n+c.n); err != nil {
			return rep, err
		}
	}
	// Earnings: the survivor's tier and all-time total include both accounts.
	before, _ := l.tierFor(dst.window(now))
	for m := src.Month - tierWindow + 1; m <= src.Month && src.Month >= tierWindow-1; m++ {
		if n := src.Months[m%tierWindow]; n != 0 {
			dst.addMonth(m, n)
		}
	}
	if dst.Earned, err = addChecked(dst.Earned, src.Earned); err != nil {
		return rep, err
	}
	if dst.Balance, err = addChecked(dst.Balance, src.Balance); err != nil {
		return rep, err
	}
	dst.Held += src.Held
	if after, _ := l.tierFor(dst.window(now)); after.Name != before.Name {
		rep.TierChange = &TierChange{Account: to, From: before, To: after}
	}
	if src.Balance > 0 {
		id, err := s.NextEntryID()
		if err != nil {
			return rep, err
		}
		if err := s.PutEntry(Entry{ID: id, Key: key, From: from, To: to, Amount: src.Balance, Reason: "accounts linked", Time: now}); err != nil {
			return rep, err
		}
		if err := s.PutLotUses(id, uses); err != nil {
			return rep, err
		}
	}
	if err := s.PutAccount(from, Account{}); err != nil {
		return rep, err
	}
	return rep, s.PutAccount(to, dst)
}

// Forfeit closes member account a for good, for a member who erased their
// data: its open holds are voided and its whole balance moves to sink in
// one step. The same key returns the original receipt (a zero Entry when
// there was nothing to forfeit).
func (l *Ledger) Forfeit(ctx context.Context, key string, a, sink AccountID, reason string) (Receipt, error) {
	switch {
	case key == "":
		return Receipt{}, ErrEmptyKey
	case !a.IsMember():
		return Receipt{}, fmt.Errorf("forfeit %q: %w", a, ErrUnknownAccount)
	}
	if err := sink.Validate(); err != nil {
		return Receipt{}, err
	}
	h := hashOf("forfeit", string(a), string(sink), reason)
	out, err := l.w.do(ctx, func(s *wtx) (any, error) {
		if id, ok, err := s.replay(key, KeyForfeit, h); err != nil || ok {
			if err != nil || id == 0 {
				return Receipt{Replay: ok}, err
			}
			return replayReceipt(s, id, err)
		}
		a, err := s.resolve(a)
		if err != nil {
			return nil, err
		}
		now := l.cfg.Now().UTC()
		acc, err := s.Account(a)
		if err != nil {
			return nil, err
		}
		var open []Hold
		if err := s.HoldsOf(a, func(hd Hold) error {
			open = append(open, hd)
			return nil
		}); err != nil {
			return nil, err
		}
		if err := s.voidHolds(open, now, &acc); err != nil {
			return nil, err
		}
		if err := s.PutAccount(a, acc); err != nil {
			return nil, err
		}
		if acc.Balance == 0 {
			return Receipt{}, s.PutKey(key, KeyRecord{Kind: KeyForfeit, Hash: h})
		}
		rc, err := l.post(s, Entry{Key: key, From: a, To: sink, Amount: acc.Balance, Reason: reason}, postOpts{})
		if err != nil {
			return nil, err
		}
		return rc, s.PutKey(key, KeyRecord{Kind: KeyForfeit, Hash: h, Ref: rc.Entry.ID})
	})
	return receiptOf(out, err)
}

// resolve returns the account a write to a lands on: a itself, or the
// member it was merged into.
func (s *wtx) resolve(a AccountID) (AccountID, error) { return resolve(s, a) }

func resolve(tx ReadTx, a AccountID) (AccountID, error) {
	if !a.IsMember() {
		return a, nil
	}
	for range 8 {
		to, ok, err := tx.MergedInto(a)
		if err != nil || !ok {
			return a, err
		}
		a = to
	}
	return a, nil
}

// redirects mirrors the store's merges in memory, so reads of a merged account
// (Balance, History) need no extra transaction to find the survivor. It is
// safe for concurrent use.
type redirects struct {
	mu sync.RWMutex
	m  map[AccountID]AccountID
}

func (r *redirects) load(tx ReadTx) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.m = map[AccountID]AccountID{}
	return tx.Merges(func(from, to AccountID) error {
		r.m[from] = to
		return nil
	})
}

func (r *redirects) add(from, to AccountID) {
	r.mu.Lock()
	r.m[from] = to
	r.mu.Unlock()
}

// resolve follows merges from a.
func (r *redirects) resolve(a AccountID) AccountID {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.resolveLocked(a)
}

func (r *redirects) resolveLocked(a AccountID) AccountID {
	for range 8 {
		to, ok := r.m[a]
		if !ok {
			return a
		}
		a = to
	}
	return a
}

// into returns a and every account merged into it, directly or not.
func (r *redirects) into(a AccountID) []AccountID {
	out := []AccountID{a}
	r.mu.RLock()
	defer r.mu.RUnlock()
	for from := range r.m {
		if r.resolveLocked(from) == a {
			out = append(out, from)
		}
	}
	return out
}
