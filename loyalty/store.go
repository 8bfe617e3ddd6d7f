package loyalty

import (
	"context"
	"errors"
	"io"
	"time"
)

// Store is where the ledger keeps its data. loyalty/bolt implements it on
// bbolt; any implementation must pass loyaltytest.StoreSuite.
//
// A Store stores, indexes and iterates; it checks no rule. The rules
// (double entry, idempotency, lots, holds, tiers, stock) live in package
// loyalty and reach the data only through Tx, so every implementation
// shares them.
//
// A Ledger must be the only writer of its Store: it keeps committed account
// records in memory, and its group-commit writer is the one goroutine that
// calls Update.
type Store interface {
	// Update runs fn in one read-write transaction: all of fn's writes
	// happen, or none (fn's error rolls back and is returned). fn is called
	// once. Update returns after the transaction is durable. It returns
	// ctx.Err() without starting a transaction when ctx is done.
	Update(ctx context.Context, fn func(tx Tx) error) error
	// View runs fn in a read-only, consistent snapshot. It returns ctx.Err()
	// without starting a transaction when ctx is done.
	View(ctx context.Context, fn func(tx ReadTx) error) error
}

// ReadTx reads the ledger's data inside a transaction. Reads see the
// transaction's own writes.
//
// Methods that iterate call fn once per record, in the order they name, and
// stop at the first error fn returns, which they return. fn may read
// through the transaction but must not write through it.
type ReadTx interface {
	// Account returns the record of account a: the zero Account when a
	// never moved.
	Account(a AccountID) (Account, error)
	// Accounts calls fn for every stored account, in no particular order.
	Accounts(fn func(AccountID, Account) error) error

	// Entry returns entry id, with ok false when there is none.
	Entry(id uint64) (e Entry, ok bool, err error)
	// EntriesOf calls fn for account a's entries (those with a as From or
	// To), newest first. before is 0 to start from a's newest entry, or one
	// of a's entries to start from the entry before it; an unknown before
	// returns an error wrapping ErrNotFound.
	EntriesOf(a AccountID, before uint64, fn func(Entry) error) error
	// Entries calls fn for every entry, newest first.
	Entries(fn func(Entry) error) error
	// Reversal returns the id of the entry that reversed entry id, with ok
	// false when none did.
	Reversal(id uint64) (rev uint64, ok bool, err error)
	// LotUses returns how debit entry id took points from its member's
	// lots (nil when it took none).
	LotUses(id uint64) ([]LotUse, error)

	// Key returns what idempotency key k was used for, with ok false when
	// it never was.
	Key(k string) (r KeyRecord, ok bool, err error)
	// Keys calls fn for every idempotency key, in no particular order.
	Keys(fn func(k string, r KeyRecord) error) error

	// Lot returns the points left in member a's lot that expires at
	// expires (the zero time: never), 0 when there is no such lot.
	Lot(a AccountID, expires time.Time) (int64, error)
	// LotsOf calls fn for member a's lots, earliest expiry first and the
	// lot that never expires last.
	LotsOf(a AccountID, fn func(Lot) error) error
	// LotsDue calls fn for every lot that expires at or before until (in
	// whole seconds), ordered by expiry time, then account, beginning after
	// after (the zero DueLot: from the first).
	LotsDue(until time.Time, after DueLot, fn func(DueLot) error) error
	// Lots calls fn for every lot of every member, in no particular order.
	Lots(fn func(AccountID, Lot) error) error

	// Hold returns hold id, with ok false when there is none.
	Hold(id uint64) (h Hold, ok bool, err error)
	// HoldsOf calls fn for member a's holds in state HoldOpen, TTL passed
	// or not, oldest first.
	HoldsOf(a AccountID, fn func(Hold) error) error
	// HoldsDue calls fn for every hold in state HoldOpen whose Expires is at
	// or before until, in whole seconds, earliest first.
	HoldsDue(until time.Time, fn func(Hold) error) error
	// Holds calls fn for every hold, in no particular order.
	Holds(fn func(Hold) error) error

	// Reward returns reward id, with ok false when there is none.
	Reward(id string) (r Reward, ok bool, err error)
	// Rewards calls fn for every reward, in no particular order.
	Rewards(fn func(Reward) error) error
	// Redemption returns redemption id, with ok false when there is none.
	Redemption(id uint64) (rd Redemption, ok bool, err error)
	// RedemptionByCode returns the redemption with code (as stored, see
	// NormalizeCode), with ok false when there is none.
	RedemptionByCode(code string) (rd Redemption, ok bool, err error)
	// Redemptions calls fn for every redemption, newest first.
	Redemptions(fn func(Redemption) error) error
	// PendingRedemptions calls fn for every redemption in state
	// RedemptionPending, newest first.
	PendingRedemptions(fn func(Redemption) error) error
	// RedemptionsOf calls fn for the redemptions whose Account is a,
	// newest first.
	RedemptionsOf(a AccountID, fn func(Redemption) error) error
	// RedeemCount returns how many redemptions of reward count towards
	// member a's per-member limit.
	RedeemCount(a AccountID, reward string) (int64, error)
	// RedeemCountsOf calls fn for member a's non-zero redemption counts,
	// in no particular order.
	RedeemCountsOf(a AccountID, fn func(reward string, n int64) error) error

	// MergedInto returns the account member a was merged into, with ok
	// false when a was not merged.
	MergedInto(a AccountID) (to AccountID, ok bool, err error)
	// Merges calls fn for every merge, in no particular order.
	Merges(fn func(from, to AccountID) error) error

	// Board calls fn for every account whose total on board b is
	// positive, highest total first, then by account id; nothing when
	// there is no board b.
	Board(b string, fn func(a AccountID, total int64) error) error
	// BoardTotal returns account a's total on board b, 0 when it has none.
	BoardTotal(b string, a AccountID) (int64, error)
	// Boards calls fn with the name of every board, in no particular order.
	Boards(fn func(b string) error) error
	// BoardsState returns what the boards were last brought up to (the
	// zero BoardsState before the first update).
	BoardsState() (BoardsState, error)
}

// Tx reads and writes the ledger's data inside a read-write transaction.
// Puts replace the record with the same id; the store keeps its indexes
// (history, lot expiry, open holds, codes, pending redemptions) in step
// with the records in the same transaction.
type Tx interface {
	ReadTx

	// PutAccount stores the record of account a.
	PutAccount(a AccountID, acc Account) error
	// NextEntryID returns a new entry id, greater than every id it returned
	// before.
	NextEntryID() (uint64, error)
	// PutEntry stores a new entry, whose ID came from NextEntryID, as the
	// newest entry of both its accounts' histories.
	PutEntry(e Entry) error
	// PutReversal records that entry rev reversed entry id.
	PutReversal(id, rev uint64) error
	// PutLotUses records how debit entry id took points from lots.
	PutLotUses(id uint64, uses []LotUse) error
	// PutKey records what idempotency key k was used for.
	PutKey(k string, r KeyRecord) error

	// AddLot adds delta points (negative to take points) to member a's lot
	// that expires at expires (zero: never), creating it, or deleting it
	// when none remain, and returns the points left. A lot must not go
	// below zero: that returns an error and changes nothing.
	AddLot(a AccountID, expires time.Time, delta int64) (int64, error)

	// NextHoldID returns a new hold id, greater than every id it returned before.
	NextHoldID() (uint64, error)
	// PutHold stores a hold. HoldsOf and HoldsDue list it while its State
	// is HoldOpen.
	PutHold(h Hold) error

	// PutReward stores a reward.
	PutReward(r Reward) error
	// NextRedemptionID returns a new redemption id, greater than every id
	// it returned before.
	NextRedemptionID() (uint64, error)
	// PutRedemption stores a redemption. Its Code and Account must not
	// change once stored.
	PutRedemption(rd Redemption) error
	// SetRedeemCount sets how many redemptions of reward count towards
	// member a's limit; 0 forgets the count.
	SetRedeemCount(a AccountID, reward string, n int64) error

	// PutMerge records that member account from was merged into to.
	PutMerge(from, to AccountID) error

	// AddToBoard adds delta to account a's total on board b, creating the
	// board; a total that reaches 0 is forgotten.
	AddToBoard(b string, a AccountID, delta int64) error
	// DropBoard deletes board b and every total on it.
	DropBoard(b string) error
	// SetBoardsState records what the boards were brought up to.
	SetBoardsState(st BoardsState) error
}

// BoardsState is what the stored leaderboards were last brought up to.
type BoardsState struct {
	Applied uint64    // the newest entry they include
	Zone    string    // the time zone their weeks and months are in
	At      time.Time // the clock then, whole seconds: boards before its previous week and month were dropped
}

// Account is the stored state of one account.
type Account struct {
	Balance int64 // points on the account, held ones included
	Held    int64 // points reserved by open holds
	Earned  int64 // lifetime earned points (members only)
	// Month is the month index (UTC year*12 + month-1) of the newest slot
	// of Months, a ring of earned points per month: month m is
	// Months[m%12] while m > Month-12. Tiers read it without touching
	// other records.
	Month  uint32
	Months [tierWindow]int64
}

// LotUse records how many points a debit took from one lot, so that a
// reversal can put them back where they came from.
type LotUse struct {
	Expires time.Time // the lot's expiry; zero: never
	Amount  int64
}

// DueLot names a lot that is due to expire.
type DueLot struct {
	Expires time.Time
	Account AccountID
}

// KeyRecord is what an idempotency key was used for: the kind of write, a
// fingerprint of its request, and the record it made.
type KeyRecord struct {
	Kind KeyKind
	Hash [16]byte
	// Ref is the record the write made: an entry id, a hold id (KeyHold,
	// KeyVoid) or a redemption id (KeyRedeem, KeyCancel); 0 for merges and
	// for forfeits that found nothing to take.
	Ref uint64
}

// KeyKind is the kind of write an idempotency key was used for. Stores
// keep its numeric value as is.
type KeyKind uint8

// Key kinds. Their values are stored: never renumber them.
const (
	KeyPost    KeyKind = iota + 1 // Post, Credit, Debit, Import
	KeyReverse                    // Reverse
	KeyHold                       // Hold, HoldUntil, Post with HoldUntil
	KeyCapture                    // Capture, CapturePart
	KeyVoid                       // Void
	KeyRedeem                     // Redeem
	KeyFulfil                     // not written; reserved
	KeyCancel                     // Cancel of a redemption
	KeyExpire                     // ExpireDue
	KeyMerge                      // Merge
	KeyForfeit                    // Forfeit
)

// Backuper is implemented by a Store that can write a consistent copy of
// itself while writes continue (loyalty/bolt copies its whole database).
type Backuper interface {
	// Backup writes the copy to w and returns the number of bytes written.
	Backup(ctx context.Context, w io.Writer) (int64, error)
}

// ErrNoBackup is returned by Ledger.Backup when its Store is not a Backuper.
var ErrNoBackup = errors.New("loyalty: the store cannot write a backup")

// errStop ends an iteration early; rules filter it out with stopped.
var errStop = errors.New("stop")

// stopped returns err, or nil when err is errStop.
func stopped(err error) error {
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}
