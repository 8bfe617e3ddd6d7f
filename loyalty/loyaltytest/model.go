package loyaltytest

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/loyalty"
)

// model is a plain in-memory loyalty ledger: the specification the ledger
// on a Store is checked against, step by step.
type model struct {
	now     time.Time
	expiry  time.Duration
	bal     map[loyalty.AccountID]int64
	lots    map[loyalty.AccountID]map[int64]int64 // expiry unix → remaining
	keys    map[string]string                     // key → payload
	posts   map[string]*mPost                     // key of a reversible posting
	holds   map[uint64]*mHold
	holdKey map[string]uint64
	rewards map[string]*loyalty.Reward
	counts  map[string]int // member/reward → redemptions counted
	redeems map[string]*mRedeem
	byCode  map[string]*mRedeem
}

type mUse struct {
	exp int64
	n   int64
}

type mPost struct {
	from, to loyalty.AccountID
	amount   int64
	exp      int64
	uses     []mUse
	reversed bool
}

type mHold struct {
	account  loyalty.AccountID
	amount   int64
	expires  time.Time
	state    loyalty.HoldState
	lapsed   bool
	captured string
}

type mRedeem struct {
	code, reward string
	account      loyalty.AccountID
	post         *mPost
	state        loyalty.RedemptionState
}

func newModel(now time.Time, expiry time.Duration) *model {
	return &model{
		now: now, expiry: expiry,
		bal: map[loyalty.AccountID]int64{}, lots: map[loyalty.AccountID]map[int64]int64{},
		keys: map[string]string{}, posts: map[string]*mPost{}, holds: map[uint64]*mHold{},
		holdKey: map[string]uint64{}, rewards: map[string]*loyalty.Reward{}, counts: map[string]int{},
		redeems: map[string]*mRedeem{}, byCode: map[string]*mRedeem{},
	}
}

func (m *model) expFor(t time.Time) int64 {
	d := t.UTC().Add(m.expiry)
	return time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, time.UTC).Unix()
}

func (m *model) held(a loyalty.AccountID) int64 {
	var n int64
	for _, h := range m.holds {
		if h.account == a && h.state == loyalty.HoldOpen && m.now.Before(h.expires) {
			n += h.amount
		}
	}
	return n
}

// key checks an idempotency key: replay, conflict or new.
func (m *model) key(k, payload string) (replay bool, err error) {
	p, ok := m.keys[k]
	if !ok {
		return false, nil
	}
	if p != payload {
		return false, loyalty.ErrIdempotencyConflict
	}
	return true, nil
}

func (m *model) consume(a loyalty.AccountID, n int64, prefer int64) []mUse {
	var uses []mUse
	take := func(exp int64) {
		k := min(m.lots[a][exp], n)
		if k <= 0 {
			return
		}
		n -= k
		uses = append(uses, mUse{exp, k})
		if m.lots[a][exp] -= k; m.lots[a][exp] == 0 {
			delete(m.lots[a], exp)
		}
	}
	if prefer != 0 {
		take(prefer)
	}
	for _, exp := range slices.Sorted(maps.Keys(m.lots[a])) {
		take(exp)
	}
	return uses
}

func (m *model) addLot(a loyalty.AccountID, exp, n int64) {
	if m.lots[a] == nil {
		m.lots[a] = map[int64]int64{}
	}
	m.lots[a][exp] += n
}

// move applies a posting that has passed its checks.
func (m *model) move(from, to loyalty.AccountID, n int64, orig *mPost) *mPost {
	p := &mPost{from: from, to: to, amount: n}
	if from.IsMember() {
		var prefer int64
		if orig != nil && orig.to == from {
			prefer = orig.exp
		}
		p.uses = m.consume(from, n, prefer)
	}
	if to.IsMember() {
		if orig != nil && orig.from.IsMember() {
			for _, u := range orig.uses {
				m.addLot(to, u.exp, u.n)
			}
		} else {
			p.exp = m.expFor(m.now)
			m.addLot(to, p.exp, n)
		}
	}
	m.bal[from] -= n
	m.bal[to] += n
	return p
}

func (m *model) funds(a loyalty.AccountID, n, release int64) error {
	if a.IsMember() && m.bal[a]-m.held(a)+release < n {
		return loyalty.ErrInsufficientFunds
	}
	return nil
}

func (m *model) post(key string, from, to loyalty.AccountID, n int64) error {
	if replay, err := m.key(key, fmt.Sprint("post", from, to, n)); replay || err != nil {
		return err
	}
	if err := m.funds(from, n, 0); err != nil {
		return err
	}
	m.posts[key] = m.move(from, to, n, nil)
	m.keys[key] = fmt.Sprint("post", from, to, n)
	return nil
}

func (m *model) reverse(key, orig string) error {
	if replay, err := m.key(key, fmt.Sprint("reverse", orig)); replay || err != nil {
		return err
	}
	o, ok := m.posts[orig]
	switch {
	case !ok:
		return loyalty.ErrNotFound
	case o.reversed:
		return loyalty.ErrAlreadyReversed
	}
	if err := m.funds(o.to, o.amount, 0); err != nil {
		return err
	}
	m.move(o.to, o.from, o.amount, o)
	o.reversed = true
	m.keys[key] = fmt.Sprint("reverse", orig)
	return nil
}

func (m *model) hold(key string, a loyalty.AccountID, n int64, ttl time.Duration, id uint64) error {
	if replay, err := m.key(key, fmt.Sprint("hold", a, n, ttl)); replay || err != nil {
		return err
	}
	if err := m.funds(a, n, 0); err != nil {
		return err
	}
	m.holds[id] = &mHold{account: a, amount: n, expires: m.now.Add(ttl), state: loyalty.HoldOpen}
	m.holdKey[key] = id
	m.keys[key] = fmt.Sprint("hold", a, n, ttl)
	return nil
}

func (m *model) capture(key string, id uint64) error {
	if replay, err := m.key(key, fmt.Sprint("capture", id)); replay || err != nil {
		return err
	}
	h, ok := m.holds[id]
	switch {
	case !ok:
		return loyalty.ErrNotFound
	case h.state == loyalty.HoldCaptured, h.state == loyalty.HoldVoided && !h.lapsed:
		return loyalty.ErrHoldResolved
	case h.lapsed || !m.now.Before(h.expires):
		return loyalty.ErrHoldExpired
	}
	h.state = loyalty.HoldCaptured
	m.posts[key] = m.move(h.account, loyalty.RedemptionAccount, h.amount, nil)
	m.keys[key] = fmt.Sprint("capture", id)
	return nil
}

func (m *model) void(key string, id uint64) error {
	if replay, err := m.key(key, fmt.Sprint("void", id)); replay || err != nil {
		return err
	}
	h, ok := m.holds[id]
	switch {
	case !ok:
		return loyalty.ErrNotFound
	case h.state == loyalty.HoldCaptured, h.state == loyalty.HoldVoided && !h.lapsed:
		return loyalty.ErrHoldResolved
	case h.state == loyalty.HoldOpen:
		h.state, h.lapsed = loyalty.HoldVoided, !m.now.Before(h.expires)
	}
	m.keys[key] = fmt.Sprint("void", id)
	return nil
}

func (m *model) redeem(key string, a loyalty.AccountID, id string) (*mRedeem, error) {
	if replay, err := m.key(key, fmt.Sprint("redeem", a, id)); replay || err != nil {
		return nil, err
	}
	r, ok := m.rewards[id]
	ck := string(a) + "/" + id
	switch {
	case !ok:
		return nil, loyalty.ErrUnknownReward
	case !r.ActiveAt(m.now):
		return nil, loyalty.ErrRewardInactive
	case r.Stock == 0:
		return nil, loyalty.ErrOutOfStock
	case r.PerMember > 0 && m.counts[ck] >= r.PerMember:
		return nil, loyalty.ErrLimitReached
	}
	if err := m.funds(a, r.Cost, 0); err != nil {
		return nil, err
	}
	rd := &mRedeem{reward: id, account: a, state: loyalty.RedemptionPending}
	rd.post = m.move(a, loyalty.RedemptionAccount, r.Cost, nil)
	if r.Stock != loyalty.Unlimited {
		r.Stock--
	}
	m.counts[ck]++
	m.redeems[key] = rd
	m.keys[key] = fmt.Sprint("redeem", a, id)
	return rd, nil
}

func (m *model) cancel(rd *mRedeem) (replay bool, err error) {
	switch rd.state {
	case loyalty.RedemptionCancelled:
		return true, nil
	case loyalty.RedemptionFulfilled:
		return false, loyalty.ErrRedemptionClosed
	}
	m.move(loyalty.RedemptionAccount, rd.account, rd.post.amount, rd.post)
	if r := m.rewards[rd.reward]; r.Stock != loyalty.Unlimited {
		r.Stock++
	}
	m.counts[string(rd.account)+"/"+rd.reward]--
	rd.state = loyalty.RedemptionCancelled
	return false, nil
}

func (m *model) expire() {
	type due struct {
		exp int64
		a   loyalty.AccountID
	}
	var ds []due
	for a, ls := range m.lots {
		for exp := range ls {
			if exp <= m.now.Unix() {
				ds = append(ds, due{exp, a})
			}
		}
	}
	slices.SortFunc(ds, func(x, y due) int { return cmp.Or(cmp.Compare(x.exp, y.exp), cmp.Compare(x.a, y.a)) })
	for _, d := range ds {
		if n := min(m.lots[d.a][d.exp], m.bal[d.a]-m.held(d.a)); n > 0 {
			m.move(d.a, loyalty.ExpiryAccount, n, nil)
		}
	}
}

func (s suite) ledgerModel(t *testing.T) {
	seeds := s.b.ModelSeeds
	if len(seeds) == 0 {
		seeds = []uint64{1, 2, 3}
	}
	ops := s.b.ModelOps
	if ops <= 0 {
		ops = 2500
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint("seed_", seed), func(t *testing.T) { s.runModel(t, seed, ops) })
	}
}

func (s suite) runModel(t *testing.T, seed uint64, ops int) {
	t.Logf("seed %d (rerun the model test with this seed only: Backend.ModelSeeds)", seed)
	rng := rand.New(rand.NewPCG(seed, seed))
	clk := NewClock(t0)
	const expiry = 20 * 24 * time.Hour
	l := s.open(t, loyalty.Config{Now: clk.Now, Expiry: expiry})
	m := newModel(t0, expiry)
	rewards := []loyalty.Reward{
		{ID: "sample", Name: "Sample", Cost: 40, Stock: 6, PerMember: 2},
		{ID: "mug", Name: "Mug", Cost: 150, Stock: loyalty.Unlimited},
		{ID: "drop", Name: "Drop", Cost: 25, Stock: 3, Start: t0.Add(48 * time.Hour), End: t0.Add(400 * time.Hour)},
	}
	for _, r := range rewards {
		if err := l.PutReward(ctx, r); err != nil {
			t.Fatal(err)
		}
		m.rewards[r.ID] = &r
	}
	members := []loyalty.AccountID{loyalty.Member(1), loyalty.Member(2), loyalty.Member(3), loyalty.Member(4)}
	sources := []loyalty.AccountID{loyalty.Issuance("checkin"), loyalty.Issuance("ugc"), loyalty.AdjustmentAccount}
	var usedKeys, postKeys, codes []string
	var holdIDs []uint64
	nextKey := func() string {
		// Mostly fresh keys; sometimes an old one, to exercise replays and conflicts.
		if len(usedKeys) > 0 && rng.IntN(10) == 0 {
			return usedKeys[rng.IntN(len(usedKeys))]
		}
		k := fmt.Sprint("k", len(usedKeys))
		usedKeys = append(usedKeys, k)
		return k
	}
	member := func() loyalty.AccountID { return members[rng.IntN(len(members))] }
	check := func(step int, what string, got, want error) {
		t.Helper()
		if (want == nil) != (got == nil) || want != nil && !errors.Is(got, want) {
			t.Fatalf("step %d %s: ledger error %v, model error %v", step, what, got, want)
		}
	}

	for step := range ops {
		var what string
		switch op := rng.IntN(100); {
		case op < 30: // credit
			k, to, n := nextKey(), member(), rng.Int64N(60)+1
			from := sources[rng.IntN(len(sources))]
			what = fmt.Sprintf("credit %s %s→%s %d", k, from, to, n)
			_, err := l.Post(ctx, loyalty.Posting{Key: k, From: from, To: to, Amount: n})
			check(step, what, err, m.post(k, from, to, n))
			postKeys = append(postKeys, k)
		case op < 42: // debit
			k, from, n := nextKey(), member(), rng.Int64N(80)+1
			to := []loyalty.AccountID{loyalty.RedemptionAccount, loyalty.AdjustmentAccount}[rng.IntN(2)]
			what = fmt.Sprintf("debit %s %s %d", k, from, n)
			_, err := l.Post(ctx, loyalty.Posting{Key: k, From: from, To: to, Amount: n})
			check(step, what, err, m.post(k, from, to, n))
			postKeys = append(postKeys, k)
		case op < 50: // transfer
			k, from, to, n := nextKey(), member(), member(), rng.Int64N(50)+1
			if from == to {
				continue
			}
			what = fmt.Sprintf("transfer %s %s→%s %d", k, from, to, n)
			_, err := l.Post(ctx, loyalty.Posting{Key: k, From: from, To: to, Amount: n})
			check(step, what, err, m.post(k, from, to, n))
			postKeys = append(postKeys, k)
		case op < 58: // reverse
			if len(postKeys) == 0 {
				continue
			}
			k, orig := nextKey(), postKeys[rng.IntN(len(postKeys))]
			what = fmt.Sprintf("reverse %s of %s", k, orig)
			_, err := l.Reverse(ctx, k, orig, "")
			check(step, what, err, m.reverse(k, orig))
		case op < 66: // hold
			k, a, n := nextKey(), member(), rng.Int64N(60)+1
			ttl := time.Duration(rng.IntN(72)+1) * time.Hour
			what = fmt.Sprintf("hold %s %s %d %s", k, a, n, ttl)
			hd, err := l.Hold(ctx, k, a, n, ttl, "")
			check(step, what, err, m.hold(k, a, n, ttl, hd.ID))
			if err == nil && !hd.Replay {
				holdIDs = append(holdIDs, hd.ID)
			}
		case op < 74: // capture or void
			if len(holdIDs) == 0 {
				continue
			}
			k, id := nextKey(), holdIDs[rng.IntN(len(holdIDs))]
			if rng.IntN(2) == 0 {
				what = fmt.Sprintf("capture %s hold %d", k, id)
				_, err := l.Capture(ctx, k, id, loyalty.RedemptionAccount, "")
				check(step, what, err, m.capture(k, id))
				if err == nil {
					postKeys = append(postKeys, k)
				}
			} else {
				what = fmt.Sprintf("void %s hold %d", k, id)
				_, err := l.Void(ctx, k, id)
				check(step, what, err, m.void(k, id))
			}
		case op < 84: // redeem
			k, a, id := nextKey(), member(), rewards[rng.IntN(len(rewards))].ID
			what = fmt.Sprintf("redeem %s %s %s", k, a, id)
			rd, err := l.Redeem(ctx, k, a, id)
			mrd, merr := m.redeem(k, a, id)
			check(step, what, err, merr)
			if mrd != nil {
				mrd.code = rd.Code
				m.byCode[rd.Code] = mrd
				codes = append(codes, rd.Code)
			}
		case op < 90: // cancel or fulfil
			if len(codes) == 0 {
				continue
			}
			code := codes[rng.IntN(len(codes))]
			rd := m.byCode[code]
			if rng.IntN(3) == 0 {
				what = "fulfil " + code
				got, err := l.Fulfil(ctx, code, "")
				var want error
				if rd.state == loyalty.RedemptionCancelled {
					want = loyalty.ErrRedemptionClosed
				} else if err == nil && got.Replay != (rd.state == loyalty.RedemptionFulfilled) {
					t.Fatalf("step %d %s: replay %v, model state %s", step, what, got.Replay, rd.state)
				}
				check(step, what, err, want)
				if want == nil {
					rd.state = loyalty.RedemptionFulfilled
				}
			} else {
				what = "cancel " + code
				got, err := l.Cancel(ctx, code, "")
				replay, want := m.cancel(rd)
				check(step, what, err, want)
				if err == nil && got.Replay != replay {
					t.Fatalf("step %d %s: replay %v, want %v", step, what, got.Replay, replay)
				}
			}
		case op < 97: // time passes
			d := time.Duration(rng.IntN(60*60*30)) * time.Second
			clk.Advance(d)
			m.now = m.now.Add(d)
			what = "advance " + d.String()
		default: // expiry run, sometimes twice
			what = "expire"
			for range 1 + rng.IntN(2) {
				if _, err := l.ExpireDue(ctx, clk.Now()); err != nil {
					t.Fatal(err)
				}
			}
			m.expire()
		}
		holds := holdIDs[max(0, len(holdIDs)-3):] // the newest every step, all now and then
		if step%20 == 0 {
			holds = holdIDs
		}
		compareModel(t, step, what, l, m, members, holds)
		if step%250 == 0 {
			if err := l.Verify(ctx); err != nil {
				t.Fatalf("step %d %s: %v", step, what, err)
			}
		}
	}
	// Every key applied once: each key in the model maps to exactly one stored entry or object.
	for k, p := range m.posts {
		e, err := l.EntryByKey(ctx, k)
		if err != nil || e.Amount != p.amount || e.From != p.from || e.To != p.to {
			t.Errorf("key %s: entry %+v %v, model %+v", k, e, err, p)
		}
	}
}

func compareModel(t *testing.T, step int, what string, l *loyalty.Ledger, m *model, members []loyalty.AccountID, holdIDs []uint64) {
	t.Helper()
	for _, a := range append(members, loyalty.RedemptionAccount, loyalty.ExpiryAccount, loyalty.AdjustmentAccount) {
		b, err := l.Balance(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if b.Balance != m.bal[a] || a.IsMember() && b.Available != m.bal[a]-m.held(a) {
			t.Fatalf("step %d after %s: %s balance %d available %d, model %d / %d", step, what, a, b.Balance, b.Available, m.bal[a], m.bal[a]-m.held(a))
		}
		if !a.IsMember() {
			continue
		}
		lots, err := l.Lots(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		want := m.lots[a]
		if len(lots) != len(want) {
			t.Fatalf("step %d after %s: %s lots %v, model %v", step, what, a, lots, want)
		}
		for _, lot := range lots {
			if want[lot.Expires.Unix()] != lot.Remaining {
				t.Fatalf("step %d after %s: %s lot %s has %d, model %d", step, what, a, lot.Expires, lot.Remaining, want[lot.Expires.Unix()])
			}
		}
	}
	for _, id := range holdIDs {
		hd, err := l.HoldByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		mh := m.holds[id]
		wantState := mh.state
		if wantState == loyalty.HoldOpen && !m.now.Before(mh.expires) {
			wantState = loyalty.HoldVoided
		}
		if hd.State != wantState {
			t.Fatalf("step %d after %s: hold %d %s, model %s", step, what, id, hd.State, wantState)
		}
	}
	for id, r := range m.rewards {
		got, _ := l.Reward(ctx, id)
		if got.Stock != r.Stock {
			t.Fatalf("step %d after %s: %s stock %d, model %d", step, what, id, got.Stock, r.Stock)
		}
	}
}
