package bolt_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/loyalbot/loyalbot/community"
	communitybolt "github.com/loyalbot/loyalbot/community/bolt"
	"github.com/loyalbot/loyalbot/community/communitytest"
	"github.com/loyalbot/loyalbot/loyalty/bolt/bolttest"
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
	*bolttest.File
}

// openStore opens a Store on the bbolt file at path, closed after bbolt's
// consistency check when the test ends (unless reopened before).
func openStore(t *testing.T, path string) *reopenable {
	t.Helper()
	return storeOn(t, bolttest.OpenFile(t, path))
}

func storeOn(t *testing.T, f *bolttest.File) *reopenable {
	t.Helper()
	s, err := communitybolt.Open(f.DB)
	if err != nil {
		t.Fatal(err)
	}
	return &reopenable{Store: s, File: f}
}

func (r *reopenable) Reopen(t *testing.T) community.Store {
	t.Helper()
	return storeOn(t, r.File.Reopen(t))
}

var _ communitytest.Reopener = (*reopenable)(nil)

// TestOpen_Again: opening a database a second time keeps what it holds
// and migrates nothing.
func TestOpen_Again(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, filepath.Join(t.TempDir(), "community.db"))
	e := communitytest.NewEnv(t, st, nil)
	ann := e.Join(t, "ann")
	if _, err := communitybolt.Open(st.DB); err != nil {
		t.Fatal(err)
	}
	e.Restart(t)
	if got, err := e.Members.Get(ctx, ann.ID); err != nil || got.Name != "ann" || !got.Joined.Equal(ann.Joined) {
		t.Errorf("after reopening: %+v %v, want %+v", got, err, ann)
	}
}
