package bolt

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/loyalbot/loyalbot/loyalty"
	bbolt "go.etcd.io/bbolt"
)

// boardTx reads and writes the leaderboards. Each board is a bucket nested
// in bBoards holding, per account, its total ('t' account → int64) and,
// while the total is positive, a rank key ('r' ^total account → nil) so
// that the board reads highest first with one cursor. bBoards also keeps
// the boards' state: the newest entry they include, their zone and when
// they were last updated.
type boardTx struct{ *txn }

// The keys of the boards' state in bBoards (boards are nested buckets,
// named "all", "week:…" and "month:…", so these never clash).
var (
	boardsApplied = []byte("applied")
	boardsZone    = []byte("zone")
	boardsAt      = []byte("at")
)

const (
	boardTotal = 't'
	boardRank  = 'r'
)

func totalKey(a loyalty.AccountID) []byte { return append([]byte{boardTotal}, a...) }

func rankKey(a loyalty.AccountID, total int64) []byte {
	k := make([]byte, 9, 9+len(a))
	k[0] = boardRank
	binary.BigEndian.PutUint64(k[1:], ^uint64(total))
	return append(k, a...)
}

// board returns board b's bucket, nil when it was never written.
func (t *boardTx) board(b string) *bbolt.Bucket {
	return t.bucket(bBoards).Bucket([]byte(b))
}

func (t *boardTx) Board(b string, fn func(loyalty.AccountID, int64) error) error {
	bk := t.board(b)
	if bk == nil {
		return nil
	}
	c := bk.Cursor()
	for k, _ := c.Seek([]byte{boardRank}); len(k) >= 9 && k[0] == boardRank; k, _ = c.Next() {
		if err := fn(loyalty.AccountID(k[9:]), int64(^binary.BigEndian.Uint64(k[1:9]))); err != nil {
			return err
		}
	}
	return nil
}

func (t *boardTx) BoardTotal(b string, a loyalty.AccountID) (int64, error) {
	bk := t.board(b)
	if bk == nil {
		return 0, nil
	}
	return int64(getU64(bk.Get(totalKey(a)))), nil
}

func (t *boardTx) Boards(fn func(string) error) error {
	return t.bucket(bBoards).ForEachBucket(func(k []byte) error { return fn(string(k)) })
}

func (t *boardTx) BoardsState() (loyalty.BoardsState, error) {
	b := t.bucket(bBoards)
	st := loyalty.BoardsState{Applied: getU64(b.Get(boardsApplied)), Zone: string(b.Get(boardsZone))}
	if v := b.Get(boardsAt); len(v) == 8 {
		st.At = time.Unix(int64(getU64(v)), 0).UTC()
	}
	return st, nil
}

func (t *boardTx) AddToBoard(b string, a loyalty.AccountID, delta int64) error {
	if delta == 0 {
		return nil
	}
	bk, err := t.bucket(bBoards).CreateBucketIfNotExists([]byte(b))
	if err != nil {
		return fmt.Errorf("board %s: %w", b, err)
	}
	tk := totalKey(a)
	old := int64(getU64(bk.Get(tk)))
	n := old + delta
	if old > 0 {
		if err := bk.Delete(rankKey(a, old)); err != nil {
			return err
		}
	}
	if n == 0 {
		return bk.Delete(tk)
	}
	if n > 0 {
		if err := bk.Put(rankKey(a, n), nil); err != nil {
			return err
		}
	}
	return bk.Put(tk, u64(uint64(n)))
}

func (t *boardTx) DropBoard(b string) error {
	err := t.bucket(bBoards).DeleteBucket([]byte(b))
	if err == bbolt.ErrBucketNotFound {
		return nil
	}
	return err
}

func (t *boardTx) SetBoardsState(st loyalty.BoardsState) error {
	b := t.bucket(bBoards)
	if err := b.Put(boardsApplied, u64(st.Applied)); err != nil {
		return err
	}
	if err := b.Put(boardsZone, []byte(st.Zone)); err != nil {
		return err
	}
	return b.Put(boardsAt, u64(uint64(st.At.Unix())))
}

// checkBoards checks that every board's rank keys name exactly its
// accounts with a positive total, with that total.
func checkBoards(t *tx, bad func(string, ...any)) error {
	var names []string
	if err := t.Boards(func(b string) error { names = append(names, b); return nil }); err != nil {
		return err
	}
	for _, b := range names {
		bk := t.board(b)
		totals, ranks := map[string]int64{}, map[string]int64{}
		err := bk.ForEach(func(k, v []byte) error {
			switch {
			case len(k) >= 9 && k[0] == boardRank:
				ranks[string(k[9:])] = int64(^binary.BigEndian.Uint64(k[1:9]))
			case len(k) > 1 && k[0] == boardTotal && len(v) == 8:
				if n := int64(getU64(v)); n > 0 {
					totals[string(k[1:])] = n
				}
			default:
				bad("board %s: stray key %q", b, k)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for a, n := range totals {
			if r, ok := ranks[a]; !ok || r != n {
				bad("board %s: %s has %d points, ranked at %d (%v)", b, a, n, r, ok)
			}
		}
		for a, r := range ranks {
			if _, ok := totals[a]; !ok {
				bad("board %s: %s ranked at %d points without a positive total", b, a, r)
			}
		}
	}
	return nil
}
