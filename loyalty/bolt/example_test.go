package bolt_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/loyalbot/loyalbot/loyalty"
	loyaltybolt "github.com/loyalbot/loyalbot/loyalty/bolt"
	bbolt "go.etcd.io/bbolt"
)

// A ledger on a bbolt file: open the database, the store on it, then the
// ledger on the store; close them in the opposite order.
func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "loyalty-example")
	defer os.RemoveAll(dir)
	db, _ := bbolt.Open(filepath.Join(dir, "loyalbot.db"), 0o600, nil)
	defer db.Close()
	store, _ := loyaltybolt.Open(db)
	l, _ := loyalty.Open(store, loyalty.Config{})
	defer l.Close()
	ctx := context.Background()

	alice := loyalty.Member(1)
	first, _ := l.Credit(ctx, alice, "checkin", 10, "checkin:1:2026-03-10", "daily check-in")
	again, _ := l.Credit(ctx, alice, "checkin", 10, "checkin:1:2026-03-10", "daily check-in") // a redelivered update
	_, err := l.Debit(ctx, alice, loyalty.RedemptionAccount, 25, "redeem:1:abc", "sticker")
	b, _ := l.Balance(ctx, alice)

	fmt.Println(first.Replay, again.Replay, b.Balance)
	fmt.Println(err)
	// Output:
	// false true 10
	// loyalty: member:1 has 10 points available, needs 25
}
