package bolt_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/loyalty"
	"github.com/loyalbot/loyalbot/loyalty/bolt/bolttest"
	"github.com/loyalbot/loyalbot/ugc"
	ugcbolt "github.com/loyalbot/loyalbot/ugc/bolt"
	"github.com/loyalbot/loyalbot/ugc/ugctest"
	bbolt "go.etcd.io/bbolt"
)

func TestConformance(t *testing.T) {
	ugctest.StoreSuite(t, func(t *testing.T) ugc.Store {
		return openStore(t, filepath.Join(t.TempDir(), "ugc.db"))
	})
}

// reopenable is a Store on a file that Reopen closes and opens again, as
// a restart does.
type reopenable struct {
	*ugcbolt.Store
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
	s, err := ugcbolt.Open(f.DB)
	if err != nil {
		t.Fatal(err)
	}
	return &reopenable{Store: s, File: f}
}

func (r *reopenable) Reopen(t *testing.T) ugc.Store {
	t.Helper()
	return storeOn(t, r.File.Reopen(t))
}

var _ ugctest.Reopener = (*reopenable)(nil)

// TestOpen_Again: opening a database a second time keeps what it holds.
func TestOpen_Again(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, filepath.Join(t.TempDir(), "ugc.db"))
	e := ugctest.NewEnv(t, st, nil)
	sub, err := e.UGC.Submit(ctx, "k", 1, "https://example.com/a", "hi")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ugcbolt.Open(st.DB); err != nil {
		t.Fatal(err)
	}
	e.Restart(t, e.Config)
	if got, err := e.UGC.Get(ctx, sub.ID); err != nil || got != sub {
		t.Errorf("after reopening: %+v %v, want %+v", got, err, sub)
	}
}

type noPay struct{}

func (noPay) Post(context.Context, loyalty.Posting) (loyalty.Receipt, error) {
	return loyalty.Receipt{}, nil
}

func (noPay) EntryByKey(context.Context, string) (loyalty.Entry, error) {
	return loyalty.Entry{}, loyalty.ErrNotFound
}

// BenchmarkSubmitDuplicateCheck submits already-stored content against a
// store of 1,000,000 submissions: the duplicate is found through the
// canonical-URL index, so the cost does not grow with the store.
func BenchmarkSubmitDuplicateCheck(b *testing.B) {
	const stored = 1_000_000
	db, err := bbolt.Open(filepath.Join(b.TempDir(), "ugc.db"), 0o600, &bbolt.Options{NoSync: true, NoFreelistSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	st, err := ugcbolt.Open(db)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	s := ugc.New(st, noPay{}, ugc.DefaultConfig(), time.Now, nil)
	for start := 0; start < stored; start += 100_000 {
		err := st.Update(ctx, func(tx ugc.Tx) error {
			for i := start; i < start+100_000; i++ {
				sub := ugc.Submission{ID: uint64(i + 1), Member: uint64(i%5000 + 1), Canonical: fmt.Sprintf("https://example.com/post/%d", i), Status: ugc.Approved}
				if err := tx.PutSubmission(sub); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; b.Loop(); i++ {
		url := fmt.Sprintf("https://www.example.com/post/%d?utm_source=x", (i*7919)%stored)
		_, err := s.Submit(ctx, fmt.Sprint("bench:", i), 42, url, "")
		var dup *ugc.DuplicateError
		if !errors.As(err, &dup) {
			b.Fatalf("want a duplicate, got %v", err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "submits/s")
}
