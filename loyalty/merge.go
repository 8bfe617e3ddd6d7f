package loyalty

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"sync"

	bolt "go.etcd.io/bbolt"
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
// open holds now reserve to's points, earned points (tier and all-time
// leaderboard) and per-member redemption counts add up, and from is
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
	out, err := l.w.do(ctx, func(s *store) (any, error) {
		if _, ok, err := s.replay(key, kindMerge, h); err != nil || ok {
			return MergeReport{Replay: ok}, err
		}
		from, to := s.resolve(from), s.resolve(to)
		if from == to {
			return nil, fmt.Errorf("merge %s: %w", from, ErrSameAccount)
		}
		rep, err := l.merge(s, key, from, to)
		if err != nil {
			return nil, err
		}
		if err := s.merged().Put([]byte(from), []byte(to)); err != nil {
			return nil, err
		}
		return rep, s.putKey(key, kindMerge, h, 0)
	})
	if err != nil {
		return MergeReport{}, err
	}
	rep := out.(MergeReport)
	if !rep.Replay {
		l.redirects.add(from, to)
		if rep.TierChange != nil && l.cfg.OnTierChange != nil {
			l.cfg.OnTierChange(ctx, *rep.TierChange)
		}
	}
	return rep, nil
}

func (l *Ledger) merge(s *store, key string, from, to AccountID) (MergeReport, error) {
	now := l.cfg.Now().UTC()
	src, dst := s.account(from), s.account(to)
	rep := MergeReport{Points: src.Balance, Held: src.Held}
	// Holds: re-key the open ones to the survivor.
	prefix := acctKey(from)
	var holdIDs []uint64
	c := s.holdIndex().Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		holdIDs = append(holdIDs, binary.BigEndian.Uint64(k[len(prefix):]))
	}
	for _, id := range holdIDs {
		hd, err := s.hold(id)
		if err != nil {
			return rep, err
		}
		hd.Account = to
		if err := s.putHold(hd); err != nil {
			return rep, err
		}
		if err := s.holdIndex().Delete(acctKey(from, u64(id))); err != nil {
			return rep, err
		}
		if err := s.holdIndex().Put(acctKey(to, u64(id)), nil); err != nil {
			return rep, err
		}
		rep.Holds++
	}
	// Lots: every parcel keeps its expiry date.
	var uses []lotUse
	c = s.lots().Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		uses = append(uses, lotUse{exp: binary.BigEndian.Uint64(k[len(prefix):]), amount: int64(binary.BigEndian.Uint64(v))})
	}
	for _, u := range uses {
		if err := s.setLot(from, u.exp, u.amount, 0); err != nil {
			return rep, err
		}
		if err := s.addLot(to, u.exp, u.amount); err != nil {
			return rep, err
		}
	}
	// Per-member redemption counts follow the person.
	type count struct {
		reward []byte
		n      uint64
	}
	var cs []count
	c = s.redeemCounts().Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		cs = append(cs, count{reward: append([]byte(nil), k[len(prefix):]...), n: getU64(v)})
	}
	for _, ct := range cs {
		if err := s.redeemCounts().Delete(acctKey(from, ct.reward)); err != nil {
			return rep, err
		}
		dk := acctKey(to, ct.reward)
		if err := s.redeemCounts().Put(dk, u64(getU64(s.redeemCounts().Get(dk))+ct.n)); err != nil {
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
	var err error
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
		id, err := s.entries().NextSequence()
		if err != nil {
			return rep, err
		}
		e := storedEntry{Entry: Entry{ID: id, Key: key, From: from, To: to, Amount: src.Balance, Reason: "accounts linked", Time: now},
			PrevFrom: src.Last, PrevTo: dst.Last}
		if err := s.putEntry(e); err != nil {
			return rep, err
		}
		if err := s.consumed().Put(u64(id), encodeUses(uses)); err != nil {
			return rep, err
		}
		src.Last, dst.Last = id, id
	}
	last := src.Last
	src = account{Last: last}
	if err := s.putAccount(from, src); err != nil {
		return rep, err
	}
	return rep, s.putAccount(to, dst)
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
	out, err := l.w.do(ctx, func(s *store) (any, error) {
		if id, ok, err := s.replay(key, kindForfeit, h); err != nil || ok {
			if err != nil || id == 0 {
				return Receipt{Replay: ok}, err
			}
			return s.replayReceipt(id, err)
		}
		a := s.resolve(a)
		now := l.cfg.Now().UTC()
		acc := s.account(a)
		var open []Hold
		prefix := acctKey(a)
		c := s.holdIndex().Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			hd, err := s.hold(binary.BigEndian.Uint64(k[len(prefix):]))
			if err != nil {
				return nil, err
			}
			open = append(open, hd)
		}
		if err := s.voidHolds(open, now, &acc); err != nil {
			return nil, err
		}
		if err := s.putAccount(a, acc); err != nil {
			return nil, err
		}
		if acc.Balance == 0 {
			return Receipt{}, s.putKey(key, kindForfeit, h, 0)
		}
		rc, err := l.post(s, Entry{Key: key, From: a, To: sink, Amount: acc.Balance, Reason: reason}, postOpts{})
		if err != nil {
			return nil, err
		}
		return rc, s.putKey(key, kindForfeit, h, rc.Entry.ID)
	})
	return receiptOf(out, err)
}

// resolve returns the account a write to a lands on: a itself, or the
// member it was merged into.
func (s *store) resolve(a AccountID) AccountID {
	if !a.IsMember() {
		return a
	}
	for range 8 {
		to := s.merged().Get([]byte(a))
		if to == nil {
			return a
		}
		a = AccountID(to)
	}
	return a
}

func (s *store) merged() *bolt.Bucket { return s.bucket(bMerged) }

// redirects mirrors loyalty.merged in memory, so reads of a merged account
// (Balance, History) need no extra transaction to find the survivor. It is
// safe for concurrent use.
type redirects struct {
	mu sync.RWMutex
	m  map[AccountID]AccountID
}

func (r *redirects) load(tx *bolt.Tx) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.m = map[AccountID]AccountID{}
	return tx.Bucket(bucketNames[bMerged]).ForEach(func(k, v []byte) error {
		r.m[AccountID(k)] = AccountID(v)
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
	for range 8 {
		to, ok := r.m[a]
		if !ok {
			return a
		}
		a = to
	}
	return a
}
