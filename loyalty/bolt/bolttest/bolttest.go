// Package bolttest helps tests use the bbolt ledger store: temporary
// databases checked page by page when the test ends, a ledger on one, and
// the loyaltytest.Backend that runs the conformance suite on loyalty/bolt,
// and database files that every bbolt store's tests close and reopen.
package bolttest

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/loyalty"
	loyaltybolt "github.com/loyalbot/loyalbot/loyalty/bolt"
	"github.com/loyalbot/loyalbot/loyalty/loyaltytest"
	bbolt "go.etcd.io/bbolt"
)

// fastOptions skip fsync (NoSync) so that logic tests run fast.
func fastOptions() *bbolt.Options { return &bbolt.Options{Timeout: 5 * time.Second, NoSync: true} }

// durableOptions are cmd/loyalbot's: fsync on every commit.
func durableOptions() *bbolt.Options {
	return &bbolt.Options{Timeout: 5 * time.Second, NoFreelistSync: true, FreelistType: bbolt.FreelistMapType}
}

// OpenDB opens a bbolt database in tb.TempDir() and closes it, after a
// consistency check, when the test ends. It skips fsync (NoSync) so logic
// tests run fast; durability tests and benchmarks use OpenDurableDB.
func OpenDB(tb testing.TB) *bbolt.DB {
	tb.Helper()
	return openDB(tb, fastOptions())
}

// OpenDurableDB is OpenDB with fsync on every commit, as in production.
func OpenDurableDB(tb testing.TB) *bbolt.DB {
	tb.Helper()
	return openDB(tb, durableOptions())
}

func openDB(tb testing.TB, opts *bbolt.Options) *bbolt.DB {
	tb.Helper()
	db, err := bbolt.Open(filepath.Join(tb.TempDir(), "loyalbot.db"), 0o600, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		CheckDB(tb, db)
		if err := db.Close(); err != nil {
			tb.Error(err)
		}
	})
	return db
}

// CheckDB runs bbolt's page-level consistency check on db.
func CheckDB(tb testing.TB, db *bbolt.DB) {
	tb.Helper()
	if err := check(db); err != nil {
		tb.Error(err)
	}
}

func check(db *bbolt.DB) error {
	var errs []error
	err := db.View(func(tx *bbolt.Tx) error {
		for err := range tx.Check() {
			errs = append(errs, fmt.Errorf("bbolt check: %w", err))
		}
		return nil
	})
	return errors.Join(append(errs, err)...)
}

// OpenStore opens the ledger's store on db.
func OpenStore(tb testing.TB, db *bbolt.DB) *loyaltybolt.Store {
	tb.Helper()
	s, err := loyaltybolt.Open(db)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// OpenLedger opens a ledger on a fresh database (see OpenDB). When the test
// ends it fails the test if Verify finds a broken invariant, and closes the
// ledger and the database.
func OpenLedger(tb testing.TB, cfg loyalty.Config) *loyalty.Ledger {
	tb.Helper()
	return OpenLedgerOn(tb, OpenDB(tb), cfg)
}

// OpenLedgerOn opens a ledger on db, verified and closed when the test ends
// (before db is, when db came from OpenDB).
func OpenLedgerOn(tb testing.TB, db *bbolt.DB, cfg loyalty.Config) *loyalty.Ledger {
	tb.Helper()
	return loyaltytest.OpenLedger(tb, OpenStore(tb, db), cfg)
}

// Backend runs loyaltytest.StoreSuite and StoreBenchmarks on loyalty/bolt:
// a database file in the suite's directory, checked page by page when the
// suite closes it.
func Backend() loyaltytest.Backend {
	return loyaltytest.Backend{
		Open:        func(tb testing.TB, dir string) (loyalty.Store, func() error) { return open(tb, dir, fastOptions()) },
		OpenDurable: func(tb testing.TB, dir string) (loyalty.Store, func() error) { return open(tb, dir, durableOptions()) },
	}
}

func open(tb testing.TB, dir string, opts *bbolt.Options) (loyalty.Store, func() error) {
	tb.Helper()
	db, err := bbolt.Open(filepath.Join(dir, "loyalty.db"), 0o600, opts)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := loyaltybolt.Open(db)
	if err != nil {
		db.Close()
		tb.Fatal(err)
	}
	return s, func() error {
		return errors.Join(check(db), s.Check(context.Background()), db.Close())
	}
}

// File is a bbolt database file that a store's tests close and open
// again, as a restart does.
type File struct {
	DB   *bbolt.DB
	path string
}

// OpenFile opens the bbolt file at path without fsync. When tb ends it runs
// bbolt's consistency check and closes the file, unless Reopen closed it
// first.
func OpenFile(tb testing.TB, path string) *File {
	tb.Helper()
	db, err := bbolt.Open(path, 0o600, fastOptions())
	if err != nil {
		tb.Fatal(err)
	}
	f := &File{DB: db, path: path}
	tb.Cleanup(func() { f.close(tb) })
	return f
}

// Reopen checks and closes the file and opens it again.
func (f *File) Reopen(tb testing.TB) *File {
	tb.Helper()
	f.close(tb)
	return OpenFile(tb, f.path)
}

func (f *File) close(tb testing.TB) {
	tb.Helper()
	if f.DB.Path() == "" { // closed already by Reopen
		return
	}
	CheckDB(tb, f.DB)
	if err := f.DB.Close(); err != nil {
		tb.Error(err)
	}
}
