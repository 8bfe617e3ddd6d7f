package loyalty

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Period is the span a leaderboard counts earned points over.
type Period string

// Leaderboard periods. Weeks start on Monday and months on the 1st, at
// midnight in Config.Zone.
const (
	AllTime   Period = "all"
	ThisWeek  Period = "week"
	ThisMonth Period = "month"
)

var periods = []Period{AllTime, ThisWeek, ThisMonth}

// boardFlushEvery is how many entries may wait for the boards before a
// commit starts applying them, which bounds what a Leaderboard read adds
// up on the fly.
const boardFlushEvery = 100_000

// Boards are the ledger's leaderboards (see Leaderboard). Their methods
// are the Ledger's too.
type Boards struct{ *Ledger }

// Standing is one row of a leaderboard.
type Standing struct {
	Account AccountID
	Earned  int64
}

// The leaderboards are a projection of the entries, kept by the store as
// one board per period (all time, and every week and month from the
// previous one on) with a rank index, and a state: the id of the newest
// entry they include, their time zone and when they were updated. Commits
// do not write them: that would double the pages a credit writes. Instead
// the entries after that id are applied in one write, batched with other
// writes, when boardFlushEvery of them wait, when UpdateBoards runs (the
// scheduler's job), on Open and Close, and before a merge. A read adds the
// waiting entries on the fly, so it is always exact, and a crash loses
// nothing: the entries are the truth and the state says where the boards
// stand. Boards in another zone, or dropped by a clock that was ahead,
// are built again from every entry.

// boardName returns the board that counts, for period p, points earned at t.
func (l *Boards) boardName(p Period, t time.Time) string {
	t = t.In(l.cfg.Zone)
	switch p {
	case ThisWeek:
		monday := time.Date(t.Year(), t.Month(), t.Day()-(int(t.Weekday())+6)%7, 0, 0, 0, 0, l.cfg.Zone)
		return "week:" + monday.Format(time.DateOnly)
	case ThisMonth:
		return "month:" + t.Format("2006-01")
	}
	return string(AllTime)
}

// kept returns which boards are kept at now: all time, and every week
// and month from the previous one on (a reversal counts against its
// original's period, so last week's board is still corrected on Monday).
// Boards of later periods are kept too: a clock that is behind at start
// must not cost the boards it wrote while it was right.
func (l *Boards) kept(now time.Time) func(board string) bool {
	oldestWeek, oldestMonth := l.oldest(now)
	return func(b string) bool {
		switch {
		case b == string(AllTime):
			return true
		case strings.HasPrefix(b, "week:"):
			return b >= oldestWeek // names sort by date
		case strings.HasPrefix(b, "month:"):
			return b >= oldestMonth
		}
		return false
	}
}

// oldest returns the names of the oldest week and month boards kept at now.
func (l *Boards) oldest(now time.Time) (week, month string) {
	now = now.In(l.cfg.Zone)
	prevMonth := time.Date(now.Year(), now.Month(), 1, 12, 0, 0, 0, l.cfg.Zone).AddDate(0, -1, 0)
	return l.boardName(ThisWeek, now.AddDate(0, 0, -7)), l.boardName(ThisMonth, prevMonth)
}

// mustRebuild reports whether the stored boards cannot be brought up to
// date from where they stand and are built again from every entry: their
// weeks are in another time zone (points.timezone changed), or the clock
// is back before boards it dropped (it was ahead, and was put right).
func (l *Boards) mustRebuild(st BoardsState, now time.Time) bool {
	if st.Applied == 0 || st.Zone == "" {
		return false
	}
	if st.Zone != l.cfg.Zone.String() {
		return true
	}
	droppedWeek, droppedMonth := l.oldest(st.At)
	week, month := l.oldest(now)
	return week < droppedWeek || month < droppedMonth
}

// boardDeltas is what the entries after the boards' applied id add to each
// board kept: board → account → points.
type boardDeltas map[string]map[AccountID]int64

// pendingBoards reads the entries the boards do not include yet and
// returns what they add to the boards keep accepts, the applied id and the newest
// entry id. Points earned count on the boards of the time they were
// earned; a reversal counts against its original's time.
func (l *Boards) pendingBoards(tx ReadTx, keep func(string) bool) (d boardDeltas, applied, newest uint64, err error) {
	st, err := tx.BoardsState()
	if err != nil {
		return nil, 0, 0, err
	}
	applied = st.Applied
	if l.mustRebuild(st, l.cfg.Now()) {
		applied = 0 // the stored boards are rebuilt: read as if empty
	}
	d, newest, err = l.deltasAfter(tx, applied, keep, l.redirects.resolve)
	return d, applied, newest, err
}

// deltasAfter returns what the entries after entry id after add to the
// boards keep accepts, with accounts merged since resolved to their
// survivors by resolve, and the newest entry id (after when there is none).
func (l *Boards) deltasAfter(tx ReadTx, after uint64, keep func(string) bool, resolve func(AccountID) AccountID) (d boardDeltas, newest uint64, err error) {
	d, newest = boardDeltas{}, after
	err = stopped(tx.Entries(func(e Entry) error {
		if e.ID <= after {
			return errStop
		}
		newest = max(newest, e.ID)
		who, sign := earner(e.From, e.To)
		if sign == 0 {
			return nil
		}
		who = resolve(who)
		at := e.Time
		if e.Reverses != 0 {
			orig, err := getEntry(tx, e.Reverses)
			if err != nil {
				return err
			}
			at = orig.Time
		}
		for _, p := range periods {
			if b := l.boardName(p, at); keep(b) {
				if d[b] == nil {
					d[b] = map[AccountID]int64{}
				}
				d[b][who] += sign * e.Amount
			}
		}
		return nil
	}))
	return d, newest, err
}

// Leaderboard returns the top limit members (all when limit is 0) by
// points earned in period p, which for a week or a month is the current
// one at Config.Now. A reversal counts against the period of the entry it
// reverses. It reads the top of a stored board and the few entries not
// applied to it yet.
func (l *Boards) Leaderboard(ctx context.Context, p Period, limit int) ([]Standing, error) {
	if !slices.Contains(periods, p) {
		return nil, fmt.Errorf("leaderboard: unknown period %q", p)
	}
	now := l.cfg.Now()
	b := l.boardName(p, now)
	var out []Standing
	err := l.store.View(ctx, func(tx ReadTx) error {
		d, applied, _, err := l.pendingBoards(tx, func(name string) bool { return name == b })
		if err != nil {
			return err
		}
		out, err = topOf(storedBoards(tx, applied), b, d[b], limit)
		return err
	})
	return out, err
}

// withoutBoards is a ReadTx whose boards are empty.
type withoutBoards struct{ ReadTx }

func (withoutBoards) Board(string, func(AccountID, int64) error) error { return nil }
func (withoutBoards) BoardTotal(string, AccountID) (int64, error)      { return 0, nil }

// storedBoards returns tx, or tx without its boards when pendingBoards
// returned applied 0: every entry is pending, as the stored boards are
// empty or are about to be rebuilt.
func storedBoards(tx ReadTx, applied uint64) ReadTx {
	if applied == 0 {
		return withoutBoards{tx}
	}
	return tx
}

// topOf returns the top limit accounts of board b with delta added. An
// account the delta changes is ranked by its new total; of the others,
// those past the first limit on the stored board cannot make the top.
func topOf(tx ReadTx, b string, delta map[AccountID]int64, limit int) ([]Standing, error) {
	var out []Standing
	kept := 0
	err := stopped(tx.Board(b, func(a AccountID, total int64) error {
		if _, ok := delta[a]; ok {
			return nil
		}
		if limit > 0 && kept == limit {
			return errStop
		}
		kept++
		out = append(out, Standing{Account: a, Earned: total})
		return nil
	}))
	if err != nil {
		return nil, err
	}
	for a, n := range delta {
		total, err := tx.BoardTotal(b, a)
		if err != nil {
			return nil, err
		}
		if total+n > 0 {
			out = append(out, Standing{Account: a, Earned: total + n})
		}
	}
	slices.SortFunc(out, func(x, y Standing) int {
		return cmp.Or(cmp.Compare(y.Earned, x.Earned), cmp.Compare(x.Account, y.Account))
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// UpdateBoards applies the entries written since the last update to the
// stored leaderboards and drops the boards of past periods. It works the
// update out from a snapshot, outside the writer, so the writer only pays
// for the board writes, batched with other writes; if the boards moved in
// between (another update, or a merge, which applies what waits before it
// moves the merged account's totals), it works the update out again.
// Boards in another time zone, or dropped by a clock that was ahead, are
// built again from every entry. The scheduler runs it, and so does a
// commit after which boardFlushEvery entries wait; reads are exact
// without it.
func (l *Boards) UpdateBoards(ctx context.Context) error {
	for range 3 {
		var p boardPlan
		err := l.store.View(ctx, func(tx ReadTx) (err error) {
			p, err = l.planBoards(tx)
			return err
		})
		if err != nil {
			return fmt.Errorf("update leaderboards: %w", err)
		}
		if p.upTo == p.base && len(p.stale) == 0 && !p.rebuild {
			return nil
		}
		out, err := l.w.do(ctx, func(s *wtx) (any, error) {
			st, err := s.BoardsState()
			if err != nil || st.Applied != p.base {
				return false, err // another update or a merge came first
			}
			return true, l.writeBoards(s, p)
		})
		if err != nil {
			return fmt.Errorf("update leaderboards: %w", err)
		}
		if out.(bool) {
			l.boards.applied.Store(p.upTo)
			return nil
		}
	}
	_, err := l.w.do(ctx, func(s *wtx) (any, error) { return nil, l.applyBoards(s) })
	if err != nil {
		return fmt.Errorf("update leaderboards: %w", err)
	}
	return nil
}

// boardPlan is an update of the stored boards: the writes that bring them
// from entry base to entry upTo, by board and then account (key order,
// which bbolt writes fastest), and the boards of past periods to drop.
type boardPlan struct {
	base, upTo uint64 // the stored applied id, and the newest entry
	rebuild    bool   // drop every board and write them from all entries
	writes     []boardWrite
	stale      []string
}

type boardWrite struct {
	board   string
	account AccountID
	delta   int64
}

// planBoards works out the update of the boards from what tx holds.
func (l *Boards) planBoards(tx ReadTx) (boardPlan, error) {
	now := l.cfg.Now()
	keep := l.kept(now)
	st, err := tx.BoardsState()
	if err != nil {
		return boardPlan{}, err
	}
	p := boardPlan{base: st.Applied, rebuild: l.mustRebuild(st, now)}
	from := st.Applied
	if p.rebuild {
		from = 0
	}
	d, newest, err := l.deltasAfter(tx, from, keep, l.redirects.resolve)
	if err != nil {
		return boardPlan{}, err
	}
	p.upTo = max(newest, st.Applied)
	if err := tx.Boards(func(b string) error {
		if p.rebuild || !keep(b) {
			p.stale = append(p.stale, b)
		}
		return nil
	}); err != nil {
		return boardPlan{}, err
	}
	for _, b := range slices.Sorted(maps.Keys(d)) {
		for _, a := range slices.Sorted(maps.Keys(d[b])) {
			p.writes = append(p.writes, boardWrite{b, a, d[b][a]})
		}
	}
	return p, nil
}

// writeBoards writes plan p: the boards it drops first, then its totals,
// then the boards' state.
func (l *Boards) writeBoards(s *wtx, p boardPlan) error {
	for _, b := range p.stale {
		if err := s.DropBoard(b); err != nil {
			return err
		}
	}
	for _, w := range p.writes {
		if err := s.AddToBoard(w.board, w.account, w.delta); err != nil {
			return err
		}
	}
	if p.upTo == p.base && len(p.stale) == 0 && !p.rebuild {
		return nil
	}
	if p.rebuild {
		l.log.Info("leaderboards rebuilt from the entries", "zone", l.cfg.Zone.String(), "entries", p.upTo)
	}
	return s.SetBoardsState(BoardsState{Applied: p.upTo, Zone: l.cfg.Zone.String(), At: l.cfg.Now().UTC().Truncate(time.Second)})
}

// applyBoards brings the boards up to date inside s, which a merge does
// before it moves the merged account's totals.
func (l *Boards) applyBoards(s *wtx) error {
	p, err := l.planBoards(s)
	if err != nil {
		return err
	}
	return l.writeBoards(s, p)
}

// boardState is what the ledger knows in memory about its boards: the
// newest entry committed and the newest applied, to start an update once
// enough wait.
type boardState struct {
	newest, applied atomic.Uint64
	updating        atomic.Bool
	wg              sync.WaitGroup // the background update, which Close waits for
}

// committed notes the newest entry of a commit. It starts a board update
// in the background when boardFlushEvery entries wait; at most one runs.
func (l *Boards) committed(s *wtx) {
	newest := s.newest
	if newest <= l.boards.newest.Load() {
		return
	}
	l.boards.newest.Store(newest)
	if newest-l.boards.applied.Load() < boardFlushEvery || !l.boards.updating.CompareAndSwap(false, true) {
		return
	}
	l.boards.wg.Go(func() {
		defer l.boards.updating.Store(false)
		if err := l.UpdateBoards(context.Background()); err != nil && !errors.Is(err, ErrClosed) {
			l.log.Error("update leaderboards", "err", err)
		}
	})
}

// moveBoards moves every board total of member from to member to, inside a
// merge, after applying the waiting entries so none still names from.
func (l *Boards) moveBoards(s *wtx, from, to AccountID) error {
	if err := l.applyBoards(s); err != nil {
		return err
	}
	var names []string
	if err := s.Boards(func(b string) error { names = append(names, b); return nil }); err != nil {
		return err
	}
	for _, b := range names {
		n, err := s.BoardTotal(b, from)
		if err != nil {
			return err
		}
		if n == 0 {
			continue
		}
		if err := s.AddToBoard(b, from, -n); err != nil {
			return err
		}
		if err := s.AddToBoard(b, to, n); err != nil {
			return err
		}
	}
	return nil
}
