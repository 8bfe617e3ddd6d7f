// Package community is loyalbot's application layer: members and their
// identities across platforms, roles, and every chat command. It registers
// the commands on a bots.Router and composes the domain services (the
// loyalty ledger) behind them.
package community

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/community/campaign"
	"github.com/loyalbot/loyalbot/community/support"
	"github.com/loyalbot/loyalbot/loyalty"
	"github.com/loyalbot/loyalbot/loyalty/orders"
	"github.com/loyalbot/loyalbot/ugc"
)

// Config holds the community's point rules. Point amounts are taken as
// given: zero switches that reward off, so start from DefaultConfig. Other
// zero fields mean "use the default".
type Config struct {
	SignupBonus      int64         `yaml:"signup_bonus"`       // default 100; 0: none
	CheckinPoints    int64         `yaml:"checkin_points"`     // default 10; 0: none
	StreakDays       int           `yaml:"streak_days"`        // default 7
	StreakBonus      int64         `yaml:"streak_bonus"`       // default 50; 0: none
	MessagePoints    int64         `yaml:"message_points"`     // default 1; 0: none
	MessageCooldown  time.Duration `yaml:"message_cooldown"`   // default 60s
	MessageMinLength int           `yaml:"message_min_length"` // default 5 characters
	// Timezone decides when a check-in day starts. Default "UTC".
	Timezone string `yaml:"timezone"`
	// LinkTTL is how long a /link code works. Default 10 minutes.
	LinkTTL time.Duration `yaml:"link_ttl"`
	// PrivateReplies sends personal answers (balance, history, profile)
	// privately when asked in a group.
	PrivateReplies bool `yaml:"private_replies"`
	// MembersMaySubmit lets members who are not ambassadors /submit content.
	MembersMaySubmit bool `yaml:"members_may_submit"`
	// AnswerGroupQuestions lets customer service answer any group message
	// that ends with a question mark, not only those that mention the bot.
	AnswerGroupQuestions bool `yaml:"answer_group_questions"`
	// SyncFitCustomers is the most shop customers whose value models a
	// /segments or /member waits for; above it they are fitted in the
	// background. Default 5,000.
	SyncFitCustomers int `yaml:"-"`
}

// DefaultConfig returns the default point rules.
func DefaultConfig() Config {
	return Config{
		SignupBonus: 100, CheckinPoints: 10, StreakDays: 7, StreakBonus: 50,
		MessagePoints: 1, MessageCooldown: time.Minute, MessageMinLength: 5,
		Timezone: "UTC", LinkTTL: 10 * time.Minute, SyncFitCustomers: syncFitCustomers,
	}
}

// Validate returns every setting that cannot work, each naming its key.
func (c Config) Validate() error {
	var errs []error
	for _, f := range []struct {
		key string
		v   int64
	}{{"signup_bonus", c.SignupBonus}, {"checkin_points", c.CheckinPoints}, {"streak_bonus", c.StreakBonus},
		{"message_points", c.MessagePoints}, {"streak_days", int64(c.StreakDays)}, {"message_min_length", int64(c.MessageMinLength)},
		{"message_cooldown", int64(c.MessageCooldown)}, {"link_ttl", int64(c.LinkTTL)}} {
		if f.v < 0 {
			errs = append(errs, fmt.Errorf("points.%s: %d is negative (0 switches it off)", f.key, f.v))
		}
	}
	for key, v := range map[string]int64{"signup_bonus": c.SignupBonus, "checkin_points": c.CheckinPoints, "streak_bonus": c.StreakBonus,
		"message_points": c.MessagePoints} {
		if v > maxRulePoints {
			errs = append(errs, fmt.Errorf("points.%s: %d is more than %d", key, v, maxRulePoints))
		}
	}
	if c.Timezone != "" {
		if _, err := time.LoadLocation(c.Timezone); err != nil {
			errs = append(errs, fmt.Errorf("points.timezone: %w", err))
		}
	}
	return errors.Join(errs...)
}

// maxRulePoints bounds the points one rule pays: a typo of nine more
// digits would otherwise load and then overflow balances.
const maxRulePoints = 1_000_000

func (c *Config) fill() {
	d := DefaultConfig()
	if c.StreakDays == 0 {
		c.StreakDays = d.StreakDays
	}
	if c.MessageCooldown == 0 {
		c.MessageCooldown = d.MessageCooldown
	}
	if c.MessageMinLength == 0 {
		c.MessageMinLength = d.MessageMinLength
	}
	if c.Timezone == "" {
		c.Timezone = d.Timezone
	}
	if c.LinkTTL == 0 {
		c.LinkTTL = d.LinkTTL
	}
	if c.SyncFitCustomers == 0 {
		c.SyncFitCustomers = d.SyncFitCustomers
	}
}

// Limits bound what a manager does without the owner.
type Limits struct {
	// ManagerDailyPoints is the most points a manager gives in a community
	// day (/give, /approve, /feature). Past it a /give waits for the owner's
	// /approve-grant and an approval is refused. Default 10,000; owners have
	// no limit.
	ManagerDailyPoints int64 `yaml:"manager_daily_points"`
}

// Notifier delivers messages outside a conversation, syncs tier roles and
// makes deep links; a bots.Hub is one.
type Notifier interface {
	Send(ctx context.Context, platform string, to bots.Address, replies ...bots.Reply) error
	SyncTier(ctx context.Context, platform, userID, from, to string) error
	DeepLinks(payload string) map[string]string
}

// Community holds the use cases that chat and web share: they take typed
// input, check who may, do the work, audit it, tell the members concerned,
// and return typed results and typed errors. It is safe for concurrent use.
type Community struct {
	cfg     Config
	loc     *time.Location
	members *Members
	ledger  *loyalty.Ledger
	ugc     *ugc.Service

	assistant *support.Assistant
	tickets   *support.Tickets
	orders    *orders.Service
	notify    Notifier
	catalog   *bots.Catalog // renders notifications in each recipient's language
	log       *slog.Logger
	now       func() time.Time

	limits   Limits
	stepHook func(op string, step int) error

	campaigns campaignData // set by NewLifecycle; nil without campaigns

	activity activity     // each member's last paid message
	tell     *notices     // notifications and manager alerts
	insights insightsMemo // the shop analysis
}

// campaignData is what the campaigns hold of members, for /export and
// /erase.
type campaignData interface {
	ExportOf(ctx context.Context, member uint64) (campaign.Export, error)
	Erase(ctx context.Context, member uint64) error
	// DuplicateGrants returns the grant keys of from's runs that repeat a
	// run of to's (same campaign, same occurrence: this year's birthday).
	DuplicateGrants(ctx context.Context, from, to uint64) ([]string, error)
}

// Admin holds the use cases of managers and owners: adjusting points,
// grants, roles, broadcasts, set-up, review of submissions and
// applications, redemptions, tickets and shop links. Each checks the
// actor's role itself and is audited. It shares the Community's services.
type Admin struct{ *Community }

// Admin returns the managers' use cases.
func (c *Community) Admin() *Admin { return &Admin{c} }

// Option configures a Community.
type Option func(*Community)

// WithCatalog sets the catalogue notifications are rendered with; the
// community adds its notification messages to it. Give it the router's, so
// one catalogue holds every message.
func WithCatalog(cat *bots.Catalog) Option { return func(c *Community) { c.catalog = cat } }

// WithLogger sets the logger. The default discards everything.
func WithLogger(l *slog.Logger) Option { return func(c *Community) { c.log = l } }

// WithClock sets the clock. The default is time.Now.
func WithClock(now func() time.Time) Option { return func(c *Community) { c.now = now } }

// WithUGC enables the ambassador programme: submissions, referrals, applications.
func WithUGC(s *ugc.Service) Option { return func(c *Community) { c.ugc = s } }

// WithNotifier sets how notifications and broadcasts are delivered.
func WithNotifier(n Notifier) Option { return func(c *Community) { c.notify = n } }

// WithLimits sets what managers may do without the owner.
func WithLimits(l Limits) Option { return func(c *Community) { c.limits = l } }

// WithStepHook sets a hook called between the steps of /link and /erase
// with (op, step); an error stops the operation there as a crash would.
// For tests of Resume.
func WithStepHook(f func(op string, step int) error) Option {
	return func(c *Community) { c.stepHook = f }
}

// New returns the community service. It fails for a config Validate refuses.
func New(cfg Config, members *Members, ledger *loyalty.Ledger, opts ...Option) (*Community, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.fill()
	loc, err := time.LoadLocation(cfg.Timezone)
	if err != nil {
		return nil, fmt.Errorf("points.timezone %q: %w", cfg.Timezone, err)
	}
	c := &Community{cfg: cfg, loc: loc, members: members, ledger: ledger, limits: Limits{ManagerDailyPoints: 10_000},
		log: slog.New(slog.DiscardHandler), now: time.Now, activity: activity{last: map[uint64]lastMessage{}},
		catalog: bots.NewCatalog()}
	for _, o := range opts {
		o(c)
	}
	c.catalog.Add(bots.English, notificationsEnglish)
	c.catalog.Add(bots.Chinese, notificationsChinese)
	c.log = c.log.With("component", "community")
	c.tell = &notices{send: c.notify, catalog: c.catalog, members: c.members, log: c.log, now: c.now}
	if c.limits.ManagerDailyPoints <= 0 {
		c.limits.ManagerDailyPoints = 10_000
	}
	return c, nil
}

// TierChanged shows a member's new tier on every platform that has tier
// roles. Wire it to loyalty.Config.OnTierChange. A failure (a missing
// permission, a role above the bot's) is logged for the operator; the
// tier itself has changed either way.
func (c *Community) TierChanged(ctx context.Context, tc loyalty.TierChange) {
	id, ok := tc.Account.MemberID()
	if !ok || c.notify == nil {
		return
	}
	m, err := c.members.Get(ctx, id)
	if err != nil {
		c.log.WarnContext(ctx, "tier change for unknown member", "member", id, "err", err)
		return
	}
	for _, idt := range m.Identities {
		if err := c.notify.SyncTier(ctx, idt.Platform, idt.UserID, tc.From.Name, tc.To.Name); err != nil {
			c.log.ErrorContext(ctx, "tier role not synced: check the bot's role permissions and position", "member", id,
				"platform", idt.Platform, "from", tc.From.Name, "to", tc.To.Name, "err", err)
			c.tell.alert(ctx, "alert.tier_role", m.Name, tc.To.Name, idt.Platform, err.Error())
		}
	}
}

// alerts remembers when each kind of manager alert was last sent. It is
// safe for concurrent use.
type alerts struct {
	mu   sync.Mutex
	sent map[string]time.Time
}

// due reports whether an alert of kind key may be sent at now (at most
// once an hour), and records it as sent if so.
func (a *alerts) due(key string, now time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if now.Sub(a.sent[key]) < time.Hour {
		return false
	}
	if a.sent == nil {
		a.sent = map[string]time.Time{}
	}
	a.sent[key] = now
	return true
}

// today returns the community's current date as YYYY-MM-DD.
func (c *Community) today() (string, time.Time) {
	t := c.now().In(c.loc)
	return t.Format(time.DateOnly), t
}
