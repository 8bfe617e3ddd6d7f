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
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/loyalbot/loyalbot/bots"
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
}

// DefaultConfig returns the default point rules.
func DefaultConfig() Config {
	return Config{
		SignupBonus: 100, CheckinPoints: 10, StreakDays: 7, StreakBonus: 50,
		MessagePoints: 1, MessageCooldown: time.Minute, MessageMinLength: 5,
		Timezone: "UTC", LinkTTL: 10 * time.Minute,
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
	if c.Timezone != "" {
		if _, err := time.LoadLocation(c.Timezone); err != nil {
			errs = append(errs, fmt.Errorf("points.timezone: %w", err))
		}
	}
	return errors.Join(errs...)
}

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

// Community serves the chat commands. It is safe for concurrent use.
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
	router    *bots.Router
	log       *slog.Logger
	now       func() time.Time

	limits   Limits
	stepHook func(op string, step int) error

	mu       sync.Mutex
	activity map[uint64]lastMessage // per member, for message points
	alerted  map[string]time.Time   // manager alerts sent, by kind
	shop     *analysis              // cached shop analysis
	boards   map[string]board       // cached leaderboards, by period
}

type lastMessage struct {
	at   time.Time
	text string
}

// Option configures a Community.
type Option func(*Community)

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
		log: slog.New(slog.DiscardHandler), now: time.Now, activity: map[uint64]lastMessage{}}
	for _, o := range opts {
		o(c)
	}
	if c.limits.ManagerDailyPoints <= 0 {
		c.limits.ManagerDailyPoints = 10_000
	}
	c.log = c.log.With("component", "community")
	return c, nil
}

// Register adds every community command, the free-text handler and the
// join/leave handlers to r, and the community's messages to its catalogue.
func (c *Community) Register(r *bots.Router) {
	c.router = r
	r.Catalog().Add(bots.English, english)
	r.Catalog().Add(bots.Chinese, chinese)
	word := func(name string) bots.Arg { return bots.Arg{Name: name} }
	member := bots.Arg{Name: "member", Kind: bots.ArgMember}
	amount := bots.Arg{Name: "amount", Kind: bots.ArgInt, Min: 1, Max: 1_000_000}
	reason := bots.Arg{Name: "reason", Kind: bots.ArgText}
	grant := bots.Arg{Name: "grant", Kind: bots.ArgInt, Min: 1, Max: 1 << 53}
	periods := []string{"week", "month", "all"}
	if c.ugc != nil {
		periods = append(periods, "ambassadors")
	}
	for _, cmd := range []bots.Command{
		{Name: "start", Help: "cmd.start", Args: []bots.Arg{{Name: "payload", Optional: true, Hidden: true}}, Handler: bots.HandlerFunc(c.start)},
		{Name: "help", Help: "cmd.help", Handler: bots.HandlerFunc(c.help)},
		{Name: "points", Aliases: []string{"balance", "积分"}, Help: "cmd.points", Role: bots.RoleMember, Handler: bots.HandlerFunc(c.points)},
		{Name: "history", Help: "cmd.history", Role: bots.RoleMember, Args: []bots.Arg{{Name: "page", Kind: bots.ArgInt, Min: 1, Max: 1000, Optional: true}}, Handler: bots.HandlerFunc(c.history)},
		{Name: "checkin", Aliases: []string{"签到"}, Help: "cmd.checkin", Role: bots.RoleMember, Handler: bots.HandlerFunc(c.checkin)},
		{Name: "leaderboard", Aliases: []string{"top"}, Help: "cmd.leaderboard", Role: bots.RoleMember, Args: []bots.Arg{{Name: "period", Choices: periods, Optional: true}}, Handler: bots.HandlerFunc(c.leaderboard)},
		{Name: "rewards", Help: "cmd.rewards", Role: bots.RoleMember, Handler: bots.HandlerFunc(c.rewards)},
		{Name: "redeem", Help: "cmd.redeem", Role: bots.RoleMember, Args: []bots.Arg{word("item"), {Name: "action", Choices: []string{"confirm", "cancel"}, Optional: true}, {Name: "nonce", Optional: true, Hidden: true}}, Handler: bots.HandlerFunc(c.redeem)},
		{Name: "link", Help: "cmd.link", Role: bots.RoleMember, Args: []bots.Arg{{Name: "code", Optional: true}}, Handler: bots.HandlerFunc(c.link)},
		{Name: "lang", Help: "cmd.lang", Role: bots.RoleMember, Args: []bots.Arg{{Name: "language", Choices: []string{"en", "zh"}}}, Handler: bots.HandlerFunc(c.lang)},
		{Name: "profile", Help: "cmd.profile", Role: bots.RoleMember, Handler: bots.HandlerFunc(c.profile)},
		{Name: "export", Help: "cmd.export", Role: bots.RoleMember, Handler: bots.HandlerFunc(c.export)},
		{Name: "erase", Help: "cmd.erase", Role: bots.RoleMember, Args: []bots.Arg{{Name: "member", Kind: bots.ArgMember, Optional: true, Hidden: true}, {Name: "confirm", Choices: []string{"confirm"}, Optional: true, Hidden: true}}, Handler: bots.HandlerFunc(c.erase)},
		{Name: "give", Help: "cmd.give", Role: bots.RoleManager, Args: []bots.Arg{member, amount, reason}, Handler: bots.HandlerFunc(c.give)},
		{Name: "take", Help: "cmd.take", Role: bots.RoleManager, Args: []bots.Arg{member, amount, reason}, Handler: bots.HandlerFunc(c.take)},
		{Name: "role", Help: "cmd.role", Role: bots.RoleManager, Args: []bots.Arg{member, {Name: "role", Choices: []string{"member", "ambassador", "manager"}}}, Handler: bots.HandlerFunc(c.setRole)},
		{Name: "redemptions", Help: "cmd.redemptions", Role: bots.RoleManager, Handler: bots.HandlerFunc(c.redemptions)},
		{Name: "fulfil", Aliases: []string{"fulfill"}, Help: "cmd.fulfil", Role: bots.RoleManager, Args: []bots.Arg{word("code"), {Name: "note", Kind: bots.ArgText, Optional: true}}, Handler: bots.HandlerFunc(c.fulfil)},
		{Name: "cancel", Help: "cmd.cancel", Role: bots.RoleManager, Args: []bots.Arg{word("code"), {Name: "reason", Kind: bots.ArgText, Optional: true}}, Handler: bots.HandlerFunc(c.cancel)},
		{Name: "broadcast", Help: "cmd.broadcast", Role: bots.RoleManager, Args: []bots.Arg{{Name: "text", Kind: bots.ArgText, Max: 3500}}, Handler: bots.HandlerFunc(c.broadcast)},
		{Name: "grants", Help: "cmd.grants", Role: bots.RoleOwner, Handler: bots.HandlerFunc(c.grants)},
		{Name: "approve-grant", Help: "cmd.approve_grant", Role: bots.RoleOwner, Args: []bots.Arg{grant}, Handler: bots.HandlerFunc(c.approveGrant)},
		{Name: "reject-grant", Help: "cmd.reject_grant", Role: bots.RoleOwner, Args: []bots.Arg{grant}, Handler: bots.HandlerFunc(c.rejectGrant)},
		{Name: "audit", Help: "cmd.audit", Role: bots.RoleOwner, Args: []bots.Arg{{Name: "member", Kind: bots.ArgMember, Optional: true}}, Handler: bots.HandlerFunc(c.auditLog)},
		{Name: "setup", Help: "cmd.setup", Role: bots.RoleOwner, Args: []bots.Arg{{Name: "setting", Choices: []string{"off"}, Optional: true}}, Handler: bots.HandlerFunc(c.setup)},
	} {
		r.Handle(cmd)
	}
	if c.ugc != nil {
		c.registerUGC(r)
	}
	if c.assistant != nil {
		c.registerSupport(r)
	}
	if c.orders != nil {
		c.registerShop(r)
	}
	r.HandleText(bots.HandlerFunc(c.message))
	r.HandleJoin(bots.HandlerFunc(c.join))
	r.HandleLeave(bots.HandlerFunc(c.leave))
}

// Signup returns middleware that pays the signup bonus to members the
// event registered. Install it after bots.Identify.
func (c *Community) Signup() bots.Middleware {
	return func(next bots.Handler) bots.Handler {
		return bots.HandlerFunc(func(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
			// A newcomer linking to an existing wallet is not a new member:
			// no second signup bonus (a failed link pays it on /start).
			if ev.NewMember && !linking(ev) {
				if _, err := c.ensureSignup(ctx, ev); err != nil {
					return nil, err
				}
			}
			return next.Handle(ctx, ev)
		})
	}
}

// linking reports whether ev links this account to another wallet:
// "/link <code>", or "/start link_<code>" from a Telegram deep link.
func linking(ev *bots.Event) bool {
	switch {
	case ev.Command == "link" && len(ev.Args) > 0:
		return true
	case ev.Command == "start" && len(ev.Args) > 0:
		return strings.HasPrefix(ev.Args[0], "link_")
	}
	return false
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
			c.alertManagers(ctx, "alert.tier_role", m.Name, tc.To.Name, idt.Platform, err.Error())
		}
	}
}

// alertManagers tells every manager privately about something they must
// fix, each in their language, at most once an hour per kind of alert.
func (c *Community) alertManagers(ctx context.Context, key string, args ...any) {
	now := c.now()
	c.mu.Lock()
	if c.alerted == nil {
		c.alerted = map[string]time.Time{}
	}
	last := c.alerted[key]
	if now.Sub(last) < time.Hour {
		c.mu.Unlock()
		return
	}
	c.alerted[key] = now
	c.mu.Unlock()
	c.tellManagers(ctx, false, nil, key, args...)
}

// tellManagers sends managers (or owners only) a private message in their
// language, with buttons (labels are message keys).
func (c *Community) tellManagers(ctx context.Context, ownersOnly bool, buttons []bots.Button, key string, args ...any) {
	if c.notify == nil {
		return
	}
	rs, err := c.members.ManagerAccounts(ctx, ownersOnly)
	if err != nil {
		c.log.WarnContext(ctx, "cannot list managers to tell", "err", err)
		return
	}
	for _, r := range rs {
		loc := localeOr(r.Locale)
		reply := bots.Reply{Text: c.render(loc, key, args...), Private: true}
		if len(buttons) > 0 {
			row := make([]bots.Button, len(buttons))
			for i, b := range buttons {
				row[i] = bots.Button{Label: c.router.Catalog().Format(loc, b.Label), Data: b.Data}
			}
			reply.Buttons = [][]bots.Button{row}
		}
		if err := c.notify.Send(ctx, r.Platform, bots.Address{UserID: r.UserID}, reply); err != nil {
			c.log.DebugContext(ctx, "manager message not delivered", "platform", r.Platform, "user", r.UserID, "err", err)
		}
	}
}

func localeOr(l string) string {
	if l == "" {
		return bots.English
	}
	return l
}

// ensureSignup pays the signup bonus once per member (idempotent on
// "signup:<member>"), and reports whether this call paid it. An account
// that erased its data and came back gets no second bonus.
func (c *Community) ensureSignup(ctx context.Context, ev *bots.Event) (bool, error) {
	if ok, err := c.members.signupAllowed(ctx, ev.Member); err != nil || !ok {
		return false, err
	}
	if c.cfg.SignupBonus <= 0 {
		return false, nil
	}
	rc, err := c.ledger.Credit(ctx, loyalty.Member(ev.Member), "signup", c.cfg.SignupBonus, "signup:"+strconv.FormatUint(ev.Member, 10), "signup bonus")
	if err != nil {
		return false, fmt.Errorf("signup bonus: %w", err)
	}
	return !rc.Replay, nil
}

// personal marks replies private when configured to keep personal data out of groups.
func (c *Community) personal(ev *bots.Event, rs []bots.Reply) []bots.Reply {
	if c.cfg.PrivateReplies && !ev.Private() {
		for i := range rs {
			rs[i].Private = true
		}
	}
	return rs
}

func acct(ev *bots.Event) loyalty.AccountID { return loyalty.Member(ev.Member) }

// today returns the community's current date as YYYY-MM-DD.
func (c *Community) today() (string, time.Time) {
	t := c.now().In(c.loc)
	return t.Format(time.DateOnly), t
}
