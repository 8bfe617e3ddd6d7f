package loyaltytest

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/loyalty"
)

// boards are the leaderboard cases: periods, reversals, merges, the
// stored boards against a scan of what was earned, across restarts.
type boards struct{ suite }

func (s boards) ledgerLeaderboard(t *testing.T) {
	l, clk := s.ledger(t) // t0 is Tuesday 10 March 2026, noon UTC
	carol := loyalty.Member(3)
	mustCredit(t, l, alice, 500, "old") // last week
	clk.Advance(8 * 24 * time.Hour)     // Wednesday 18 March
	mustCredit(t, l, alice, 30, "a1")
	mustCredit(t, l, bob, 50, "b1")
	mustCredit(t, l, carol, 40, "c1")
	if _, err := l.Debit(ctx, bob, loyalty.RedemptionAccount, 45, "spend", ""); err != nil {
		t.Fatal(err) // spending does not lower earnings
	}
	if _, err := l.Post(ctx, loyalty.Posting{Key: "take", From: carol, To: loyalty.AdjustmentAccount, Amount: 15}); err != nil {
		t.Fatal(err) // a manager's deduction does
	}
	if _, err := l.Reverse(ctx, "rev-old", "old", "fraud"); err != nil {
		t.Fatal(err) // reversing last week's points changes last week, not this one
	}
	march := []loyalty.Standing{{Account: bob, Earned: 50}, {Account: alice, Earned: 30}, {Account: carol, Earned: 25}}
	check := func(t *testing.T, name string, p loyalty.Period, limit int, want []loyalty.Standing) {
		t.Helper()
		got, err := l.Leaderboard(ctx, p, limit)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: Leaderboard(%s, %d) = %v %v, want %v", name, p, limit, got, err, want)
		}
	}
	for _, update := range []bool{false, true} {
		name := "from the entries"
		if update {
			name = "from the stored board"
			if err := l.UpdateBoards(ctx); err != nil {
				t.Fatal(err)
			}
		}
		check(t, name, loyalty.ThisWeek, 10, march)
		check(t, name, loyalty.ThisMonth, 10, march)
		check(t, name, loyalty.AllTime, 10, march)
		check(t, name, loyalty.AllTime, 2, march[:2])
	}
	clk.Advance(7 * 24 * time.Hour) // the next week, still March
	check(t, "next week", loyalty.ThisWeek, 10, nil)
	check(t, "next week", loyalty.ThisMonth, 10, march)
	clk.Set(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC))
	mustCredit(t, l, carol, 5, "april")
	if err := l.UpdateBoards(ctx); err != nil { // drops March's and last week's boards
		t.Fatal(err)
	}
	check(t, "April", loyalty.ThisMonth, 10, []loyalty.Standing{{Account: carol, Earned: 5}})
	check(t, "April", loyalty.AllTime, 10, []loyalty.Standing{{Account: bob, Earned: 50}, {Account: alice, Earned: 30}, {Account: carol, Earned: 30}})
	if _, err := l.Leaderboard(ctx, "year", 10); err == nil {
		t.Error("an unknown period gave no error")
	}
}

// earning is one change to what a member earned, as the model sees it.
type earning struct {
	who    loyalty.AccountID
	points int64
	at     time.Time // when it counts: a reversal counts at its original's time
}

// ledgerLeaderboardModel runs random credits, deductions, spending,
// reversals, merges, board updates, restarts and clock moves in a zone
// with daylight saving, and after each step compares every period's
// leaderboard with one computed from a plain list of what was earned.
func (s boards) ledgerLeaderboardModel(t *testing.T) {
	zone, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(strconv.FormatUint(seed, 10), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 7))
			clk := NewClock(time.Date(2026, 2, 27, 20, 0, 0, 0, time.UTC)) // across March and the DST change
			store := s.store(t)
			cfg := loyalty.Config{Now: clk.Now, Zone: zone}
			l := OpenLedger(t, store, cfg)
			var earned []earning
			posted := map[string]earning{} // key → the earning it made
			var keys []string
			merged := map[loyalty.AccountID]loyalty.AccountID{}
			resolve := func(a loyalty.AccountID) loyalty.AccountID {
				for merged[a] != "" {
					a = merged[a]
				}
				return a
			}
			members := []loyalty.AccountID{loyalty.Member(1), loyalty.Member(2), loyalty.Member(3), loyalty.Member(4), loyalty.Member(5), loyalty.Member(6)}
			for step := range 400 {
				key := fmt.Sprintf("k%d", step)
				who := members[rng.IntN(len(members))]
				switch op := rng.IntN(20); {
				case op < 8:
					n := int64(1 + rng.IntN(50))
					rc, err := l.Credit(ctx, who, "checkin", n, key, "")
					if err != nil {
						t.Fatal(err)
					}
					posted[key] = earning{who: rc.Entry.To, points: n, at: clk.Now()}
					keys = append(keys, key)
					earned = append(earned, posted[key])
				case op < 10:
					b, _ := l.Balance(ctx, who)
					if b.Available == 0 {
						continue
					}
					n := 1 + rng.Int64N(b.Available)
					rc, err := l.Post(ctx, loyalty.Posting{Key: key, From: who, To: loyalty.AdjustmentAccount, Amount: n})
					if err != nil {
						t.Fatal(err)
					}
					posted[key] = earning{who: rc.Entry.From, points: -n, at: clk.Now()}
					keys = append(keys, key)
					earned = append(earned, posted[key])
				case op < 11:
					b, _ := l.Balance(ctx, who)
					if b.Available > 0 {
						if _, err := l.Debit(ctx, who, loyalty.RedemptionAccount, b.Available, key, ""); err != nil {
							t.Fatal(err)
						}
					}
				case op < 13 && len(keys) > 0:
					orig := keys[rng.IntN(len(keys))]
					if _, err := l.Reverse(ctx, "rev:"+orig, orig, ""); err != nil {
						continue // already reversed, or the points are spent
					}
					e := posted[orig]
					earned = append(earned, earning{who: e.who, points: -e.points, at: e.at})
					keys = slices.DeleteFunc(keys, func(k string) bool { return k == orig })
				case op < 14:
					to := members[rng.IntN(len(members))]
					if resolve(who) == resolve(to) {
						continue
					}
					if _, err := l.Merge(ctx, key, who, to); err != nil {
						t.Fatal(err)
					}
					merged[resolve(who)] = resolve(to)
				case op < 15:
					if err := l.UpdateBoards(ctx); err != nil {
						t.Fatal(err)
					}
				case op < 16:
					if err := l.Verify(ctx); err != nil {
						t.Fatal(err)
					}
					if err := l.Close(); err != nil {
						t.Fatal(err)
					}
					if l, err = loyalty.Open(store, cfg); err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { l.Close() })
				default:
					clk.Advance(time.Duration(rng.IntN(40)) * time.Hour)
				}
				for _, p := range []loyalty.Period{loyalty.AllTime, loyalty.ThisWeek, loyalty.ThisMonth} {
					want := modelBoard(earned, resolve, p, clk.Now(), zone)
					got, err := l.Leaderboard(ctx, p, 4)
					if err != nil || !slices.Equal(got, want) {
						t.Fatalf("step %d at %s: Leaderboard(%s) = %v %v, want %v", step, clk.Now().In(zone), p, got, err, want)
					}
				}
			}
			if err := l.Verify(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// modelBoard is the top four of what each member earned in period p at
// now, by the calendar in zone, folding merged accounts into survivors.
func modelBoard(earned []earning, resolve func(loyalty.AccountID) loyalty.AccountID, p loyalty.Period, now time.Time, zone *time.Location) []loyalty.Standing {
	start := func(t time.Time) time.Time {
		t = t.In(zone)
		switch p {
		case loyalty.ThisWeek:
			for t.Weekday() != time.Monday {
				t = t.AddDate(0, 0, -1)
			}
			return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, zone)
		case loyalty.ThisMonth:
			return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, zone)
		}
		return time.Time{}
	}
	totals := map[loyalty.AccountID]int64{}
	for _, e := range earned {
		if start(e.at).Equal(start(now)) {
			totals[resolve(e.who)] += e.points
		}
	}
	var out []loyalty.Standing
	for a, n := range totals {
		if n > 0 {
			out = append(out, loyalty.Standing{Account: a, Earned: n})
		}
	}
	slices.SortFunc(out, func(x, y loyalty.Standing) int {
		return cmp.Or(cmp.Compare(y.Earned, x.Earned), cmp.Compare(x.Account, y.Account))
	})
	return out[:min(len(out), 4)]
}

// ledgerLeaderboardConcurrent credits, merges and updates the boards from
// several goroutines at once; afterwards every board agrees with what each
// survivor earned.
func (s boards) ledgerLeaderboardConcurrent(t *testing.T) {
	l, _ := s.ledger(t)
	const members, writers, credits = 24, 4, 300
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range credits {
				a := loyalty.Member(uint64(1 + (w*7+i*5)%members))
				if _, err := l.Credit(ctx, a, "checkin", int64(1+i%9), fmt.Sprintf("w%d:%d", w, i), ""); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Go(func() { // fold member 2k into 2k-1, one pair at a time
		for k := uint64(1); k <= members/2; k++ {
			if _, err := l.Merge(ctx, fmt.Sprintf("m%d", k), loyalty.Member(2*k), loyalty.Member(2*k-1)); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Go(func() {
		for range 50 {
			if err := l.UpdateBoards(ctx); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
	for _, update := range []bool{false, true} {
		if update {
			if err := l.UpdateBoards(ctx); err != nil {
				t.Fatal(err)
			}
		}
		all, err := l.Leaderboard(ctx, loyalty.AllTime, 0)
		if err != nil {
			t.Fatal(err)
		}
		week, err := l.Leaderboard(ctx, loyalty.ThisWeek, 0)
		if err != nil || !slices.Equal(all, week) {
			t.Errorf("this week's board %v %v, all time %v: everything was earned this week", week, err, all)
		}
		var want []loyalty.Standing
		for k := uint64(1); k <= members; k += 2 {
			if b := balance(t, l, loyalty.Member(k)); b.Earned > 0 {
				want = append(want, loyalty.Standing{Account: loyalty.Member(k), Earned: b.Earned})
			}
		}
		slices.SortFunc(want, func(x, y loyalty.Standing) int {
			return cmp.Or(cmp.Compare(y.Earned, x.Earned), cmp.Compare(x.Account, y.Account))
		})
		if !slices.Equal(all, want) {
			t.Errorf("board %v, survivors earned %v", all, want)
		}
	}
}

// ledgerLeaderboardClockBehind: a ledger started with its clock behind
// (a server whose clock is not set yet) keeps the boards of the weeks and
// months it has not reached.
func (s boards) ledgerLeaderboardClockBehind(t *testing.T) {
	store := s.store(t)
	clk := NewClock(t0.AddDate(0, 1, 0))
	cfg := loyalty.Config{Now: clk.Now}
	l := OpenLedger(t, store, cfg)
	mustCredit(t, l, alice, 40, "ahead")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	clk.Set(t0) // a month behind
	l = OpenLedger(t, store, cfg)
	mustCredit(t, l, bob, 5, "behind")
	if err := l.UpdateBoards(ctx); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	clk.Set(t0.AddDate(0, 1, 0)) // right again
	l = OpenLedger(t, store, cfg)
	want := []loyalty.Standing{{Account: alice, Earned: 40}}
	for _, p := range []loyalty.Period{loyalty.ThisWeek, loyalty.ThisMonth} {
		if got, err := l.Leaderboard(ctx, p, 10); err != nil || !slices.Equal(got, want) {
			t.Errorf("Leaderboard(%s) = %v %v, want %v", p, got, err, want)
		}
	}
}

// ledgerLeaderboardClockPutRight: a clock that was ahead (and dropped the
// boards of the weeks it thought were past) and is put right, and a change
// of time zone, get boards built again from the entries.
func (s boards) ledgerLeaderboardClockPutRight(t *testing.T) {
	carol := loyalty.Member(3)
	store := s.store(t)
	clk := NewClock(t0)
	cfg := loyalty.Config{Now: clk.Now}
	l := OpenLedger(t, store, cfg)
	mustCredit(t, l, alice, 100, "now")
	clk.Set(t0.AddDate(0, 2, 0)) // two months ahead
	mustCredit(t, l, bob, 7, "ahead")
	if err := l.Close(); err != nil { // updates the boards: drops March's
		t.Fatal(err)
	}
	clk.Set(t0) // put right
	l = OpenLedger(t, store, cfg)
	check := func(name string, l *loyalty.Ledger, p loyalty.Period, want []loyalty.Standing) {
		t.Helper()
		if got, err := l.Leaderboard(ctx, p, 10); err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: Leaderboard(%s) = %v %v, want %v", name, p, got, err, want)
		}
	}
	check("clock put right", l, loyalty.ThisWeek, []loyalty.Standing{{Account: alice, Earned: 100}})
	check("clock put right", l, loyalty.ThisMonth, []loyalty.Standing{{Account: alice, Earned: 100}})
	check("clock put right", l, loyalty.AllTime, []loyalty.Standing{{Account: alice, Earned: 100}, {Account: bob, Earned: 7}})
	if err := l.Verify(ctx); err != nil {
		t.Error(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	// Sunday 20:00 UTC is Monday 04:00 in Shanghai: a new week there.
	clk.Set(time.Date(2026, 3, 15, 20, 0, 0, 0, time.UTC))
	l = OpenLedger(t, store, cfg)
	mustCredit(t, l, carol, 3, "sunday-utc")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	l = OpenLedger(t, store, loyalty.Config{Now: clk.Now, Zone: shanghai})
	check("zone changed", l, loyalty.ThisWeek, []loyalty.Standing{{Account: carol, Earned: 3}})
	check("zone changed", l, loyalty.ThisMonth, []loyalty.Standing{{Account: alice, Earned: 100}, {Account: carol, Earned: 3}})
}
