package loyalty

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Bucket names. The loyalty package owns every bucket prefixed "loyalty.".
var (
	bucketAccounts     = []byte("loyalty.accounts")          // account → account (24 bytes)
	bucketEntries      = []byte("loyalty.entries")           // entry id → Entry (JSON)
	bucketKeys         = []byte("loyalty.keys")              // idempotency key → keyRecord
	bucketHistory      = []byte("loyalty.history")           // account\0 entry id → nil
	bucketReversals    = []byte("loyalty.reversals")         // original entry id → reversal entry id
	bucketConsumed     = []byte("loyalty.consumed")          // debit entry id → []lotUse
	bucketLots         = []byte("loyalty.lots")              // member\0 expires → remaining
	bucketLotExpiry    = []byte("loyalty.lot_expiry")        // expires member → nil
	bucketEarned       = []byte("loyalty.earned_monthly")    // member\0 month → earned
	bucketEarnedDaily  = []byte("loyalty.earned_daily")      // day member → earned
	bucketHolds        = []byte("loyalty.holds")             // hold id → Hold (JSON)
	bucketHoldIndex    = []byte("loyalty.holds_by_account")  // member\0 hold id → nil
	bucketHoldExpiry   = []byte("loyalty.hold_expiry")       // expires hold id → nil while open
	bucketRewards      = []byte("loyalty.rewards")           // reward id → Reward (JSON)
	bucketRedemptions  = []byte("loyalty.redemptions")       // redemption id → Redemption (JSON)
	bucketRedeemCodes  = []byte("loyalty.redemption_codes")  // code → redemption id
	bucketRedeemCounts = []byte("loyalty.redemption_counts") // member\0 reward id → count
	bucketPending      = []byte("loyalty.redemptions_open")  // redemption id → nil while pending
)

var allBuckets = [][]byte{
	bucketAccounts, bucketEntries, bucketKeys, bucketHistory, bucketReversals, bucketConsumed,
	bucketLots, bucketLotExpiry, bucketEarned, bucketEarnedDaily, bucketHolds, bucketHoldIndex, bucketHoldExpiry,
	bucketRewards, bucketRedemptions, bucketRedeemCodes, bucketRedeemCounts, bucketPending,
}

// Config configures a Ledger. A zero field means "use the default".
type Config struct {
	// Expiry is how long credited points stay valid. Points expire at the end
	// of the UTC day the period ends on. Default 365 days; negative means never.
	Expiry time.Duration
	// Tiers is the tier table, lowest threshold first. Default DefaultTiers().
	Tiers []Tier
	// MaxBatch caps how many writes share one transaction. Default 512.
	MaxBatch int
	// Now returns the current time. Default time.Now.
	Now func() time.Time
	// Logger receives the ledger's log lines. Default discards them.
	Logger *slog.Logger
}

// DefaultConfig returns the configuration used for zero fields.
func DefaultConfig() Config {
	return Config{
		Expiry:   365 * 24 * time.Hour,
		Tiers:    DefaultTiers(),
		MaxBatch: 512,
		Now:      time.Now,
		Logger:   slog.New(slog.DiscardHandler),
	}
}

// Ledger is a double-entry points ledger stored in bbolt. Every write carries
// an idempotency key and concurrent writes share transactions (group commit).
// A Ledger is safe for concurrent use.
type Ledger struct {
	db  *bolt.DB
	cfg Config
	w   *writer
	log *slog.Logger
}

// Open creates the ledger's buckets in db and starts its writer. The caller
// keeps ownership of db and must Close the ledger before closing db.
func Open(db *bolt.DB, cfg Config) (*Ledger, error) {
	def := DefaultConfig()
	if cfg.Expiry == 0 {
		cfg.Expiry = def.Expiry
	}
	if len(cfg.Tiers) == 0 {
		cfg.Tiers = def.Tiers
	}
	if err := validateTiers(cfg.Tiers); err != nil {
		return nil, err
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = def.MaxBatch
	}
	if cfg.Now == nil {
		cfg.Now = def.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = def.Logger
	}
	err := db.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("open ledger: %w", err)
	}
	return &Ledger{db: db, cfg: cfg, w: newWriter(db, cfg.MaxBatch), log: cfg.Logger.With("component", "loyalty")}, nil
}

// Close waits for queued writes to commit and stops the writer. Later writes
// return ErrClosed. It does not close the bbolt database.
func (l *Ledger) Close() error {
	l.w.close()
	return nil
}

// DB returns the database the ledger writes to.
func (l *Ledger) DB() *bolt.DB { return l.db }

// Tiers returns the tier table in use.
func (l *Ledger) Tiers() []Tier { return append([]Tier(nil), l.cfg.Tiers...) }

// Entry is one posting: Amount points moved From one account To another.
// Entries are never edited or deleted; a reversal is a new entry.
type Entry struct {
	ID       uint64    `json:"id"`
	Key      string    `json:"key"`
	From     AccountID `json:"from"`
	To       AccountID `json:"to"`
	Amount   int64     `json:"amount"`
	Reason   string    `json:"reason,omitempty"`
	Time     time.Time `json:"time"`
	Reverses uint64    `json:"reverses,omitempty"` // id of the entry this one reverses
	Expires  time.Time `json:"expires,omitzero"`   // when the points credited to a member expire
}

// For returns the entry as seen from account a: the signed amount (positive
// when a received points) and the counter-account.
func (e Entry) For(a AccountID) (amount int64, counter AccountID) {
	if e.To == a {
		return e.Amount, e.From
	}
	return -e.Amount, e.To
}

// Posting asks to move Amount points From one account To another.
type Posting struct {
	Key    string // idempotency key, required
	From   AccountID
	To     AccountID
	Amount int64
	Reason string
	// Multiply applies the receiving member's tier multiplier to Amount
	// (rounded down). The idempotency payload is the request, not the result.
	Multiply bool
}

func (p Posting) validate() error {
	if p.Key == "" {
		return ErrEmptyKey
	}
	if p.Amount <= 0 {
		return fmt.Errorf("%w: %d", ErrInvalidAmount, p.Amount)
	}
	if err := p.From.Validate(); err != nil {
		return err
	}
	if err := p.To.Validate(); err != nil {
		return err
	}
	if p.From == p.To {
		return ErrSameAccount
	}
	return nil
}

// Receipt is the outcome of a write that posted an entry.
type Receipt struct {
	Entry Entry
	// Replay is true when the key had already been applied: nothing changed
	// and Entry is the original entry.
	Replay bool
	// TierChange is set when the write moved a member to another tier.
	TierChange *TierChange
}

// Post moves points between two accounts. It returns an *InsufficientFundsError
// if a member account would drop below its available points, ErrOverflow if a
// balance would leave the int64 range, ErrIdempotencyConflict if the key was
// used for a different request, and validation errors for bad input. Posting
// the same request twice with one key applies it once and marks the second
// Receipt as a replay.
func (l *Ledger) Post(ctx context.Context, p Posting) (Receipt, error) {
	if err := p.validate(); err != nil {
		return Receipt{}, err
	}
	h := hashOf("post", string(p.From), string(p.To), strconv.FormatInt(p.Amount, 10), p.Reason, strconv.FormatBool(p.Multiply))
	out, err := l.w.do(ctx, func(tx *bolt.Tx) (any, error) {
		s := l.store(tx)
		if id, ok, err := s.replay(p.Key, kindPost, h); err != nil || ok {
			return s.replayReceipt(id, err)
		}
		amount := p.Amount
		if p.Multiply && p.To.IsMember() {
			var err error
			if amount, err = l.multiply(s, p.To, amount); err != nil {
				return nil, err
			}
		}
		rc, err := l.post(s, Entry{Key: p.Key, From: p.From, To: p.To, Amount: amount, Reason: p.Reason}, postOpts{})
		if err != nil {
			return nil, err
		}
		return rc, s.putKey(p.Key, kindPost, h, rc.Entry.ID)
	})
	return receiptOf(out, err)
}

// Credit issues amount points to a member from the issuance account of
// source (see Issuance). It is Post with From = Issuance(source).
func (l *Ledger) Credit(ctx context.Context, to AccountID, source string, amount int64, key, reason string) (Receipt, error) {
	return l.Post(ctx, Posting{Key: key, From: Issuance(source), To: to, Amount: amount, Reason: reason})
}

// Debit takes amount points from a member and moves them to the system
// account sink. It is Post with From = from.
func (l *Ledger) Debit(ctx context.Context, from, sink AccountID, amount int64, key, reason string) (Receipt, error) {
	return l.Post(ctx, Posting{Key: key, From: from, To: sink, Amount: amount, Reason: reason})
}

// Reverse posts the opposite of the entry written under originalKey, linked
// to it. An entry is reversed at most once: a second reversal under another
// key returns ErrAlreadyReversed. Reversing a debit gives the member back the
// very lots it consumed, with their original expiry. Reversing a credit that
// was already spent returns an *InsufficientFundsError.
func (l *Ledger) Reverse(ctx context.Context, key, originalKey, reason string) (Receipt, error) {
	if key == "" || originalKey == "" {
		return Receipt{}, ErrEmptyKey
	}
	h := hashOf("reverse", originalKey, reason)
	out, err := l.w.do(ctx, func(tx *bolt.Tx) (any, error) {
		s := l.store(tx)
		if id, ok, err := s.replay(key, kindReverse, h); err != nil || ok {
			return s.replayReceipt(id, err)
		}
		rec, ok := s.key(originalKey)
		if !ok || rec.kind != kindPost && rec.kind != kindCapture {
			return nil, fmt.Errorf("reverse %q: %w", originalKey, ErrNotFound)
		}
		rc, err := l.reverse(s, key, rec.ref, reason)
		if err != nil {
			return nil, err
		}
		return rc, s.putKey(key, kindReverse, h, rc.Entry.ID)
	})
	return receiptOf(out, err)
}

// reverse posts the reversal of entry id under key.
func (l *Ledger) reverse(s *store, key string, id uint64, reason string) (Receipt, error) {
	orig, err := s.entry(id)
	if err != nil {
		return Receipt{}, err
	}
	if orig.Reverses != 0 {
		return Receipt{}, fmt.Errorf("reverse entry %d: %w", id, ErrNotReversible)
	}
	if s.reversals.Get(u64(id)) != nil {
		return Receipt{}, fmt.Errorf("reverse entry %d: %w", id, ErrAlreadyReversed)
	}
	e := Entry{Key: key, From: orig.To, To: orig.From, Amount: orig.Amount, Reason: reason, Reverses: orig.ID}
	return l.post(s, e, postOpts{original: &orig})
}

// Import applies many postings in one transaction, for CSV imports and
// migrations. Each posting is idempotent on its key as with Post. A rejected
// posting writes nothing and is reported in its slot of errs; the others are
// applied. A non-nil error means the transaction failed and nothing was written.
func (l *Ledger) Import(ctx context.Context, ps []Posting) (receipts []Receipt, errs []error, err error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	receipts, errs = make([]Receipt, len(ps)), make([]error, len(ps))
	err = l.db.Update(func(tx *bolt.Tx) error {
		s := l.store(tx)
		for i, p := range ps {
			if errs[i] = p.validate(); errs[i] != nil {
				continue
			}
			h := hashOf("post", string(p.From), string(p.To), strconv.FormatInt(p.Amount, 10), p.Reason, strconv.FormatBool(p.Multiply))
			var out any
			if id, ok, err := s.replay(p.Key, kindPost, h); err != nil || ok {
				out, err = s.replayReceipt(id, err)
				receipts[i], errs[i] = receiptOf(out, err)
				continue
			}
			amount := p.Amount
			if p.Multiply && p.To.IsMember() {
				if amount, errs[i] = l.multiply(s, p.To, amount); errs[i] != nil {
					continue
				}
			}
			rc, err := l.post(s, Entry{Key: p.Key, From: p.From, To: p.To, Amount: amount, Reason: p.Reason}, postOpts{})
			if err != nil && !isRejection(err) {
				return err
			}
			if errs[i] = err; err != nil {
				continue
			}
			if err := s.putKey(p.Key, kindPost, h, rc.Entry.ID); err != nil {
				return err
			}
			receipts[i] = rc
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("import: %w", err)
	}
	return receipts, errs, nil
}

// Balance is the state of one account.
type Balance struct {
	Account   AccountID
	Balance   int64 // all points on the account, held ones included
	Held      int64 // points reserved by open, unexpired holds
	Available int64 // Balance - Held: what the member can spend
	Earned    int64 // lifetime earned points (members)
}

// Balance returns the balance of account a. Reading it is O(1) in the length
// of the account's history. An account that never moved has a zero Balance.
func (l *Ledger) Balance(ctx context.Context, a AccountID) (Balance, error) {
	if err := ctx.Err(); err != nil {
		return Balance{}, err
	}
	if err := a.Validate(); err != nil {
		return Balance{}, err
	}
	var b Balance
	err := l.db.View(func(tx *bolt.Tx) error {
		s := l.store(tx)
		acc := s.account(a)
		held := acc.Held
		if held > 0 {
			held, _ = s.liveHolds(a, l.cfg.Now())
		}
		b = Balance{Account: a, Balance: acc.Balance, Held: held, Available: acc.Balance - held, Earned: acc.Earned}
		return nil
	})
	return b, err
}

// History returns up to limit entries of account a, newest first, starting
// before the entry id before (0 for the newest). next is the cursor for the
// following page, 0 when there is none.
func (l *Ledger) History(ctx context.Context, a AccountID, before uint64, limit int) (entries []Entry, next uint64, err error) {
	if err := a.Validate(); err != nil {
		return nil, 0, err
	}
	if limit <= 0 || limit > 1000 {
		limit = 20
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	err = l.db.View(func(tx *bolt.Tx) error {
		s := l.store(tx)
		c := s.history.Cursor()
		prefix := acctKey(a)
		start := before
		if start == 0 {
			start = ^uint64(0)
		}
		k, _ := c.Seek(acctKey(a, u64(start)))
		if k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
		for ; k != nil && hasPrefix(k, prefix); k, _ = c.Prev() {
			id := binary.BigEndian.Uint64(k[len(prefix):])
			if len(entries) == limit {
				next = entries[len(entries)-1].ID
				break
			}
			e, err := s.entry(id)
			if err != nil {
				return err
			}
			entries = append(entries, e)
		}
		return nil
	})
	return entries, next, err
}

// EntryByKey returns the entry written under an idempotency key, or ErrNotFound.
func (l *Ledger) EntryByKey(ctx context.Context, key string) (Entry, error) {
	if err := ctx.Err(); err != nil {
		return Entry{}, err
	}
	var e Entry
	err := l.db.View(func(tx *bolt.Tx) error {
		s := l.store(tx)
		rec, ok := s.key(key)
		if !ok || rec.kind == kindHold || rec.kind == kindVoid || rec.kind == kindRedeem || rec.kind == kindFulfil {
			return fmt.Errorf("entry %q: %w", key, ErrNotFound)
		}
		var err error
		e, err = s.entry(rec.ref)
		return err
	})
	return e, err
}

// postOpts carries what differs between plain postings and reversals.
type postOpts struct {
	original *Entry // set for a reversal: the entry being reversed
	release  int64  // held points on From released by this posting (hold capture)
}

// post validates and writes entry e. Every check happens before the first
// write, so a rejection leaves the transaction untouched.
func (l *Ledger) post(s *store, e Entry, o postOpts) (Receipt, error) {
	now := l.cfg.Now().UTC()
	e.Time = now
	from, to := s.account(e.From), s.account(e.To)

	var expiredHolds []Hold
	if e.From.IsMember() {
		held := from.Held
		if held > 0 {
			held, expiredHolds = s.liveHolds(e.From, now)
		}
		if avail := from.Balance - held + o.release; avail < e.Amount {
			return Receipt{}, &InsufficientFundsError{Account: e.From, Available: from.Balance - held, Required: e.Amount}
		}
	}
	var err error
	var newFrom, newTo account = from, to
	if newFrom.Balance, err = addChecked(from.Balance, -e.Amount); err != nil {
		return Receipt{}, err
	}
	if newTo.Balance, err = addChecked(to.Balance, e.Amount); err != nil {
		return Receipt{}, err
	}
	// Earned points: a reversal undoes the original's effect on the original's date.
	earnAt, sign := now, earnSign(e.From, e.To)
	if o.original != nil {
		earnAt, sign = o.original.Time, -earnSign(o.original.From, o.original.To)
	}
	earner := e.To
	if sign < 0 {
		earner = e.From
	}
	var earnDelta int64
	if sign != 0 && earner.IsMember() {
		earnDelta = sign * e.Amount
		acc := &newTo
		if earner == e.From {
			acc = &newFrom
		}
		if acc.Earned, err = addChecked(acc.Earned, earnDelta); err != nil {
			return Receipt{}, err
		}
	}

	// All checks passed: write.
	id, err := s.entries.NextSequence()
	if err != nil {
		return Receipt{}, err
	}
	e.ID = id
	if e.Key == "" {
		e.Key = "auto:" + strconv.FormatUint(id, 10)
	}
	if err := s.voidHolds(expiredHolds, &newFrom); err != nil {
		return Receipt{}, err
	}
	newFrom.Held -= o.release
	if e.From.IsMember() {
		uses, err := s.consumeLots(e.From, e.Amount, o.original)
		if err != nil {
			return Receipt{}, err
		}
		if err := s.consumed.Put(u64(id), encodeUses(uses)); err != nil {
			return Receipt{}, err
		}
	}
	if e.To.IsMember() {
		var err error
		if o.original != nil && o.original.From.IsMember() {
			err = s.restoreLots(e.To, o.original.ID)
		} else {
			e.Expires = l.expiryFor(now)
			err = s.addLot(e.To, e.Expires, e.Amount)
		}
		if err != nil {
			return Receipt{}, err
		}
	}
	var tc *TierChange
	if earnDelta != 0 {
		if tc, err = l.addEarned(s, earner, earnAt, earnDelta, now); err != nil {
			return Receipt{}, err
		}
	}
	if err := s.putEntry(e); err != nil {
		return Receipt{}, err
	}
	if e.Reverses != 0 {
		if err := s.reversals.Put(u64(e.Reverses), u64(id)); err != nil {
			return Receipt{}, err
		}
	}
	if err := s.putAccount(e.From, newFrom); err != nil {
		return Receipt{}, err
	}
	if err := s.putAccount(e.To, newTo); err != nil {
		return Receipt{}, err
	}
	return Receipt{Entry: e, TierChange: tc}, nil
}

// expiryFor returns when points credited at t expire: the end of the UTC day
// the expiry period ends on, or the zero time when points never expire.
func (l *Ledger) expiryFor(t time.Time) time.Time {
	if l.cfg.Expiry < 0 {
		return time.Time{}
	}
	d := t.UTC().Add(l.cfg.Expiry)
	return time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, time.UTC)
}

func receiptOf(out any, err error) (Receipt, error) {
	if err != nil {
		return Receipt{}, err
	}
	return out.(Receipt), nil
}

// Idempotency records.
const (
	kindPost byte = iota + 1
	kindReverse
	kindHold
	kindCapture
	kindVoid
	kindRedeem
	kindFulfil
	kindCancel
	kindExpire
)

type keyRecord struct {
	kind byte
	hash [16]byte
	ref  uint64
}

func hashOf(parts ...string) [16]byte {
	h := sha256.New()
	for _, p := range parts {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write([]byte(p))
	}
	var out [16]byte
	copy(out[:], h.Sum(nil))
	return out
}

// store bundles a transaction's buckets with typed accessors.
type store struct {
	tx                                             *bolt.Tx
	accounts, entries, keys, history, reversals    *bolt.Bucket
	consumed, lots, lotExpiry, earned, earnedDaily *bolt.Bucket
	holds, holdIndex, holdExpiry, rewards          *bolt.Bucket
	redemptions, codes, redeemCounts, pending      *bolt.Bucket
}

func (l *Ledger) store(tx *bolt.Tx) *store {
	return &store{
		tx: tx, accounts: tx.Bucket(bucketAccounts), entries: tx.Bucket(bucketEntries),
		keys: tx.Bucket(bucketKeys), history: tx.Bucket(bucketHistory), reversals: tx.Bucket(bucketReversals),
		consumed: tx.Bucket(bucketConsumed), lots: tx.Bucket(bucketLots), lotExpiry: tx.Bucket(bucketLotExpiry),
		earned: tx.Bucket(bucketEarned), earnedDaily: tx.Bucket(bucketEarnedDaily), holds: tx.Bucket(bucketHolds),
		holdIndex: tx.Bucket(bucketHoldIndex), holdExpiry: tx.Bucket(bucketHoldExpiry), rewards: tx.Bucket(bucketRewards),
		redemptions: tx.Bucket(bucketRedemptions), codes: tx.Bucket(bucketRedeemCodes),
		redeemCounts: tx.Bucket(bucketRedeemCounts), pending: tx.Bucket(bucketPending),
	}
}

func (s *store) key(k string) (keyRecord, bool) {
	v := s.keys.Get([]byte(k))
	if len(v) != 25 {
		return keyRecord{}, false
	}
	var r keyRecord
	r.kind = v[0]
	copy(r.hash[:], v[1:17])
	r.ref = binary.BigEndian.Uint64(v[17:])
	return r, true
}

// replay looks key up. ok is true when it was applied before with the same
// kind and payload; a different payload is ErrIdempotencyConflict.
func (s *store) replay(key string, kind byte, h [16]byte) (ref uint64, ok bool, err error) {
	rec, found := s.key(key)
	if !found {
		return 0, false, nil
	}
	if rec.kind != kind || rec.hash != h {
		return 0, false, fmt.Errorf("key %q: %w", key, ErrIdempotencyConflict)
	}
	return rec.ref, true, nil
}

func (s *store) replayReceipt(id uint64, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	e, err := s.entry(id)
	if err != nil {
		return nil, err
	}
	return Receipt{Entry: e, Replay: true}, nil
}

func (s *store) putKey(key string, kind byte, h [16]byte, ref uint64) error {
	v := make([]byte, 25)
	v[0] = kind
	copy(v[1:17], h[:])
	binary.BigEndian.PutUint64(v[17:], ref)
	return s.keys.Put([]byte(key), v)
}

func (s *store) account(a AccountID) account { return decodeAccount(s.accounts.Get([]byte(a))) }

func (s *store) putAccount(a AccountID, acc account) error {
	return s.accounts.Put([]byte(a), acc.encode())
}

func (s *store) entry(id uint64) (Entry, error) {
	v := s.entries.Get(u64(id))
	if v == nil {
		return Entry{}, fmt.Errorf("entry %d: %w", id, ErrNotFound)
	}
	var e Entry
	if err := json.Unmarshal(v, &e); err != nil {
		return Entry{}, fmt.Errorf("decode entry %d: %w", id, err)
	}
	return e, nil
}

func (s *store) putEntry(e Entry) error {
	v, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if err := s.entries.Put(u64(e.ID), v); err != nil {
		return err
	}
	if err := s.history.Put(acctKey(e.From, u64(e.ID)), nil); err != nil {
		return err
	}
	return s.history.Put(acctKey(e.To, u64(e.ID)), nil)
}

func hasPrefix(b, prefix []byte) bool {
	return len(b) >= len(prefix) && string(b[:len(prefix)]) == string(prefix)
}

var errCorrupt = errors.New("loyalty: stored record is corrupt")
