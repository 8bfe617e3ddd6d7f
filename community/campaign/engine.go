package campaign

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/loyalbot/loyalbot/internal/outbox"
	"github.com/loyalbot/loyalbot/loyalty"
)

// Member is what campaigns know of a member, from the community.
type Member struct {
	ID          uint64
	Name        string
	Locale      string // "en" or "zh"
	Platform    string // the first platform account's
	Role        string
	Joined      time.Time
	LastActive  time.Time
	LastCheckin string // community date of the last check-in, "2006-01-02"
	Birthday    string // "01-02", "" when not set
	Consent     bool   // agreed to marketing messages
	Muted       bool   // turned notifications off (/notifications off)
	Live        bool   // neither left, folded into another member, nor erased
	// Returned is set when an account of the member erased its data
	// before: they rejoined (read for members with a birthday only).
	Returned bool
}

// Audience is the community's member data, as campaigns read it.
type Audience interface {
	// Member returns member id; ok is false when there is none.
	Member(ctx context.Context, id uint64) (m Member, ok bool, err error)
	// Members returns the members of ids there are, in one read.
	Members(ctx context.Context, ids []uint64) (map[uint64]Member, error)
	// ActiveBetween calls fn with the live members whose last activity is
	// in [from, to), oldest first (from the activity index).
	ActiveBetween(ctx context.Context, from, to time.Time, fn func(id uint64, active time.Time) error) error
	// Each calls fn with every live member.
	Each(ctx context.Context, fn func(Member) error) error
	// Segment returns the member's RFM segment ("" when not shop-linked).
	Segment(ctx context.Context, id uint64) (string, error)
}

// Points is the ledger, as campaigns use it.
type Points interface {
	// EntriesAfter returns up to limit ledger entries after id after,
	// oldest first (the ledger's log; see Ledger.EntriesAfter).
	EntriesAfter(ctx context.Context, after uint64, limit int) ([]loyalty.Entry, error)
	// LastEntry returns the newest ledger entry's id.
	LastEntry(ctx context.Context) (uint64, error)
	// Available returns member's spendable balance.
	Available(ctx context.Context, member uint64) (int64, error)
	// Tier returns the name of member's tier.
	Tier(ctx context.Context, member uint64) (string, error)
	// Redeemed reports whether member ever redeemed a reward.
	Redeemed(ctx context.Context, member uint64) (bool, error)
	// Affordable returns a reward in stock member's balance pays for.
	Affordable(ctx context.Context, member uint64) (reward string, ok bool, err error)
	// ExpiringBy calls fn for every lot of a member's points that expires
	// in (after, until], earliest first.
	ExpiringBy(ctx context.Context, after, until time.Time, fn func(member uint64, points int64, at time.Time) error) error
	// Grant credits member with points under an idempotency key: the same
	// key again pays nothing more.
	Grant(ctx context.Context, member uint64, points int64, key, reason string) error
}

// Voice is what the community says in campaigns besides their own texts,
// in the member's language.
type Voice interface {
	// Vars returns the values of the template variables names (see Vars)
	// for a member.
	Vars(ctx context.Context, m Member, names []string) (map[string]string, error)
	// Survey returns a survey's question and answer buttons.
	Survey(locale, survey, campaignID string) (question string, buttons []Choice)
	// Offer describes a coupon for a message's {{offer}}.
	Offer(ctx context.Context, locale string, c Coupon) string
}

// Config configures the engine.
type Config struct {
	Campaigns []Definition
	// HoldoutPct is marketing campaigns' default holdout share (0: none;
	// the configuration's default is 10).
	HoldoutPct int
	// MarketingPerWeek caps marketing messages per member in any 7 days
	// (0: none goes; a negative value: no cap).
	MarketingPerWeek int
	// QuietStart and QuietEnd are the quiet hours, minutes after midnight
	// in Zone (21:00–09:00); equal: none. Due messages wait for the end.
	QuietStart, QuietEnd int
	Zone                 *time.Location
	Now                  func() time.Time
	Log                  *slog.Logger
	// CouponSecret replaces the stored coupon secret (tests that compare
	// transcripts need the same codes every run).
	CouponSecret []byte
}

// Engine runs campaigns. It is safe for concurrent use; Tick and Drain
// are each run by one goroutine at a time.
type Engine struct {
	*Queue   // outgoing messages
	*Surveys // survey answers
	*Coupons // offers' codes
	*triggers

	store    Store
	audience Audience
	points   Points
	voice    Voice
	cfg      Config

	secret []byte // the community's coupon secret, made at the first Load

	tick sync.Mutex // one Tick at a time
	mu   sync.Mutex
	defs map[string]*compiled // current version by id
	old  map[string]*compiled // "id#n" → an older version runs still use
	ids  []string             // in config order
}

type compiled struct {
	def     Definition
	version int
	prog    program
	happens map[string]bool // event types its conditions ask about
}

func newCompiled(d Definition, version int) *compiled {
	c := &compiled{def: d, version: version, prog: compile(d.Steps), happens: map[string]bool{}}
	for _, o := range c.prog {
		if o.kind == opBranch && o.step.If.Happened != "" {
			c.happens[o.step.If.Happened] = true
		}
		if o.kind == opBranch && o.step.If.CheckedIn != nil {
			c.happens[outbox.CheckedIn] = true
		}
		if o.kind == opWaitFor {
			c.happens[o.step.WaitFor] = true
		}
	}
	return c
}

// New returns an engine over store. Call Load before Tick.
func New(store Store, audience Audience, points Points, voice Voice, cfg Config) (*Engine, error) {
	if cfg.Zone == nil {
		cfg.Zone = time.UTC
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	seen := map[string]bool{}
	for _, d := range cfg.Campaigns {
		if err := d.Validate(); err != nil {
			return nil, err
		}
		if seen[d.ID] {
			return nil, fmt.Errorf("campaign %s is defined twice", d.ID)
		}
		seen[d.ID] = true
	}
	e := &Engine{store: store, audience: audience, points: points, voice: voice, cfg: cfg}
	e.Queue, e.Surveys, e.Coupons, e.triggers = &Queue{e}, &Surveys{e}, &Coupons{e}, &triggers{e}
	return e, nil
}

// Load stores each campaign's definition as a new version when it
// changed, and makes the configured set current.
func (e *Engine) Load(ctx context.Context) error {
	defs := map[string]*compiled{}
	var ids []string
	now := e.cfg.Now()
	last, err := e.points.LastEntry(ctx)
	if err != nil {
		return fmt.Errorf("load campaigns: %w", err)
	}
	err = e.store.Update(ctx, func(tx Tx) error {
		// A database from before campaigns holds years of check-ins:
		// campaigns start from now, not from its first entry.
		if cur, err := tx.Cursor(cursorLedger); err != nil {
			return err
		} else if cur == 0 && last > 0 {
			if err := tx.PutCursor(cursorLedger, last); err != nil {
				return err
			}
		}
		secret, err := tx.Secret()
		if err != nil {
			return err
		}
		if len(secret) == 0 {
			secret = make([]byte, 32)
			rand.Read(secret)
			if err := tx.PutSecret(secret); err != nil {
				return err
			}
		}
		e.secret = secret
		if len(e.cfg.CouponSecret) > 0 {
			e.secret = e.cfg.CouponSecret
		}
		for _, d := range e.cfg.Campaigns {
			raw, err := json.Marshal(d)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(raw)
			hash := hex.EncodeToString(sum[:8])
			vs, err := tx.Versions(d.ID)
			if err != nil {
				return err
			}
			n := len(vs)
			if n == 0 || vs[n-1].Hash != hash {
				n++
				if err := tx.PutVersion(d.ID, Version{N: n, Hash: hash, Def: d, Since: now}); err != nil {
					return err
				}
			}
			st, err := tx.State(d.ID)
			if err != nil {
				return err
			}
			if st.First.IsZero() {
				st.First = now
				if err := tx.PutState(d.ID, st); err != nil {
					return err
				}
			}
			defs[d.ID] = newCompiled(d, n)
			ids = append(ids, d.ID)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("load campaigns: %w", err)
	}
	e.mu.Lock()
	e.defs, e.ids, e.old = defs, ids, map[string]*compiled{}
	e.mu.Unlock()
	return nil
}

// current returns the campaigns in config order.
func (e *Engine) current() []*compiled {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]*compiled, 0, len(e.ids))
	for _, id := range e.ids {
		out = append(out, e.defs[id])
	}
	return out
}

// Definition returns the current definition of campaign id.
func (e *Engine) Definition(id string) (Definition, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.defs[id]
	if !ok {
		return Definition{}, false
	}
	return c.def, true
}

// IDs returns the configured campaigns' ids, in config order.
func (e *Engine) IDs() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.ids)
}

// version returns the program a run of campaign id at version n follows:
// nil when the campaign is gone.
func (e *Engine) version(ctx context.Context, id string, n int) (*compiled, error) {
	e.mu.Lock()
	c, ok := e.defs[id]
	if ok && c.version == n {
		e.mu.Unlock()
		return c, nil
	}
	key := id + "#" + strconv.Itoa(n)
	old, ok := e.old[key]
	e.mu.Unlock()
	if ok {
		return old, nil
	}
	var vs []Version
	if err := e.store.View(ctx, func(tx ReadTx) error {
		var err error
		vs, err = tx.Versions(id)
		return err
	}); err != nil {
		return nil, err
	}
	for _, v := range vs {
		if v.N == n {
			c := newCompiled(v.Def, n)
			e.mu.Lock()
			e.old[key] = c
			e.mu.Unlock()
			return c, nil
		}
	}
	return nil, nil
}

// TickReport says what one Tick did.
type TickReport struct {
	Events  int // events read from the outbox and the ledger
	Entered int // runs begun (held-out ones included)
	Steps   int // operations done
}

// Tick does what is due at now: reads new events (entering members and
// recording conversions), evaluates the scan-based triggers, and runs
// every due step. Each part commits as it goes, so a crash loses nothing
// and a repeat repeats nothing.
func (e *Engine) Tick(ctx context.Context, now time.Time) (TickReport, error) {
	e.tick.Lock()
	defer e.tick.Unlock()
	var rep TickReport
	if err := e.consume(ctx, &rep); err != nil {
		return rep, fmt.Errorf("campaign events: %w", err)
	}
	if err := e.scan(ctx, now, &rep); err != nil {
		return rep, fmt.Errorf("campaign triggers: %w", err)
	}
	if err := e.advance(ctx, now, &rep); err != nil {
		return rep, fmt.Errorf("campaign steps: %w", err)
	}
	return rep, nil
}

// NextDue returns when the next step is due (false when none waits).
func (e *Engine) NextDue(ctx context.Context) (time.Time, bool, error) {
	var at time.Time
	var ok bool
	err := e.store.View(ctx, func(tx ReadTx) error {
		var err error
		at, ok, err = tx.NextDue()
		return err
	})
	return at, ok, err
}

// Publish appends an event from outside (an inbound webhook) to the
// outbox; an event whose key is there already is ignored (added false).
func (e *Engine) Publish(ctx context.Context, ev outbox.Event) (added bool, err error) {
	if ev.Key == "" || ev.Type == "" || ev.Member == 0 {
		return false, errors.New("campaign: an event needs a key, a type and a member")
	}
	err = e.store.Update(ctx, func(tx Tx) error {
		added, err = tx.Publish(ev)
		return err
	})
	return added, err
}

// Pause stops (or with paused false resumes) campaign id: no one enters
// and no step runs while it is paused.
func (e *Engine) Pause(ctx context.Context, id string, paused bool) error {
	if _, ok := e.Definition(id); !ok {
		return fmt.Errorf("campaign %q: %w", id, ErrUnknown)
	}
	return e.store.Update(ctx, func(tx Tx) error {
		st, err := tx.State(id)
		if err != nil {
			return err
		}
		st.Paused = paused
		return tx.PutState(id, st)
	})
}

// ErrUnknown says no campaign has the id given.
var ErrUnknown = errors.New("no such campaign")

// heldOut reports whether member is in campaign id's holdout of bp basis
// points: a deterministic hash of (campaign, member), so a member always
// lands on the same side.
func heldOut(id string, member uint64, bp int) bool {
	if bp <= 0 {
		return false
	}
	h := sha256.Sum256([]byte(id + "\x00" + strconv.FormatUint(member, 10)))
	return int(binary.BigEndian.Uint64(h[:8])%10_000) < bp
}

// HeldOut reports whether member is in campaign id's holdout.
func (e *Engine) HeldOut(id string, member uint64) bool {
	d, ok := e.Definition(id)
	return ok && heldOut(id, member, d.holdout(e.holdoutPct()))
}

func (e *Engine) holdoutPct() int { return max(e.cfg.HoldoutPct, 0) }

// grantKey is the idempotency key of a grant at operation pc: the issue's
// campaign:<id>:<member>:<step>, with the entry number after the first.
func grantKey(r Run, pc int) string {
	k := "campaign:" + r.Campaign + ":" + strconv.FormatUint(r.Member, 10) + ":" + strconv.Itoa(pc)
	if r.Entries > 1 {
		k += "#" + strconv.Itoa(r.Entries)
	}
	return k
}

// day returns t's community date.
func (e *Engine) day(t time.Time) string { return t.In(e.cfg.Zone).Format(time.DateOnly) }

// quietUntil returns when the quiet hours around t end, or false when t
// is outside them.
func (e *Engine) quietUntil(t time.Time) (time.Time, bool) {
	s, end := e.cfg.QuietStart, e.cfg.QuietEnd
	if s == end {
		return time.Time{}, false
	}
	lt := t.In(e.cfg.Zone)
	minute := lt.Hour()*60 + lt.Minute()
	midnight := time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, e.cfg.Zone)
	at := func(days, minutes int) time.Time {
		return midnight.AddDate(0, 0, days).Add(time.Duration(minutes) * time.Minute)
	}
	switch {
	case s < end && minute >= s && minute < end:
		return at(0, end), true
	case s > end && minute >= s:
		return at(1, end), true
	case s > end && minute < end:
		return at(0, end), true
	}
	return time.Time{}, false
}

// nextTimeOfDay returns the first time after t that is hh:mm in zone.
func nextTimeOfDay(t time.Time, hhmm string, zone *time.Location) time.Time {
	tod, _ := time.Parse("15:04", hhmm)
	lt := t.In(zone)
	next := time.Date(lt.Year(), lt.Month(), lt.Day(), tod.Hour(), tod.Minute(), 0, 0, zone)
	if !next.After(t) {
		next = next.AddDate(0, 0, 1)
	}
	return next
}

// hasTag reports whether tags holds tag.
func hasTag(tags []string, tag string) bool {
	return slices.ContainsFunc(tags, func(t string) bool { return strings.EqualFold(t, tag) })
}

// errStop ends a walk early; stopped turns it into nil.
var errStop = errors.New("campaign: stop the walk")

func stopped(err error) error {
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}
