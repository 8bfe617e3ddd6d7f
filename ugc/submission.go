// Package ugc runs the ambassador programme: content submissions and their
// review (Service), referral codes and attribution with fraud checks
// (Referrals), and ambassador applications and levels (Ambassadors). It
// knows nothing of chat platforms: it takes member ids and text, and pays
// through a Crediter. Its rules are written against Store; ugc/bolt keeps
// the data in bbolt, and ugc/ugctest holds the conformance suite every
// Store passes.
package ugc

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/loyalbot/loyalbot/loyalty"
)

// Crediter pays points; *loyalty.Ledger is one.
type Crediter interface {
	Post(ctx context.Context, p loyalty.Posting) (loyalty.Receipt, error)
	EntryByKey(ctx context.Context, key string) (loyalty.Entry, error)
}

// Status is where a submission is in review.
type Status string

// Submission statuses.
const (
	Pending  Status = "pending"
	Approved Status = "approved"
	Rejected Status = "rejected"
)

// Submission is a piece of content a member posted about the brand.
type Submission struct {
	ID        uint64    `json:"id"`
	Member    uint64    `json:"member"`
	URL       string    `json:"url"` // as given
	Canonical string    `json:"canonical"`
	Platform  string    `json:"platform"`
	Type      string    `json:"type"` // video or post
	Note      string    `json:"note,omitempty"`
	Status    Status    `json:"status"`
	Points    int64     `json:"points,omitempty"` // paid on approval
	Featured  bool      `json:"featured,omitempty"`
	Reviewer  uint64    `json:"reviewer,omitempty"`
	Reason    string    `json:"reason,omitempty"` // rejection reason or approval note
	Created   time.Time `json:"created"`
	Reviewed  time.Time `json:"reviewed,omitzero"`
	// Replay is true when a call returned an earlier result.
	Replay bool `json:"-"`
}

// Config sets the programme's rules. A zero field means "use the default".
type Config struct {
	// Points per approved post: by "platform/type", "platform" or "type",
	// else Default. Point amounts are taken as given: zero switches a
	// reward off, so start from DefaultConfig.
	Points map[string]int64 `yaml:"points"`
	// Default is the reward when Points has no entry. Default 200.
	Default int64 `yaml:"default"`
	// FeatureBonus is paid when a manager features a post. Default 300.
	FeatureBonus int64 `yaml:"feature_bonus"`
	// DailyQuota caps submissions per member per day. Default 5.
	DailyQuota int `yaml:"daily_quota"`
	// ReferrerReward and RefereeReward are paid when a referral qualifies.
	// Defaults 300 and 100.
	ReferrerReward int64 `yaml:"referrer_reward"`
	RefereeReward  int64 `yaml:"referee_reward"`
	// DailyAttributions caps referrals per referrer per day. Default 20.
	DailyAttributions int `yaml:"daily_attributions"`
	// Levels are the ambassador levels, lowest first. Default DefaultLevels().
	Levels []Level `yaml:"levels"`
	// Location decides where days start for quotas. Default UTC.
	Location *time.Location `yaml:"-"`
	// StepHook, if set, is called between the steps of a paying decision
	// with (op, step); an error stops it there as a crash would. For tests
	// of resumption.
	StepHook func(op string, step int) error `yaml:"-"`
}

// DefaultConfig returns the programme's default rules.
func DefaultConfig() Config {
	return Config{Default: 200, FeatureBonus: 300, DailyQuota: 5, ReferrerReward: 300, RefereeReward: 100,
		DailyAttributions: 20, Levels: DefaultLevels(), Location: time.UTC}
}

// fill sets the defaults of zero fields other than point amounts, which
// are taken as given (zero switches a reward off): start from DefaultConfig.
func (c *Config) fill() {
	d := DefaultConfig()
	if c.DailyQuota == 0 {
		c.DailyQuota = d.DailyQuota
	}
	if c.DailyAttributions == 0 {
		c.DailyAttributions = d.DailyAttributions
	}
	if len(c.Levels) == 0 {
		c.Levels = d.Levels
	}
	if c.Location == nil {
		c.Location = d.Location
	}
}

// RewardFor returns the points an approved submission of platform and type earns.
func (c Config) RewardFor(platform, typ string) int64 {
	for _, k := range []string{platform + "/" + typ, platform, typ} {
		if n, ok := c.Points[k]; ok {
			return n
		}
	}
	return c.Default
}

// Service is the ambassador programme. It runs content submissions and
// their review itself and hands out its other two parts, Referrals and
// Ambassadors, which share its store, ledger and rules. What spans every
// part stays here: erasing and merging a member's data, checking the
// invariants, and resuming the payments any part left unposted. It is safe
// for concurrent use.
type Service struct {
	*programme
	referrals   *Referrals
	ambassadors *Ambassadors
}

// programme is what the parts of the ambassador programme share: the
// store, the ledger that pays, the rules, the clock and the log.
type programme struct {
	store  Store
	ledger Crediter
	cfg    Config
	now    func() time.Time
	log    *slog.Logger
}

// New returns the programme kept in store, paying through pay. It does no
// I/O: the store is opened by its package (ugc/bolt's Open). now defaults
// to time.Now and log to one that discards.
func New(store Store, pay Crediter, cfg Config, now func() time.Time, log *slog.Logger) *Service {
	cfg.fill()
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &programme{store: store, ledger: pay, cfg: cfg, now: now, log: log.With("component", "ugc")}
	amb := &Ambassadors{programme: p}
	return &Service{programme: p, referrals: &Referrals{programme: p, ambassadors: amb}, ambassadors: amb}
}

// Config returns the rules in use.
func (s *Service) Config() Config { return s.cfg }

// Referrals returns the programme's referrals: codes, attribution and
// qualifying payments.
func (s *Service) Referrals() *Referrals { return s.referrals }

// Ambassadors returns the programme's ambassador levels and applications.
func (s *Service) Ambassadors() *Ambassadors { return s.ambassadors }

// day returns today's date in the rules' location, the key of daily quotas.
func (p *programme) day() string { return p.now().In(p.cfg.Location).Format(time.DateOnly) }

// Submit records a member's content link for review. key makes a retried
// submit (a redelivered chat update) return the first result. It returns
// an error wrapping ErrBadURL for a link it refuses, a *DuplicateError
// pointing at the earlier submission of the same content, and ErrQuota
// past the daily quota.
func (s *Service) Submit(ctx context.Context, key string, member uint64, rawURL, note string) (Submission, error) {
	link, err := Canonicalize(rawURL)
	if err != nil {
		return Submission{}, err
	}
	if err := ctx.Err(); err != nil {
		return Submission{}, err
	}
	var sub Submission
	err = s.store.Update(ctx, func(tx Tx) error {
		if id, ok, err := tx.SubmissionIDByKey(key); err != nil {
			return err
		} else if ok {
			sub, err = getSubmission(tx, id)
			sub.Replay = true
			return err
		}
		if id, ok, err := tx.SubmissionIDByURL(link.Canonical); err != nil {
			return err
		} else if ok {
			existing, err := getSubmission(tx, id)
			if err != nil {
				return err
			}
			return &DuplicateError{Existing: existing}
		}
		day := s.day()
		count, err := tx.DailySubmissions(member, day)
		if err != nil {
			return err
		}
		if count >= s.cfg.DailyQuota {
			return fmt.Errorf("%w (%d a day)", ErrQuota, s.cfg.DailyQuota)
		}
		id, err := tx.NextSubmissionID()
		if err != nil {
			return err
		}
		sub = Submission{ID: id, Member: member, URL: rawURL, Canonical: link.Canonical, Platform: link.Platform,
			Type: link.Type, Note: note, Status: Pending, Created: s.now()}
		if err := tx.PutSubmission(sub); err != nil {
			return err
		}
		if err := tx.PutDailySubmissions(member, day, count+1); err != nil {
			return err
		}
		return tx.PutSubmissionKey(key, id)
	})
	return sub, err
}

// Approve approves a pending submission and pays its reward: points, or
// when zero the configured reward for its platform and type times the
// submitter's ambassador level multiplier. The payment is recorded in the
// same transaction as the approval and then posted under
// "ugc-approve:<id>", so approving twice (two managers at once, a button
// pressed twice) pays once, and a crash in between is finished by Resume
// or by approving again; the second call returns the submission marked
// Replay. A rejected submission returns ErrReviewed.
func (s *Service) Approve(ctx context.Context, id, reviewer uint64, points int64, note string) (Submission, error) {
	key := "ugc-approve:" + strconv.FormatUint(id, 10)
	sub, err := s.review(ctx, id, Approved, reviewer, note, func(tx Tx, sub *Submission) error {
		sub.Points = points
		if points <= 0 {
			var err error
			if sub.Points, err = s.reward(tx, *sub); err != nil {
				return err
			}
		}
		if sub.Points <= 0 {
			return nil // content rewards switched off
		}
		return tx.PutPayment(loyalty.Posting{Key: key, From: loyalty.Issuance("ugc"),
			To: loyalty.Member(sub.Member), Amount: sub.Points, Reason: "approved post #" + strconv.FormatUint(id, 10)})
	})
	if err != nil {
		return Submission{}, err
	}
	if err := s.step("approve", 1); err != nil {
		return Submission{}, err
	}
	if _, err := s.pay(ctx, key); err != nil {
		return Submission{}, fmt.Errorf("pay submission #%d: %w", id, err)
	}
	return sub, nil
}

// Quote returns what approving submission id would pay: points when
// positive, else its reward with the submitter's level multiplier. It
// returns ErrNotFound for an unknown submission.
func (s *Service) Quote(ctx context.Context, id uint64, points int64) (Submission, int64, error) {
	if err := ctx.Err(); err != nil {
		return Submission{}, 0, err
	}
	var sub Submission
	var n int64
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		if sub, err = getSubmission(tx, id); err != nil {
			return err
		}
		n = points
		if n <= 0 {
			n, err = s.reward(tx, sub)
		}
		return err
	})
	return sub, n, err
}

func (s *Service) reward(tx ReadTx, sub Submission) (int64, error) {
	lvl, err := s.ambassadors.levelTx(tx, sub.Member)
	if err != nil {
		return 0, err
	}
	return s.cfg.RewardFor(sub.Platform, sub.Type) * lvl.Multiplier / 100, nil
}

// Reject rejects a pending submission with a reason (which may be empty).
// Rejecting again is a replay; an approved submission returns ErrReviewed.
func (s *Service) Reject(ctx context.Context, id, reviewer uint64, reason string) (Submission, error) {
	return s.review(ctx, id, Rejected, reviewer, reason, nil)
}

// review decides a pending submission: status to, with a note; decide, if
// set, runs inside the transaction (an approval prices and records its
// payment there). Deciding the same way again is a replay; the other way
// returns ErrReviewed.
func (s *Service) review(ctx context.Context, id uint64, to Status, reviewer uint64, note string, decide func(Tx, *Submission) error) (Submission, error) {
	if err := ctx.Err(); err != nil {
		return Submission{}, err
	}
	var sub Submission
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		if sub, err = getSubmission(tx, id); err != nil {
			return err
		}
		switch sub.Status {
		case to:
			sub.Replay = true
			return nil
		case Approved, Rejected:
			return fmt.Errorf("%s #%d: %w", to, id, ErrReviewed)
		}
		if decide != nil {
			if err := decide(tx, &sub); err != nil {
				return err
			}
		}
		sub.Status, sub.Reviewer, sub.Reason, sub.Reviewed = to, reviewer, note, s.now()
		return tx.PutSubmission(sub) // out of the pending index with its status
	})
	return sub, err
}

// Feature marks an approved submission as featured and pays the bonus once
// ("ugc-feature:<id>", recorded with the mark and posted after it). It
// returns ErrNotApproved for any other submission.
func (s *Service) Feature(ctx context.Context, id, reviewer uint64) (Submission, int64, error) {
	key := "ugc-feature:" + strconv.FormatUint(id, 10)
	var sub Submission
	err := s.store.Update(ctx, func(tx Tx) error {
		var err error
		if sub, err = getSubmission(tx, id); err != nil {
			return err
		}
		if sub.Status != Approved {
			return fmt.Errorf("feature #%d: %w", id, ErrNotApproved)
		}
		if sub.Replay = sub.Featured; sub.Replay {
			return nil
		}
		sub.Featured = true
		if s.cfg.FeatureBonus <= 0 {
			return tx.PutSubmission(sub)
		}
		if err := tx.PutPayment(loyalty.Posting{Key: key, From: loyalty.Issuance("ugc"),
			To: loyalty.Member(sub.Member), Amount: s.cfg.FeatureBonus, Reason: "featured post #" + strconv.FormatUint(id, 10)}); err != nil {
			return err
		}
		return tx.PutSubmission(sub)
	})
	if err != nil {
		return Submission{}, 0, err
	}
	if err := s.step("feature", 1); err != nil {
		return Submission{}, 0, err
	}
	rc, err := s.pay(ctx, key)
	if err != nil {
		return Submission{}, 0, fmt.Errorf("pay feature #%d: %w", id, err)
	}
	return sub, rc.Entry.Amount, nil
}

// Get returns a submission, or ErrNotFound.
func (s *Service) Get(ctx context.Context, id uint64) (Submission, error) {
	var sub Submission
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		sub, err = getSubmission(tx, id)
		return err
	})
	return sub, err
}

// Filter selects submissions; zero fields match everything.
type Filter struct {
	Member   uint64
	Status   Status
	Platform string
}

// Queue returns up to limit pending submissions, oldest first.
func (s *Service) Queue(ctx context.Context, limit int) ([]Submission, error) {
	var out []Submission
	err := s.store.View(ctx, func(tx ReadTx) error {
		return stopped(tx.PendingIDs(func(id uint64) error {
			if len(out) >= limit {
				return errStop
			}
			sub, err := getSubmission(tx, id)
			if err != nil {
				return err
			}
			out = append(out, sub)
			return nil
		}))
	})
	return out, err
}

// List returns up to limit submissions matching f, newest first.
func (s *Service) List(ctx context.Context, f Filter, limit int) ([]Submission, error) {
	var out []Submission
	keep := func(sub Submission) {
		if (f.Status == "" || sub.Status == f.Status) && (f.Platform == "" || sub.Platform == f.Platform) &&
			(f.Member == 0 || sub.Member == f.Member) {
			out = append(out, sub)
		}
	}
	err := s.store.View(ctx, func(tx ReadTx) error {
		if f.Member != 0 {
			return stopped(tx.SubmissionIDsOf(f.Member, NewestFirst, func(id uint64) error {
				if len(out) >= limit {
					return errStop
				}
				sub, err := getSubmission(tx, id)
				if err != nil {
					return err
				}
				keep(sub)
				return nil
			}))
		}
		return stopped(tx.Submissions(NewestFirst, func(sub Submission) error {
			if len(out) >= limit {
				return errStop
			}
			keep(sub)
			return nil
		}))
	})
	return out, err
}
