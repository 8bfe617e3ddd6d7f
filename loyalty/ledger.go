package loyalty

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Bucket names. The loyalty package owns every bucket prefixed "loyalty.".
// The b* constants index bucketNames.
const (
	bAccounts     = iota // account → account record
	bEntries             // entry id → Entry (JSON)
	bKeys                // idempotency key → keyRecord
	bReversals           // original entry id → reversal entry id
	bConsumed            // debit entry id → []lotUse
	bLots                // member\0 expires → remaining
	bLotExpiry           // expires member → nil
	bHolds               // hold id → Hold (JSON)
	bHoldIndex           // member\0 hold id → nil while open
	bHoldExpiry          // expires hold id → nil while open
	bRewards             // reward id → Reward (JSON)
	bRedemptions         // redemption id → Redemption (JSON)
	bCodes               // code → redemption id
	bRedeemCounts        // member\0 reward id → count
	bPending             // redemption id → nil while pending
	bMerged              // member account → the member account it was merged into
)

var bucketNames = [...][]byte{
	bAccounts: []byte("loyalty.accounts"), bEntries: []byte("loyalty.entries"), bKeys: []byte("loyalty.keys"),
	bReversals: []byte("loyalty.reversals"), bConsumed: []byte("loyalty.consumed"),
	bLots: []byte("loyalty.lots"), bLotExpiry: []byte("loyalty.lot_expiry"),
	bHolds: []byte("loyalty.holds"), bHoldIndex: []byte("loyalty.holds_by_account"), bHoldExpiry: []byte("loyalty.hold_expiry"),
	bRewards: []byte("loyalty.rewards"), bRedemptions: []byte("loyalty.redemptions"), bCodes: []byte("loyalty.redemption_codes"),
	bRedeemCounts: []byte("loyalty.redemption_counts"), bPending: []byte("loyalty.redemptions_open"),
	bMerged: []byte("loyalty.merged"),
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
	// TierBasis is what tier thresholds count: "points" earned (default) or
	// "spend", the currency units of purchases (Posting.Spend).
	TierBasis string
	// OnTierChange, if set, is called after a committed Post, Reverse or
	// Import moved a member to another tier (adapters sync chat roles from it).
	// It runs in the writer's caller, not inside the transaction.
	OnTierChange func(ctx context.Context, tc TierChange)
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
	db        *bolt.DB
	cfg       Config
	w         *writer
	cache     *accountCache
	redirects *redirects // merged accounts
	log       *slog.Logger
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
	switch cfg.TierBasis {
	case "":
		cfg.TierBasis = TierByPoints
	case TierByPoints, TierBySpend:
	default:
		return nil, fmt.Errorf("%w: tier basis %q (want points or spend)", ErrBadTiers, cfg.TierBasis)
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
		for _, name := range bucketNames {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("open ledger: %w", err)
	}
	rd := &redirects{}
	if err := db.View(rd.load); err != nil {
		return nil, fmt.Errorf("open ledger: merged accounts: %w", err)
	}
	cache := newAccountCache()
	return &Ledger{db: db, cfg: cfg, w: newWriter(db, cfg.MaxBatch, cache.publish), cache: cache, redirects: rd,
		log: cfg.Logger.With("component", "loyalty")}, nil
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
	Spend    int64     `json:"spend,omitempty"`    // purchase value it stands for, in currency units
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
	// Spend is the purchase, in currency units, the posting stands for: a
	// purchase's points, or a refund's clawback. Tiers count it when
	// Config.TierBasis is "spend".
	Spend int64
	// HoldUntil, when set and later than now, holds the points credited to
	// the member until then, in the same step as the credit, so none of them
	// can be spent before the hold exists (a purchase's return window). The
	// hold is in Receipt.Hold.
	HoldUntil time.Time
}

// Tier bases.
const (
	TierByPoints = "points"
	TierBySpend  = "spend"
)

// hash fingerprints the request for the idempotency check.
func (p Posting) hash() [16]byte {
	parts := []string{"post", string(p.From), string(p.To), strconv.FormatInt(p.Amount, 10), p.Reason,
		strconv.FormatBool(p.Multiply), strconv.FormatInt(p.Spend, 10)}
	if !p.HoldUntil.IsZero() { // left out otherwise, so keys written before it existed still replay
		parts = append(parts, p.HoldUntil.UTC().Format(time.RFC3339Nano))
	}
	return hashOf(parts...)
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
	// Hold is the hold a Posting with HoldUntil placed, nil for none.
	Hold *Hold
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
	h := p.hash()
	out, err := l.w.do(ctx, func(s *store) (any, error) {
		if id, ok, err := s.replay(p.Key, kindPost, h); err != nil || ok {
			return s.replayPost(p.Key, id, err)
		}
		from, to := s.resolve(p.From), s.resolve(p.To)
		if from == to {
			return nil, ErrSameAccount
		}
		amount := p.Amount
		if p.Multiply && to.IsMember() {
			var err error
			if amount, err = l.multiply(s, to, amount); err != nil {
				return nil, err
			}
		}
		rc, err := l.post(s, Entry{Key: p.Key, From: from, To: to, Amount: amount, Reason: p.Reason, Spend: p.Spend}, postOpts{})
		if err != nil {
			return nil, err
		}
		if now := l.cfg.Now().UTC(); !p.HoldUntil.IsZero() && to.IsMember() && p.HoldUntil.After(now) {
			hk := p.Key + holdSuffix
			hd, err := s.placeHold(hk, to, rc.Entry.Amount, p.Reason, now, p.HoldUntil.UTC())
			if err != nil {
				return nil, err
			}
			if err := s.putKey(hk, kindHold, hashOf(hk), hd.ID); err != nil {
				return nil, err
			}
			rc.Hold = &hd
		}
		return rc, s.putKey(p.Key, kindPost, h, rc.Entry.ID)
	})
	return l.tierHook(ctx, out, err)
}

// holdSuffix names the hold a Posting with HoldUntil places: its key is the
// posting's key with this suffix.
const holdSuffix = "/hold"

// replayPost is replayReceipt with the hold a HoldUntil posting placed.
func (s *store) replayPost(key string, id uint64, err error) (any, error) {
	out, err := s.replayReceipt(id, err)
	if err != nil {
		return nil, err
	}
	rc := out.(Receipt)
	if rec, ok := s.key(key + holdSuffix); ok && rec.kind == kindHold {
		hd, err := s.hold(rec.ref)
		if err != nil {
			return nil, err
		}
		rc.Hold = &hd
	}
	return rc, nil
}

// tierHook reports a committed receipt's tier change to OnTierChange.
func (l *Ledger) tierHook(ctx context.Context, out any, err error) (Receipt, error) {
	rc, err := receiptOf(out, err)
	if err == nil && rc.TierChange != nil && l.cfg.OnTierChange != nil {
		l.cfg.OnTierChange(ctx, *rc.TierChange)
	}
	return rc, err
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
	out, err := l.w.do(ctx, func(s *store) (any, error) {
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
	return l.tierHook(ctx, out, err)
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
	if s.reversals().Get(u64(id)) != nil {
		return Receipt{}, fmt.Errorf("reverse entry %d: %w", id, ErrAlreadyReversed)
	}
	e := Entry{Key: key, From: s.resolve(orig.To), To: s.resolve(orig.From), Amount: orig.Amount, Reason: reason, Reverses: orig.ID, Spend: orig.Spend}
	return l.post(s, e, postOpts{original: &orig})
}

// Import applies many postings in one transaction, for CSV imports and
// migrations; chunks of about 10,000 postings amortize the commit best (see
// BenchmarkBulkImport). Each posting is idempotent on its key as with Post. A rejected
// posting writes nothing and is reported in its slot of errs; the others are
// applied. A non-nil error means the transaction failed and nothing was written.
func (l *Ledger) Import(ctx context.Context, ps []Posting) (receipts []Receipt, errs []error, err error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	receipts, errs = make([]Receipt, len(ps)), make([]error, len(ps))
	var s *store
	err = l.db.Update(func(tx *bolt.Tx) error {
		s = newStore(tx)
		for i, p := range ps {
			if errs[i] = p.validate(); errs[i] != nil {
				continue
			}
			if !p.HoldUntil.IsZero() {
				errs[i] = fmt.Errorf("%w: Import places no holds (HoldUntil)", ErrInvalidAmount)
				continue
			}
			h := p.hash()
			var out any
			if id, ok, err := s.replay(p.Key, kindPost, h); err != nil || ok {
				out, err = s.replayReceipt(id, err)
				receipts[i], errs[i] = receiptOf(out, err)
				continue
			}
			from, to := s.resolve(p.From), s.resolve(p.To)
			amount := p.Amount
			if p.Multiply && to.IsMember() {
				if amount, errs[i] = l.multiply(s, to, amount); errs[i] != nil {
					continue
				}
			}
			rc, err := l.post(s, Entry{Key: p.Key, From: from, To: to, Amount: amount, Reason: p.Reason, Spend: p.Spend}, postOpts{})
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
		return s.flush()
	})
	if err != nil {
		return nil, nil, fmt.Errorf("import: %w", err)
	}
	l.cache.publish(s)
	for i, rc := range receipts {
		if errs[i] == nil && !rc.Replay && rc.TierChange != nil && l.cfg.OnTierChange != nil {
			l.cfg.OnTierChange(ctx, *rc.TierChange)
		}
	}
	return receipts, errs, nil
}

// Balance is the state of one account.
type Balance struct {
	Account   AccountID `json:"account"`
	Balance   int64     `json:"balance"`   // all points on the account, held ones included
	Held      int64     `json:"held"`      // points reserved by open, unexpired holds
	Available int64     `json:"available"` // Balance - Held: what the member can spend
	Earned    int64     `json:"earned"`    // lifetime earned points (members)
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
	a = l.redirects.resolve(a)
	acc, ok := l.cache.get(a)
	if ok && acc.Held == 0 {
		return Balance{Account: a, Balance: acc.Balance, Available: acc.Balance, Earned: acc.Earned}, nil
	}
	var b Balance
	err := l.db.View(func(tx *bolt.Tx) error {
		s := newStore(tx)
		acc := s.account(a)
		l.cache.put(a, acc, tx.ID())
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
	a = l.redirects.resolve(a)
	err = l.db.View(func(tx *bolt.Tx) error {
		s := newStore(tx)
		id := s.account(a).Last
		if before != 0 {
			e, err := s.storedEntry(before)
			if err != nil {
				return err
			}
			id = e.prev(a)
		}
		for id != 0 && len(entries) < limit {
			e, err := s.storedEntry(id)
			if err != nil {
				return err
			}
			entries = append(entries, e.Entry)
			id = e.prev(a)
		}
		if id != 0 {
			next = entries[len(entries)-1].ID
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
		s := newStore(tx)
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
	earnAt := now
	who, sign := earner(e.From, e.To)
	if o.original != nil {
		earnAt = o.original.Time
		who, sign = earner(o.original.From, o.original.To)
		sign = -sign
	}
	var earnAcc *account
	switch who {
	case e.From:
		earnAcc = &newFrom
	case e.To:
		earnAcc = &newTo
	}
	if sign != 0 {
		if earnAcc.Earned, err = addChecked(earnAcc.Earned, sign*e.Amount); err != nil {
			return Receipt{}, err
		}
	}
	tierCredit := sign * e.Amount // what the tier window counts
	if l.cfg.TierBasis == TierBySpend {
		tierCredit = sign * e.Spend
	}

	// All checks passed: write.
	id, err := s.entries().NextSequence()
	if err != nil {
		return Receipt{}, err
	}
	e.ID = id
	if e.Key == "" {
		e.Key = "auto:" + strconv.FormatUint(id, 10)
	}
	if err := s.voidHolds(expiredHolds, now, &newFrom); err != nil {
		return Receipt{}, err
	}
	newFrom.Held -= o.release
	if e.From.IsMember() {
		uses, err := s.consumeLots(e.From, e.Amount, o.original)
		if err != nil {
			return Receipt{}, err
		}
		if err := s.consumed().Put(u64(id), encodeUses(uses)); err != nil {
			return Receipt{}, err
		}
	}
	if e.To.IsMember() {
		var err error
		if o.original != nil && o.original.From.IsMember() {
			err = s.restoreLots(e.To, o.original.ID)
		} else {
			e.Expires = l.expiryFor(now)
			err = s.addLot(e.To, expKey(e.Expires), e.Amount)
		}
		if err != nil {
			return Receipt{}, err
		}
	}
	var tc *TierChange
	if tierCredit != 0 {
		tc = l.addEarned(who, earnAcc, earnAt, tierCredit, now)
	}
	// Each entry links to the previous entry of both its accounts, so
	// History walks an account's entries without an index to maintain.
	se := storedEntry{Entry: e, PrevFrom: newFrom.Last, PrevTo: newTo.Last}
	newFrom.Last, newTo.Last = id, id
	if err := s.putEntry(se); err != nil {
		return Receipt{}, err
	}
	if e.Reverses != 0 {
		if err := s.reversals().Put(u64(e.Reverses), u64(id)); err != nil {
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
	kindMerge
	kindForfeit
)

type keyRecord struct {
	kind byte
	hash [16]byte
	ref  uint64
}

// hashOf fingerprints a request's payload: each part length-prefixed, so
// ("ab","c") and ("a","bc") differ.
func hashOf(parts ...string) [16]byte {
	n := 0
	for _, p := range parts {
		n += 8 + len(p)
	}
	b := make([]byte, 0, n)
	for _, p := range parts {
		b = binary.BigEndian.AppendUint64(b, uint64(len(p)))
		b = append(b, p...)
	}
	sum := sha256.Sum256(b)
	return [16]byte(sum[:16])
}

// store wraps a transaction with typed accessors. Buckets are looked up on
// first use: a balance read touches one bucket, not all of them. In a write
// transaction, account records are cached and written once by flush, so a
// batch that credits a thousand members from one issuance account writes that
// account once, not a thousand times.
type store struct {
	tx      *bolt.Tx
	bk      [len(bucketNames)]*bolt.Bucket
	accts   map[AccountID]account
	dirty   []AccountID
	flushed []AccountID // written by flush: the cache publishes them after commit
	txid    int         // tx.ID(), kept because a closed Tx forgets it
}

func newStore(tx *bolt.Tx) *store { return &store{tx: tx, txid: tx.ID()} }

func (s *store) bucket(i int) *bolt.Bucket {
	if s.bk[i] == nil {
		s.bk[i] = s.tx.Bucket(bucketNames[i])
	}
	return s.bk[i]
}

// appendOnly returns a bucket whose keys only ever grow (entry ids): full
// pages are right for it, as a page is never split again once left behind.
func (s *store) appendOnly(i int) *bolt.Bucket {
	b := s.bucket(i)
	b.FillPercent = 1.0
	return b
}

func (s *store) accounts() *bolt.Bucket     { return s.bucket(bAccounts) }
func (s *store) entries() *bolt.Bucket      { return s.appendOnly(bEntries) }
func (s *store) keys() *bolt.Bucket         { return s.bucket(bKeys) }
func (s *store) reversals() *bolt.Bucket    { return s.bucket(bReversals) }
func (s *store) consumed() *bolt.Bucket     { return s.appendOnly(bConsumed) }
func (s *store) lots() *bolt.Bucket         { return s.bucket(bLots) }
func (s *store) lotExpiry() *bolt.Bucket    { return s.bucket(bLotExpiry) }
func (s *store) holds() *bolt.Bucket        { return s.bucket(bHolds) }
func (s *store) holdIndex() *bolt.Bucket    { return s.bucket(bHoldIndex) }
func (s *store) holdExpiry() *bolt.Bucket   { return s.bucket(bHoldExpiry) }
func (s *store) rewards() *bolt.Bucket      { return s.bucket(bRewards) }
func (s *store) redemptions() *bolt.Bucket  { return s.bucket(bRedemptions) }
func (s *store) codes() *bolt.Bucket        { return s.bucket(bCodes) }
func (s *store) redeemCounts() *bolt.Bucket { return s.bucket(bRedeemCounts) }
func (s *store) pending() *bolt.Bucket      { return s.bucket(bPending) }

func (s *store) key(k string) (keyRecord, bool) {
	v := s.keys().Get([]byte(k))
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
	return s.keys().Put([]byte(key), v)
}

func (s *store) account(a AccountID) account {
	if acc, ok := s.accts[a]; ok {
		return acc
	}
	return decodeAccount(s.accounts().Get([]byte(a)))
}

// putAccount stages an account record; flush writes it.
func (s *store) putAccount(a AccountID, acc account) error {
	if s.accts == nil {
		s.accts = make(map[AccountID]account)
	}
	if _, ok := s.accts[a]; !ok {
		s.dirty = append(s.dirty, a)
	}
	s.accts[a] = acc
	return nil
}

// flush writes the staged account records. Writers call it before commit.
func (s *store) flush() error {
	for _, a := range s.dirty {
		if err := s.accounts().Put([]byte(a), s.accts[a].encode()); err != nil {
			return err
		}
	}
	s.flushed = append(s.flushed, s.dirty...)
	s.dirty = s.dirty[:0]
	return nil
}

// storedEntry is an Entry as stored, with the links History follows.
type storedEntry struct {
	Entry
	PrevFrom uint64 // previous entry of From
	PrevTo   uint64 // previous entry of To
}

// prev returns the entry before e in account a's history.
func (e storedEntry) prev(a AccountID) uint64 {
	if e.To == a {
		return e.PrevTo
	}
	return e.PrevFrom
}

func (s *store) entry(id uint64) (Entry, error) {
	e, err := s.storedEntry(id)
	return e.Entry, err
}

func (s *store) storedEntry(id uint64) (storedEntry, error) {
	v := s.entries().Get(u64(id))
	if v == nil {
		return storedEntry{}, fmt.Errorf("entry %d: %w", id, ErrNotFound)
	}
	e, err := decodeEntry(v)
	if err != nil {
		return storedEntry{}, fmt.Errorf("decode entry %d: %w", id, err)
	}
	return e, nil
}

func (s *store) putEntry(e storedEntry) error {
	return s.entries().Put(u64(e.ID), e.encode())
}

// entryVersion leads every stored entry so the layout can change later.
const entryVersion = 1

// encode lays an entry out as a version byte, seven uvarints (id, amount,
// time in ns, reverses, expires in s, prev from, prev to), four
// length-prefixed strings (key, from, to, reason) and, when not zero, the
// spend as a varint. Entries are the largest
// and most written records, and this is several times cheaper than JSON.
func (e storedEntry) encode() []byte {
	b := make([]byte, 0, 64+len(e.Key)+len(e.From)+len(e.To)+len(e.Reason))
	b = append(b, entryVersion)
	var expires int64
	if !e.Expires.IsZero() {
		expires = e.Expires.Unix()
	}
	for _, v := range []uint64{e.ID, uint64(e.Amount), uint64(e.Time.UnixNano()), e.Reverses, uint64(expires), e.PrevFrom, e.PrevTo} {
		b = binary.AppendUvarint(b, v)
	}
	for _, str := range []string{e.Key, string(e.From), string(e.To), e.Reason} {
		b = binary.AppendUvarint(b, uint64(len(str)))
		b = append(b, str...)
	}
	if e.Spend != 0 { // optional trailer
		b = binary.AppendVarint(b, e.Spend)
	}
	return b
}

func decodeEntry(b []byte) (storedEntry, error) {
	if len(b) == 0 || b[0] != entryVersion {
		return storedEntry{}, errCorrupt
	}
	b = b[1:]
	var nums [7]uint64
	for i := range nums {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return storedEntry{}, errCorrupt
		}
		nums[i], b = v, b[n:]
	}
	var strs [4]string
	for i := range strs {
		l, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < l {
			return storedEntry{}, errCorrupt
		}
		strs[i], b = string(b[n:n+int(l)]), b[n+int(l):]
	}
	e := storedEntry{
		Entry: Entry{
			ID: nums[0], Amount: int64(nums[1]), Time: time.Unix(0, int64(nums[2])).UTC(), Reverses: nums[3],
			Key: strs[0], From: AccountID(strs[1]), To: AccountID(strs[2]), Reason: strs[3],
		},
		PrevFrom: nums[5], PrevTo: nums[6],
	}
	if nums[4] != 0 {
		e.Expires = time.Unix(int64(nums[4]), 0).UTC()
	}
	if len(b) > 0 {
		spend, n := binary.Varint(b)
		if n <= 0 {
			return storedEntry{}, errCorrupt
		}
		e.Spend = spend
	}
	return e, nil
}

var errCorrupt = errors.New("loyalty: stored record is corrupt")
