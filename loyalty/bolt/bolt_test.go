package bolt_test

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/loyalty"
	loyaltybolt "github.com/loyalbot/loyalbot/loyalty/bolt"
	"github.com/loyalbot/loyalbot/loyalty/bolt/bolttest"
	"github.com/loyalbot/loyalbot/loyalty/loyaltytest"
	bbolt "go.etcd.io/bbolt"
)

var (
	modelSeed = flag.Uint64("model.seed", 0, "run the model test with this seed only")
	modelOps  = flag.Int("model.ops", 2500, "operations per model test seed")
)

var ctx = context.Background()

func backend() loyaltytest.Backend {
	b := bolttest.Backend()
	if *modelSeed != 0 {
		b.ModelSeeds = []uint64{*modelSeed}
	}
	b.ModelOps = *modelOps
	return b
}

// TestConformance runs the ledger's conformance suite on bbolt (rerun one
// model seed with -run TestConformance/Ledger_Model -model.seed=N).
func TestConformance(t *testing.T) { loyaltytest.StoreSuite(t, backend()) }

// BenchmarkLedger runs the ledger's benchmarks on durable bbolt files.
func BenchmarkLedger(b *testing.B) { loyaltytest.StoreBenchmarks(b, backend()) }

func TestStore_Backup(t *testing.T) {
	l := bolttest.OpenLedger(t, loyalty.Config{})
	alice := loyalty.Member(1)
	if _, err := l.Credit(ctx, alice, "checkin", 42, "b1", ""); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "backup.db")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := l.Backup(ctx, f)
	if err != nil || n == 0 {
		t.Fatalf("backup = %d, %v", n, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	copy := bolttest.OpenLedgerOn(t, db, loyalty.Config{})
	if b, err := copy.Balance(ctx, alice); err != nil || b.Balance != 42 {
		t.Errorf("backup balance %+v %v", b, err)
	}
	var buf bytes.Buffer
	if _, err := l.Backup(ctx, &buf); err != nil || buf.Len() != int(n) {
		t.Errorf("Backup to writer: %d bytes, %v", buf.Len(), err)
	}
}

// TestLedger_Backup_Unsupported: a store that cannot copy itself says so.
func TestLedger_Backup_Unsupported(t *testing.T) {
	db := bolttest.OpenDB(t)
	l := loyaltytest.OpenLedger(t, noBackup{bolttest.OpenStore(t, db)}, loyalty.Config{})
	if _, err := l.Backup(ctx, &bytes.Buffer{}); !errors.Is(err, loyalty.ErrNoBackup) {
		t.Errorf("Backup = %v, want ErrNoBackup", err)
	}
}

// noBackup hides the store's Backup method.
type noBackup struct{ s *loyaltybolt.Store }

func (n noBackup) Update(ctx context.Context, fn func(loyalty.Tx) error) error {
	return n.s.Update(ctx, fn)
}

func (n noBackup) View(ctx context.Context, fn func(loyalty.ReadTx) error) error {
	return n.s.View(ctx, fn)
}

// TestOpen_IndexesOldRedemptions opens a database whose redemptions were
// written before the index by account existed: Open builds it once.
func TestOpen_IndexesOldRedemptions(t *testing.T) {
	db := bolttest.OpenDB(t)
	l := bolttest.OpenLedgerOn(t, db, loyalty.Config{})
	alice, bob := loyalty.Member(1), loyalty.Member(2)
	if err := l.PutReward(ctx, loyalty.Reward{ID: "pin", Name: "Pin", Cost: 10, Stock: loyalty.Unlimited}); err != nil {
		t.Fatal(err)
	}
	for i, a := range []loyalty.AccountID{alice, bob, alice} {
		if _, err := l.Credit(ctx, a, "checkin", 10, "c"+string(rune('0'+i)), ""); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Redeem(ctx, "r"+string(rune('0'+i)), a, "pin"); err != nil {
			t.Fatal(err)
		}
	}
	// As a release before the index left it.
	if err := db.Update(func(tx *bbolt.Tx) error { return tx.DeleteBucket([]byte("loyalty.redemptions_by_account")) }); err != nil {
		t.Fatal(err)
	}
	s := bolttest.OpenStore(t, db)
	if err := s.Check(ctx); err != nil {
		t.Fatal(err)
	}
	l2 := loyaltytest.OpenLedger(t, s, loyalty.Config{})
	if rds, err := l2.Redemptions(ctx, alice, false, 10); err != nil || len(rds) != 2 || rds[0].ID <= rds[1].ID {
		t.Errorf("alice's redemptions from the rebuilt index: %+v %v", rds, err)
	}
}

// TestStore_Check finds an index out of step with its records.
func TestStore_Check(t *testing.T) {
	db := bolttest.OpenDB(t)
	s := bolttest.OpenStore(t, db)
	l := loyaltytest.OpenLedger(t, s, loyalty.Config{Now: func() time.Time { return time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC) }})
	if _, err := l.Credit(ctx, loyalty.Member(1), "checkin", 10, "c", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Hold(ctx, "h", loyalty.Member(1), 5, time.Hour, ""); err != nil {
		t.Fatal(err)
	}
	if err := s.Check(ctx); err != nil {
		t.Fatalf("a sound store: %v", err)
	}
	for _, bucket := range []string{"loyalty.lot_expiry", "loyalty.holds_by_account"} {
		err := db.Update(func(tx *bbolt.Tx) error {
			b := tx.Bucket([]byte(bucket))
			k, _ := b.Cursor().First()
			return b.Delete(k)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	err := s.Check(ctx)
	if !errors.Is(err, loyaltybolt.ErrCorrupt) {
		t.Fatalf("Check = %v, want ErrCorrupt", err)
	}
	t.Log(err)
	// Put them back, for the checks at cleanup.
	err = db.Update(func(tx *bbolt.Tx) error {
		exp := time.Date(2027, 3, 11, 0, 0, 0, 0, time.UTC).Unix()
		k := append(binaryU64(uint64(exp)), "member:1"...)
		if err := tx.Bucket([]byte("loyalty.lot_expiry")).Put(k, nil); err != nil {
			return err
		}
		return tx.Bucket([]byte("loyalty.holds_by_account")).Put(append([]byte("member:1\x00"), binaryU64(1)...), nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check(ctx); err != nil {
		t.Fatalf("repaired: %v", err)
	}
}

func binaryU64(v uint64) []byte {
	b := make([]byte, 8)
	for i := range 8 {
		b[7-i] = byte(v >> (8 * i))
	}
	return b
}

// countingStore counts the transactions the ledger asks for.
type countingStore struct {
	*loyaltybolt.Store
	updates atomic.Int64
}

func (c *countingStore) Update(ctx context.Context, fn func(loyalty.Tx) error) error {
	c.updates.Add(1)
	return c.Store.Update(ctx, fn)
}

// TestLedger_GroupCommit: concurrent writes share Store.Update calls, so
// many writes pay for one fsync.
func TestLedger_GroupCommit(t *testing.T) {
	s := &countingStore{Store: bolttest.OpenStore(t, bolttest.OpenDurableDB(t))}
	l := loyaltytest.OpenLedger(t, s, loyalty.Config{})
	const writers, each = 64, 20
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if _, err := l.Credit(ctx, loyalty.Member(uint64(w+1)), "checkin", 1, fmt.Sprint(w, "/", i), ""); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	n := s.updates.Load()
	t.Logf("%d credits in %d transactions", writers*each, n)
	if n >= writers*each/4 {
		t.Errorf("%d credits took %d transactions: no group commit", writers*each, n)
	}
}
