package ugc

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/loyalty"
	bolt "go.etcd.io/bbolt"
)

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
	db, err := bolt.Open(filepath.Join(b.TempDir(), "ugc.db"), 0o600, &bolt.Options{NoSync: true, NoFreelistSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	s, err := New(db, noPay{}, DefaultConfig(), time.Now, nil)
	if err != nil {
		b.Fatal(err)
	}
	for start := 0; start < stored; start += 100_000 {
		err := db.Update(func(tx *bolt.Tx) error {
			for i := start; i < start+100_000; i++ {
				sub := Submission{ID: uint64(i + 1), Member: uint64(i%5000 + 1), Canonical: fmt.Sprintf("https://example.com/post/%d", i), Status: Approved}
				if err := putSubmission(tx, sub); err != nil {
					return err
				}
				if err := tx.Bucket(bucketByURL).Put([]byte(sub.Canonical), u64(sub.ID)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; b.Loop(); i++ {
		url := fmt.Sprintf("https://www.example.com/post/%d?utm_source=x", (i*7919)%stored)
		_, err := s.Submit(ctx, fmt.Sprint("bench:", i), 42, url, "")
		var dup *DuplicateError
		if !errors.As(err, &dup) {
			b.Fatalf("want a duplicate, got %v", err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "submits/s")
}
