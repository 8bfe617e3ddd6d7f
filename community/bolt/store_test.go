package bolt_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/community"
	communitybolt "github.com/loyalbot/loyalbot/community/bolt"
	"github.com/loyalbot/loyalbot/community/communitytest"
	bbolt "go.etcd.io/bbolt"
)

func TestConformance(t *testing.T) {
	communitytest.StoreSuite(t, func(t *testing.T) community.Store {
		return openStore(t, filepath.Join(t.TempDir(), "community.db"))
	})
}

// reopenable is a Store on a file that Reopen closes and opens again, as
// a restart does.
type reopenable struct {
	*communitybolt.Store
	db   *bbolt.DB
	path string
}

// openStore opens a Store on the bbolt file at path, closed after bbolt's
// consistency check when the test ends (unless reopened before).
func openStore(t *testing.T, path string) *reopenable {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	s, err := communitybolt.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeDB(t, db) })
	return &reopenable{Store: s, db: db, path: path}
}

func closeDB(t *testing.T, db *bbolt.DB) {
	t.Helper()
	if db.Path() == "" { // closed already by Reopen
		return
	}
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
}

func (r *reopenable) Reopen(t *testing.T) community.Store {
	t.Helper()
	closeDB(t, r.db)
	return openStore(t, r.path)
}

var _ communitytest.Reopener = (*reopenable)(nil)

// TestOpen_Again: opening a database a second time keeps what it holds
// and migrates nothing.
func TestOpen_Again(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, filepath.Join(t.TempDir(), "community.db"))
	e := communitytest.NewEnv(t, st, nil)
	ann := e.Join(t, "ann")
	if _, err := communitybolt.Open(st.db); err != nil {
		t.Fatal(err)
	}
	e.Restart(t)
	if got, err := e.Members.Get(ctx, ann.ID); err != nil || got.Name != "ann" || !got.Joined.Equal(ann.Joined) {
		t.Errorf("after reopening: %+v %v, want %+v", got, err, ann)
	}
}
