package bolt

import (
	"context"
	"encoding/json"
	"maps"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/community/support"
	"github.com/loyalbot/loyalbot/community/support/supporttest"
	bbolt "go.etcd.io/bbolt"
)

func TestConformance(t *testing.T) {
	supporttest.StoreSuite(t, func(t *testing.T) support.TicketStore { return openStore(t, openDB(t)) })
	supporttest.VectorSuite(t, func(t *testing.T) support.VectorStore { return openStore(t, openDB(t)) })
}

// openDB opens a bbolt file in t.TempDir(), closed after bbolt's
// consistency check when the test ends.
func openDB(t *testing.T) *bbolt.DB {
	t.Helper()
	db, err := bbolt.Open(filepath.Join(t.TempDir(), "support.db"), 0o600, &bbolt.Options{Timeout: time.Second, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.View(func(tx *bbolt.Tx) error {
			for err := range tx.Check() {
				t.Errorf("bbolt check: %v", err)
			}
			return nil
		}); err != nil {
			t.Error(err)
		}
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	return db
}

// openStore opens a Store on db whose indexes are checked against the
// tickets when the test ends (before db closes).
func openStore(t *testing.T, db *bbolt.DB) *Store {
	t.Helper()
	s, err := Open(db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { checkIndexes(t, db) })
	return s
}

// checkIndexes fails t unless both indexes hold exactly what the tickets say.
func checkIndexes(t *testing.T, db *bbolt.DB) {
	t.Helper()
	got, want := indexKeys(t, db)
	for name := range want {
		if !slices.Equal(got[name], want[name]) {
			t.Errorf("index %s holds %x, want %x", name, got[name], want[name])
		}
	}
}

// indexKeys returns the keys of each index bucket, and the keys the
// tickets call for.
func indexKeys(t *testing.T, db *bbolt.DB) (got, want map[string][]string) {
	t.Helper()
	got, want = map[string][]string{}, map[string][]string{}
	err := db.View(func(tx *bbolt.Tx) error {
		for _, name := range [][]byte{bucketByMember, bucketOpen} {
			if err := tx.Bucket(name).ForEach(func(k, _ []byte) error {
				got[string(name)] = append(got[string(name)], string(k))
				return nil
			}); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketTickets).ForEach(func(k, v []byte) error {
			tk, err := decode(k, v)
			if err != nil {
				return err
			}
			want[string(bucketByMember)] = append(want[string(bucketByMember)], string(pair(tk.Member, tk.ID)))
			if tk.Open {
				want[string(bucketOpen)] = append(want[string(bucketOpen)], string(u64(tk.ID)))
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(want[string(bucketByMember)])
	return got, want
}

// TestOpen_BuildsIndexes: a database written before the indexes existed
// has only support.tickets. Opening it builds them, the tickets read as
// they did, and opening again changes nothing.
func TestOpen_BuildsIndexes(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	old := []support.Ticket{
		{ID: 1, Member: 7, Name: "bob", Platform: "telegram", UserID: "70", Open: false, Created: at, Updated: at},
		{ID: 2, Member: 8, Name: "eve", Platform: "discord", UserID: "80", Open: true, Created: at, Updated: at},
		{ID: 3, Member: 7, Name: "bob", Platform: "telegram", UserID: "70", Open: true, Created: at, Updated: at,
			Turns: []support.Turn{{From: "member", Text: "where is my tea?", At: at}}},
		{ID: 4, Member: 7, Name: "bob", Platform: "discord", UserID: "71", Open: true, Created: at, Updated: at}, // merged from another account
	}
	err := db.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucket(bucketTickets)
		if err != nil {
			return err
		}
		for _, tk := range old {
			v, err := json.Marshal(tk)
			if err != nil {
				return err
			}
			if err := b.Put(u64(tk.ID), v); err != nil {
				return err
			}
		}
		return b.SetSequence(4)
	})
	if err != nil {
		t.Fatal(err)
	}

	tks := support.NewTickets(openStore(t, db), func() time.Time { return at.Add(time.Hour) })
	of, err := tks.Of(ctx, 7)
	if err != nil || len(of) != 3 || of[0].ID != 1 || of[1].ID != 3 || of[2].ID != 4 || of[1].Turns[0].Text != "where is my tea?" {
		t.Fatalf("bob's tickets = %+v, %v", of, err)
	}
	if tk, ok, err := tks.OpenFor(ctx, 7); !ok || err != nil || tk.ID != 4 {
		t.Errorf("bob's open ticket = #%d %v %v, want the newest, #4", tk.ID, ok, err)
	}
	if open, err := tks.List(ctx, true, 20); err != nil || len(open) != 3 || open[0].ID != 2 {
		t.Errorf("open tickets = %+v %v", open, err)
	}
	got, isNew, err := tks.Open(ctx, support.Ticket{Member: 9, Name: "dan"})
	if err != nil || !isNew || got.ID != 5 {
		t.Errorf("a new ticket = #%d new %v %v, want #5 after the old sequence", got.ID, isNew, err)
	}

	before, _ := indexKeys(t, db)
	if _, err := Open(db); err != nil {
		t.Fatal(err)
	}
	after, _ := indexKeys(t, db)
	if !maps.EqualFunc(before, after, slices.Equal) {
		t.Errorf("opening again changed the indexes: %x, then %x", before, after)
	}
}

// TestOpen_BadTicket: a ticket that does not decode stops the index build,
// and the database is left as it was.
func TestOpen_BadTicket(t *testing.T) {
	db := openDB(t)
	err := db.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucket(bucketTickets)
		if err != nil {
			return err
		}
		return b.Put(u64(1), []byte("{not json"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(db); err == nil {
		t.Fatal("open with an undecodable ticket succeeded")
	}
	err = db.View(func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketByMember) != nil || tx.Bucket(bucketOpen) != nil {
			t.Error("a failed open left index buckets")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
