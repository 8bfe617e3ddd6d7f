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
)

// Config configures a Ledger. A zero field means "use the default".
type Config struct {
	// Expiry is how long credited points stay valid. Points expire at the end
	// of the UTC day the period ends on. Default 365 days; negative means never.
	Expiry time.Duration
	// Tiers is the tier table, lowest threshold first. Default DefaultTiers().
	Tiers []Tier
	// MaxBatch caps how many writes share one transaction. Default 512.
	MaxBatch int
	// CacheSize caps how many accounts' balances are kept in memory for
	// Balance. Default 65536 (about 7 MB); the least recently read ones
	// make room for new ones.
	CacheSize int
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
	// Zone is where leaderboard weeks and months begin. Default UTC.
	Zone *time.Location
}

// DefaultConfig returns the configuration used for zero fields.
func DefaultConfig() Config {
	return Config{
		Expiry:    365 * 24 * time.Hour,
		Tiers:     DefaultTiers(),
		MaxBatch:  512,
		CacheSize: 1 << 16,
		Now:       time.Now,
		Logger:    slog.New(slog.DiscardHandler),
		Zone:      time.UTC,
	}
}

// Ledger is a double-entry points ledger kept in a Store. Every write
// carries an idempotency key and concurrent writes share transactions
// (group commit). A Ledger is safe for concurrent use.
//
// The ledger's points, tiers, expiry and merges are its own methods; its
// reward catalogue and redemptions are a Catalog, its holds a Holds and
// its leaderboards Boards, all on the same store and writer and reachable
// as l.Catalog, l.Holds and l.Boards (their methods are the Ledger's too).
type Ledger struct {
	store    Store
	*Catalog // rewards and redemptions
	*Holds   // points reserved for later capture or release
	*Boards  // leaderboards
	*Expiry  // when members' points expire

	cfg       Config
	w         *writer
	cache     *accountCache
	redirects *redirects // merged accounts
	boards    boardState
	log       *slog.Logger
}

// Open starts a ledger on store: it loads the merged accounts and starts
// the group-commit writer. The caller keeps ownership of store and must
// Close the ledger before closing it. It returns an error wrapping
// ErrBadTiers for an unusable tier table or tier basis.
func Open(store Store, cfg Config) (*Ledger, error) {
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
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = def.CacheSize
	}
	if cfg.Now == nil {
		cfg.Now = def.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = def.Logger
	}
	if cfg.Zone == nil {
		cfg.Zone = def.Zone
	}
	rd := &redirects{}
	if err := store.View(context.Background(), rd.load); err != nil {
		return nil, fmt.Errorf("open ledger: merged accounts: %w", err)
	}
	cache := newAccountCache(cfg.CacheSize, cfg.Now)
	l := &Ledger{store: store, cfg: cfg, cache: cache, redirects: rd, log: cfg.Logger.With("component", "loyalty")}
	l.w = newWriter(store, cfg.MaxBatch, func(s *wtx) {
		if len(s.changed) > 0 {
			cache.publish(s.changed)
		}
		l.committed(s)
	})
	l.Catalog, l.Holds, l.Boards, l.Expiry = &Catalog{l}, &Holds{l}, &Boards{l}, &Expiry{l}
	// Entries the boards lack (a crash, or a database from before them) are applied now.
	if err := l.UpdateBoards(context.Background()); err != nil {
		l.w.close()
		return nil, fmt.Errorf("open ledger: %w", err)
	}
	return l, nil
}

// Close waits for queued writes to commit and stops the writer. Later writes
// return ErrClosed. It does not close the store.
func (l *Ledger) Close() error {
	l.boards.wg.Wait()
	err := l.UpdateBoards(context.Background())
	l.w.close()
	l.boards.wg.Wait()
	if errors.Is(err, ErrClosed) {
		err = nil
	}
	return err
}

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
	out, err := l.w.do(ctx, func(s *wtx) (any, error) {
		if id, ok, err := s.replay(p.Key, KeyPost, h); err != nil || ok {
			return s.replayPost(p.Key, id, err)
		}
		from, err := s.resolve(p.From)
		if err != nil {
			return nil, err
		}
		to, err := s.resolve(p.To)
		if err != nil {
			return nil, err
		}
		if from == to {
			return nil, ErrSameAccount
		}
		amount := p.Amount
		if p.Multiply && to.IsMember() {
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
			if err := s.PutKey(hk, KeyRecord{Kind: KeyHold, Hash: hashOf(hk), Ref: hd.ID}); err != nil {
				return nil, err
			}
			rc.Hold = &hd
		}
		return rc, s.PutKey(p.Key, KeyRecord{Kind: KeyPost, Hash: h, Ref: rc.Entry.ID})
	})
	return l.tierHook(ctx, out, err)
}

// holdSuffix names the hold a Posting with HoldUntil places: its key is the
// posting's key with this suffix.
const holdSuffix = "/hold"

// replayPost is replayReceipt with the hold a HoldUntil posting placed.
func (s *wtx) replayPost(key string, id uint64, err error) (any, error) {
	out, err := replayReceipt(s, id, err)
	if err != nil {
		return nil, err
	}
	rc := out.(Receipt)
	rec, ok, err := s.Key(key + holdSuffix)
	if err != nil {
		return nil, err
	}
	if ok && rec.Kind == KeyHold {
		hd, err := getHold(s, rec.Ref)
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
	out, err := l.w.do(ctx, func(s *wtx) (any, error) {
		if id, ok, err := s.replay(key, KeyReverse, h); err != nil || ok {
			return replayReceipt(s, id, err)
		}
		rec, ok, err := s.Key(originalKey)
		if err != nil {
			return nil, err
		}
		if !ok || rec.Kind != KeyPost && rec.Kind != KeyCapture {
			return nil, fmt.Errorf("reverse %q: %w", originalKey, ErrNotFound)
		}
		rc, err := l.reverse(s, key, rec.Ref, reason)
		if err != nil {
			return nil, err
		}
		return rc, s.PutKey(key, KeyRecord{Kind: KeyReverse, Hash: h, Ref: rc.Entry.ID})
	})
	return l.tierHook(ctx, out, err)
}

// reverse posts the reversal of entry id under key.
func (l *Ledger) reverse(s *wtx, key string, id uint64, reason string) (Receipt, error) {
	orig, err := getEntry(s, id)
	if err != nil {
		return Receipt{}, err
	}
	if orig.Reverses != 0 {
		return Receipt{}, fmt.Errorf("reverse entry %d: %w", id, ErrNotReversible)
	}
	if _, done, err := s.Reversal(id); err != nil {
		return Receipt{}, err
	} else if done {
		return Receipt{}, fmt.Errorf("reverse entry %d: %w", id, ErrAlreadyReversed)
	}
	from, err := s.resolve(orig.To)
	if err != nil {
		return Receipt{}, err
	}
	to, err := s.resolve(orig.From)
	if err != nil {
		return Receipt{}, err
	}
	e := Entry{Key: key, From: from, To: to, Amount: orig.Amount, Reason: reason, Reverses: orig.ID, Spend: orig.Spend}
	return l.post(s, e, postOpts{original: &orig})
}

// Import applies many postings in one transaction, for CSV imports and
// migrations; chunks of about 10,000 postings amortize the commit best (see
// loyaltytest.StoreBenchmarks, BulkImport). It goes through the
// group-commit writer as one write. Each posting is idempotent on its key as with Post. A rejected
// posting writes nothing and is reported in its slot of errs; the others are
// applied. A non-nil error means the transaction failed and nothing was written.
func (l *Ledger) Import(ctx context.Context, ps []Posting) (receipts []Receipt, errs []error, err error) {
	type result struct {
		receipts []Receipt
		errs     []error
	}
	out, err := l.w.do(ctx, func(s *wtx) (any, error) {
		// Results are made afresh: the writer may run this more than once.
		r := result{receipts: make([]Receipt, len(ps)), errs: make([]error, len(ps))}
		for i, p := range ps {
			rc, err := l.importOne(s, p)
			if err != nil && !isRejection(err) {
				return nil, err
			}
			r.receipts[i], r.errs[i] = rc, err
		}
		return r, nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("import: %w", err)
	}
	r := out.(result)
	for i, rc := range r.receipts {
		if r.errs[i] == nil && !rc.Replay && rc.TierChange != nil && l.cfg.OnTierChange != nil {
			l.cfg.OnTierChange(ctx, *rc.TierChange)
		}
	}
	return r.receipts, r.errs, nil
}

// importOne applies one posting of an Import.
func (l *Ledger) importOne(s *wtx, p Posting) (Receipt, error) {
	if err := p.validate(); err != nil {
		return Receipt{}, err
	}
	if !p.HoldUntil.IsZero() {
		return Receipt{}, fmt.Errorf("%w: Import places no holds (HoldUntil)", ErrInvalidAmount)
	}
	h := p.hash()
	if id, ok, err := s.replay(p.Key, KeyPost, h); err != nil || ok {
		return receiptOf(replayReceipt(s, id, err))
	}
	from, err := s.resolve(p.From)
	if err != nil {
		return Receipt{}, err
	}
	to, err := s.resolve(p.To)
	if err != nil {
		return Receipt{}, err
	}
	amount := p.Amount
	if p.Multiply && to.IsMember() {
		if amount, err = l.multiply(s, to, amount); err != nil {
			return Receipt{}, err
		}
	}
	rc, err := l.post(s, Entry{Key: p.Key, From: from, To: to, Amount: amount, Reason: p.Reason, Spend: p.Spend}, postOpts{})
	if err != nil {
		return Receipt{}, err
	}
	return rc, s.PutKey(p.Key, KeyRecord{Kind: KeyPost, Hash: h, Ref: rc.Entry.ID})
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
	c, ok := l.cache.get(a)
	if ok && c.held == 0 {
		return Balance{Account: a, Balance: c.balance, Available: c.balance, Earned: c.earned}, nil
	}
	var b Balance
	ver := l.cache.version()
	err := l.store.View(ctx, func(tx ReadTx) error {
		acc, err := tx.Account(a)
		if err != nil {
			return err
		}
		l.cache.put(a, acc, ver)
		held := acc.Held
		if held > 0 {
			if held, _, err = liveHolds(tx, a, l.cfg.Now()); err != nil {
				return err
			}
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
	err = l.store.View(ctx, func(tx ReadTx) error {
		entries, next = nil, 0
		return stopped(tx.EntriesOf(a, before, func(e Entry) error {
			if len(entries) == limit {
				next = entries[len(entries)-1].ID // there is more
				return errStop
			}
			entries = append(entries, e)
			return nil
		}))
	})
	return entries, next, err
}

// LastEntry returns the newest entry's id (0 when there is none).
func (l *Ledger) LastEntry(ctx context.Context) (uint64, error) {
	var id uint64
	err := l.store.View(ctx, func(tx ReadTx) error {
		return stopped(tx.Entries(func(e Entry) error { id = e.ID; return errStop }))
	})
	return id, err
}

// EntriesAfter returns up to limit entries with ids after after, oldest
// first: the ledger's log, which consumers of domain events read from the
// id they last handled (an entry is written in the same transaction as the
// points it moves, so none is missed after a crash).
func (l *Ledger) EntriesAfter(ctx context.Context, after uint64, limit int) ([]Entry, error) {
	var out []Entry
	err := l.store.View(ctx, func(tx ReadTx) error {
		out = nil
		var newest uint64
		if err := stopped(tx.Entries(func(e Entry) error { newest = e.ID; return errStop })); err != nil {
			return err
		}
		for id := after + 1; id <= newest && len(out) < limit; id++ {
			e, ok, err := tx.Entry(id)
			if err != nil {
				return err
			}
			if ok {
				out = append(out, e)
			}
		}
		return nil
	})
	return out, err
}

// EntryByKey returns the entry written under an idempotency key, or ErrNotFound.
func (l *Ledger) EntryByKey(ctx context.Context, key string) (Entry, error) {
	var e Entry
	err := l.store.View(ctx, func(tx ReadTx) error {
		rec, ok, err := tx.Key(key)
		if err != nil {
			return err
		}
		if !ok || rec.Kind == KeyHold || rec.Kind == KeyVoid || rec.Kind == KeyRedeem || rec.Kind == KeyFulfil {
			return fmt.Errorf("entry %q: %w", key, ErrNotFound)
		}
		e, err = getEntry(tx, rec.Ref)
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
func (l *Ledger) post(s *wtx, e Entry, o postOpts) (Receipt, error) {
	now := l.cfg.Now().UTC()
	e.Time = now
	from, err := s.Account(e.From)
	if err != nil {
		return Receipt{}, err
	}
	to, err := s.Account(e.To)
	if err != nil {
		return Receipt{}, err
	}

	var expiredHolds []Hold
	if e.From.IsMember() {
		held := from.Held
		if held > 0 {
			if held, expiredHolds, err = liveHolds(s, e.From, now); err != nil {
				return Receipt{}, err
			}
		}
		if avail := from.Balance - held + o.release; avail < e.Amount {
			return Receipt{}, &InsufficientFundsError{Account: e.From, Available: from.Balance - held, Required: e.Amount}
		}
	}
	newFrom, newTo := from, to
	if newFrom.Balance, err = addChecked(from.Balance, -e.Amount); err != nil {
		return Receipt{}, err
	}
	if newTo.Balance, err = addChecked(to.Balance, e.Amount); err != nil {
		return Receipt{}, err
	}
	// Earned points: a reversal undoes the original's effect on the
	// original's date. Its accounts are the original's swapped, through
	// merges, so earner names the survivor of a merged original.
	earnAt := now
	who, sign := earner(e.From, e.To)
	if o.original != nil {
		earnAt = o.original.Time
	}
	var earnAcc *Account
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
	// A reversal's lots must be found before the first write.
	var restore []LotUse
	if e.To.IsMember() && o.original != nil && o.original.From.IsMember() {
		if restore, err = s.LotUses(o.original.ID); err != nil {
			return Receipt{}, err
		}
	}

	// All checks passed: write.
	id, err := s.NextEntryID()
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
		if err := s.PutLotUses(id, uses); err != nil {
			return Receipt{}, err
		}
	}
	if e.To.IsMember() {
		if o.original != nil && o.original.From.IsMember() {
			err = s.addLots(e.To, restore)
		} else {
			e.Expires = l.expiryFor(now)
			_, err = s.AddLot(e.To, e.Expires, e.Amount)
		}
		if err != nil {
			return Receipt{}, err
		}
	}
	var tc *TierChange
	if tierCredit != 0 {
		tc = l.addEarned(who, earnAcc, earnAt, tierCredit, now)
	}
	if err := s.PutEntry(e); err != nil {
		return Receipt{}, err
	}
	if e.Reverses != 0 {
		if err := s.PutReversal(e.Reverses, id); err != nil {
			return Receipt{}, err
		}
	}
	if err := s.PutAccount(e.From, newFrom); err != nil {
		return Receipt{}, err
	}
	if err := s.PutAccount(e.To, newTo); err != nil {
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
