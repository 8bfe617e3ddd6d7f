package main

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/loyalbot/loyalbot/community"
	"github.com/loyalbot/loyalbot/community/campaign"
	"github.com/loyalbot/loyalbot/community/mail"
	"github.com/loyalbot/loyalbot/community/support"
	"github.com/loyalbot/loyalbot/community/web"
	"github.com/loyalbot/loyalbot/internal/outbox"
	"github.com/loyalbot/loyalbot/loyalty"
	"github.com/loyalbot/loyalbot/loyalty/orders"
	"github.com/loyalbot/loyalbot/ugc"
	"go.yaml.in/yaml/v3"
)

//go:embed default.yaml
var defaultYAML []byte

// Config is loyalbot's configuration: the embedded default, then the
// --config file, then the environment.
type Config struct {
	DB             string           `yaml:"db"`
	HTTP           string           `yaml:"http"`
	Owners         []string         `yaml:"owners"`
	RateLimit      RateLimitConfig  `yaml:"rate_limit"`
	ExpiryInterval time.Duration    `yaml:"expiry_interval"`
	Points         community.Config `yaml:"points"`
	Loyalty        LoyaltyConfig    `yaml:"loyalty"`
	Rewards        []loyalty.Reward `yaml:"rewards"`
	UGC            ugc.Config       `yaml:"ugc"`
	Support        SupportConfig    `yaml:"support"`
	Discord        DiscordConfig    `yaml:"discord"`
	Telegram       TelegramConfig   `yaml:"telegram"`
	Orders         orders.Config    `yaml:"orders"`
	Limits         community.Limits `yaml:"limits"`
	HTTPLimits     web.Limits       `yaml:"http_limits"`
	// Campaigns are custom lifecycle campaigns; one with a playbook's id
	// replaces that playbook.
	Campaigns []campaign.Definition `yaml:"campaigns"`
	// Playbooks switches built-in playbooks off: {winback: false}.
	Playbooks     map[string]bool `yaml:"playbooks"`
	CampaignRules CampaignRules   `yaml:"campaign_rules"`
	Email         EmailConfig     `yaml:"email"`
	Webhooks      []WebhookConfig `yaml:"webhooks"`

	// OrdersSecret signs the order webhook (LOYALBOT_ORDERS_SECRET).
	OrdersSecret Secret `yaml:"-"`
	// AdminToken guards /admin/* (LOYALBOT_ADMIN_TOKEN, else a 0600 file
	// generated beside the database).
	AdminToken Secret `yaml:"-"`

	// From the environment only.
	TelegramToken Secret `yaml:"-"`
	DiscordToken  Secret `yaml:"-"`

	// stepHook stops multi-step operations between their steps, as a crash
	// would; tests of Resume set it.
	stepHook func(op string, step int) error
	// couponSecret fixes the coupon codes (golden transcripts).
	couponSecret []byte
}

// TelegramConfig configures the Telegram adapter. Chats comes from the
// config file; the rest from TELEGRAM_API_URL, TELEGRAM_WEBHOOK_URL and
// TELEGRAM_WEBHOOK_SECRET.
type TelegramConfig struct {
	// Chats are the group chat ids that belong to the community: their
	// administrators are managers (owners add more with /setup).
	Chats []string `yaml:"chats"`

	APIURL        string `yaml:"-"` // another Bot API server; empty for Telegram's
	WebhookURL    string `yaml:"-"` // receive updates here instead of long polling
	WebhookSecret Secret `yaml:"-"` // the secret token Telegram sends; empty: random per start
}

// SupportConfig configures customer service.
type SupportConfig struct {
	FAQ     string        `yaml:"faq"`     // FAQ file; empty: the built-in one (LOYALBOT_FAQ overrides)
	Model   string        `yaml:"model"`   // chat model (LOYALBOT_MODEL overrides)
	Timeout time.Duration `yaml:"timeout"` // per question
	// DailyTokens caps model tokens per member and day.
	DailyTokens int `yaml:"daily_tokens"`
	// OfficeHours are when people answer /human tickets, such as "Mon-Fri
	// 09:00-18:00, Sat 10:00-14:00"; outside them members are told when to
	// expect a reply. Empty: always.
	OfficeHours string `yaml:"office_hours"`
	// Timezone is the office hours' zone. Empty: points.timezone.
	Timezone string `yaml:"timezone"`
	// NotifyEvery is how often managers get one private digest of the
	// tickets opened since the last. Default 5 minutes.
	NotifyEvery time.Duration `yaml:"notify_every"`
	// EmbeddingsModel turns on semantic retrieval: FAQ entries and
	// questions are embedded with this model through /v1/embeddings and
	// fused with the offline ranking. Empty: offline only.
	EmbeddingsModel string `yaml:"embeddings_model"`
	// EmbeddingsURL is the OpenAI-compatible endpoint for embeddings, such
	// as a local Ollama's http://localhost:11434/v1. Empty: OPENAI_BASE_URL.
	EmbeddingsURL string `yaml:"embeddings_base_url"`
	// EmbeddingsThreshold is the cosine from which the closest entry is
	// answered on embeddings alone. Zero: fitted on the FAQ's own
	// questions whenever it is indexed.
	EmbeddingsThreshold float64 `yaml:"embeddings_threshold"`

	// From the environment only.
	APIKey  Secret `yaml:"-"` // OPENAI_API_KEY
	BaseURL string `yaml:"-"` // OPENAI_BASE_URL: OpenAI, DeepSeek, Qwen, a local Ollama...
}

// DiscordConfig configures the Discord adapter.
type DiscordConfig struct {
	ManagerRole string            `yaml:"manager_role"` // role id whose holders are managers
	TierRoles   map[string]string `yaml:"tier_roles"`   // tier name → role id
	// Guilds are the servers that belong to the community: members with
	// Manage Server there are managers. DISCORD_GUILD_ID counts as one.
	Guilds []string `yaml:"guilds"`

	// From the environment only.
	APIURL     string `yaml:"-"` // DISCORD_API_URL
	GuildID    string `yaml:"-"` // DISCORD_GUILD_ID
	ShardID    int    `yaml:"-"` // DISCORD_SHARD_ID
	ShardCount int    `yaml:"-"` // DISCORD_SHARD_COUNT
}

// EmailConfig configures the e-mail channel; it is on when
// LOYALBOT_SMTP_URL is set.
type EmailConfig struct {
	From      string `yaml:"from"`       // the From address, such as "Lumen Tea <hello@lumen.example>"
	PublicURL string `yaml:"public_url"` // where loyalbot's HTTP server is reached, for unsubscribe links

	SMTPURL Secret `yaml:"-"` // LOYALBOT_SMTP_URL: smtp://user:password@host:587 or smtps://...
}

// WebhookConfig is one outbound webhook.
type WebhookConfig struct {
	URL    string   `yaml:"url"`
	Events []string `yaml:"events"` // event types; empty: all
	// SecretEnv names the environment variable holding the signing secret
	// (secrets never go in the config file).
	SecretEnv string `yaml:"secret_env"`

	secret Secret
}

// CampaignRules are the guard rails every campaign runs within.
type CampaignRules struct {
	// HoldoutPct is marketing campaigns' default holdout share.
	HoldoutPct int `yaml:"holdout_pct"`
	// MarketingPerWeek caps marketing messages per member in any 7 days;
	// 0 means none may go.
	MarketingPerWeek int `yaml:"marketing_per_week"`
	// QuietHours are when no campaign message goes out ("21:00-09:00", in
	// points.timezone); due messages wait for their end. Empty: none.
	QuietHours string `yaml:"quiet_hours"`
	// Every is how often campaigns are evaluated.
	Every time.Duration `yaml:"every"`
	// SendsPerSecond caps campaign messages a second, below the platforms'
	// own limits, so members' replies always find room.
	SendsPerSecond float64 `yaml:"sends_per_second"`
}

// checkCampaigns checks what a campaign's definition cannot know alone:
// every text members read is in English and Chinese (a zh member must not
// get English), and offered rewards are in the catalogue.
func (c Config) checkCampaigns(defs []campaign.Definition) []error {
	var errs []error
	rewards := map[string]bool{}
	for _, r := range c.Rewards {
		rewards[r.ID] = true
	}
	for _, d := range defs {
		d.Texts(func(where string, t campaign.Text) {
			if len(t) > 0 && (t["en"] == "" || t["zh"] == "") {
				errs = append(errs, fmt.Errorf("campaign %s: %s needs en and zh texts", d.ID, where))
			}
		})
		for _, o := range d.Offers() {
			if o.Reward != "" && !rewards[o.Reward] {
				errs = append(errs, fmt.Errorf("campaign %s: offer of reward %q, which is not in rewards:", d.ID, o.Reward))
			}
		}
	}
	return errs
}

// ownEvents are the event types loyalbot records itself; any other a
// campaign waits on must come from POST /webhooks/events.
var ownEvents = []string{outbox.MemberJoined, outbox.CheckedIn, outbox.PointsEarned, outbox.PointsRedeemed, outbox.PointsExpired,
	outbox.TierChanged, outbox.OrderPaid, outbox.OrderRefunded, outbox.SubmissionApproved, outbox.ReferralQualified,
	outbox.TicketClosed, outbox.SurveyAnswered, campaign.SegmentChanged}

// warnForeignEvents logs each campaign event type loyalbot does not record
// itself: a typo (chekced_in), or one the shop must post.
func warnForeignEvents(log *slog.Logger, defs []campaign.Definition) {
	for _, d := range defs {
		for _, ev := range d.Events() {
			if !slices.Contains(ownEvents, ev) {
				log.Warn("campaign waits on an event loyalbot does not record itself: it must come from POST /webhooks/events",
					"campaign", d.ID, "event", ev, "own", strings.Join(ownEvents, ", "))
			}
		}
	}
}

// campaignConfig returns the engine's configuration: the playbooks
// switched on, then the custom campaigns, and the guard rails.
func (c Config) campaignConfig() (campaign.Config, error) {
	pbs, err := campaign.Playbooks()
	if err != nil {
		return campaign.Config{}, err
	}
	defs, err := campaign.Merge(pbs, c.Playbooks, c.Campaigns)
	if err != nil {
		return campaign.Config{}, err
	}
	cc := campaign.Config{Campaigns: defs, HoldoutPct: c.CampaignRules.HoldoutPct, MarketingPerWeek: c.CampaignRules.MarketingPerWeek}
	if q := strings.TrimSpace(c.CampaignRules.QuietHours); q != "" {
		from, to, ok := strings.Cut(q, "-")
		start, err1 := time.Parse("15:04", strings.TrimSpace(from))
		end, err2 := time.Parse("15:04", strings.TrimSpace(to))
		if !ok || err1 != nil || err2 != nil {
			return campaign.Config{}, fmt.Errorf("campaign_rules.quiet_hours %q: want a range like 21:00-09:00", q)
		}
		cc.QuietStart, cc.QuietEnd = start.Hour()*60+start.Minute(), end.Hour()*60+end.Minute()
	}
	return cc, nil
}

// RateLimitConfig is the per-member command rate limit.
type RateLimitConfig struct {
	Burst    int           `yaml:"burst"`
	Interval time.Duration `yaml:"interval"`
}

// LoyaltyConfig configures the ledger.
type LoyaltyConfig struct {
	ExpiryDays int            `yaml:"expiry_days"`
	Tiers      []loyalty.Tier `yaml:"tiers"`
	TierBasis  string         `yaml:"tier_basis"` // points (default) or spend
}

// Secret is a token that never reaches a log line.
type Secret string

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// String hides the secret from fmt as well.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "***"
}

// LoadConfig reads the default configuration, overlays the file at path
// (if not empty) and then the environment.
func LoadConfig(path string, getenv func(string) string) (Config, error) {
	var cfg Config
	if err := decodeStrict(defaultYAML, &cfg); err != nil {
		return Config{}, fmt.Errorf("default config: %w", err)
	}
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("config: %w", err)
		}
		if err := decodeStrict(b, &cfg); err != nil {
			return Config{}, fmt.Errorf("config %s: %w", path, err)
		}
	}
	if v := getenv("LOYALBOT_DB"); v != "" {
		cfg.DB = v
	}
	if v := getenv("LOYALBOT_HTTP"); v != "" {
		cfg.HTTP = v
	}
	if v := getenv("LOYALBOT_FAQ"); v != "" {
		cfg.Support.FAQ = v
	}
	if v := getenv("LOYALBOT_MODEL"); v != "" {
		cfg.Support.Model = v
	}
	cfg.Support.APIKey, cfg.Support.BaseURL = Secret(getenv("OPENAI_API_KEY")), getenv("OPENAI_BASE_URL")
	cfg.TelegramToken = Secret(getenv("TELEGRAM_BOT_TOKEN"))
	cfg.Telegram.APIURL, cfg.Telegram.WebhookURL = getenv("TELEGRAM_API_URL"), getenv("TELEGRAM_WEBHOOK_URL")
	cfg.Telegram.WebhookSecret = Secret(getenv("TELEGRAM_WEBHOOK_SECRET"))
	cfg.AdminToken = Secret(getenv("LOYALBOT_ADMIN_TOKEN"))
	cfg.DiscordToken = Secret(getenv("DISCORD_BOT_TOKEN"))
	cfg.OrdersSecret = Secret(getenv("LOYALBOT_ORDERS_SECRET"))
	cfg.Email.SMTPURL = Secret(getenv("LOYALBOT_SMTP_URL"))
	for i := range cfg.Webhooks {
		if env := cfg.Webhooks[i].SecretEnv; env != "" {
			cfg.Webhooks[i].secret = Secret(getenv(env))
		}
	}
	cfg.Discord.APIURL, cfg.Discord.GuildID = getenv("DISCORD_API_URL"), getenv("DISCORD_GUILD_ID")
	for name, dst := range map[string]*int{"DISCORD_SHARD_ID": &cfg.Discord.ShardID, "DISCORD_SHARD_COUNT": &cfg.Discord.ShardCount} {
		if v := getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return Config{}, fmt.Errorf("%s=%q: want a whole number", name, v)
			}
			*dst = n
		}
	}
	return cfg, cfg.validate()
}

// decodeStrict decodes YAML, rejecting unknown keys so a typo in the
// config is an error rather than a silently ignored setting.
func decodeStrict(b []byte, v any) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) { // an empty file changes nothing
		return err
	}
	return nil
}

func (c Config) validate() error {
	var errs []error
	if c.DB == "" {
		errs = append(errs, errors.New("db: must not be empty"))
	}
	if c.RateLimit.Burst <= 0 || c.RateLimit.Interval <= 0 {
		errs = append(errs, errors.New("rate_limit: burst and interval must be positive"))
	}
	if c.ExpiryInterval <= 0 {
		errs = append(errs, errors.New("expiry_interval: must be positive"))
	}
	if _, err := c.officeHours(); err != nil {
		errs = append(errs, err)
	}
	if cc, err := c.campaignConfig(); err != nil {
		errs = append(errs, err)
	} else if _, err := campaign.New(nil, nil, nil, nil, cc); err != nil { // validates every definition
		errs = append(errs, fmt.Errorf("campaigns: %w", err))
	} else {
		errs = append(errs, c.checkCampaigns(cc.Campaigns)...)
	}
	for i, w := range c.Webhooks {
		if u, err := url.Parse(w.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, fmt.Errorf("webhooks[%d].url %q: an http(s) URL", i, w.URL))
		}
		if w.secret == "" {
			errs = append(errs, fmt.Errorf("webhooks[%d]: secret_env must name a set environment variable holding the signing secret", i))
		}
	}
	if c.Email.SMTPURL != "" {
		if _, err := mail.NewSMTP(string(c.Email.SMTPURL), c.Email.From); err != nil {
			errs = append(errs, err)
		}
		if u, err := url.Parse(c.Email.PublicURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, fmt.Errorf("email.public_url %q: the http(s) address members reach loyalbot at, for unsubscribe links", c.Email.PublicURL))
		}
	}
	switch r := c.CampaignRules; {
	case r.HoldoutPct < 0 || r.HoldoutPct > 50:
		errs = append(errs, fmt.Errorf("campaign_rules.holdout_pct: %d is not between 0 and 50", r.HoldoutPct))
	case r.MarketingPerWeek < 0:
		errs = append(errs, fmt.Errorf("campaign_rules.marketing_per_week: %d is negative", r.MarketingPerWeek))
	case r.Every <= 0:
		errs = append(errs, errors.New("campaign_rules.every: must be positive"))
	case r.SendsPerSecond <= 0:
		errs = append(errs, errors.New("campaign_rules.sends_per_second: must be positive"))
	}
	if err := c.Points.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.Limits.ManagerDailyPoints < 0 {
		errs = append(errs, errors.New("limits.manager_daily_points: must not be negative"))
	}
	for key, v := range map[string]int64{"orders.points_per_unit": c.Orders.PointsPerUnit, "orders.max_amount": c.Orders.MaxAmount,
		"orders.max_age_days": int64(c.Orders.MaxAgeDays)} {
		if v < 0 {
			errs = append(errs, fmt.Errorf("%s: %d is negative", key, v))
		}
	}
	for cur, r := range c.Orders.Rates {
		if r <= 0 {
			errs = append(errs, fmt.Errorf("orders.rates.%s: %v is not a positive rate", cur, r))
		}
	}
	for key, v := range map[string]int64{"ugc.default": c.UGC.Default, "ugc.feature_bonus": c.UGC.FeatureBonus,
		"ugc.referrer_reward": c.UGC.ReferrerReward, "ugc.referee_reward": c.UGC.RefereeReward,
		"ugc.daily_quota": int64(c.UGC.DailyQuota), "ugc.daily_attributions": int64(c.UGC.DailyAttributions)} {
		if v < 0 {
			errs = append(errs, fmt.Errorf("%s: %d is negative", key, v))
		}
	}
	for key, d := range map[string]time.Duration{"http_limits.read_header_timeout": c.HTTPLimits.ReadHeaderTimeout,
		"http_limits.read_timeout": c.HTTPLimits.ReadTimeout, "http_limits.write_timeout": c.HTTPLimits.WriteTimeout,
		"http_limits.idle_timeout": c.HTTPLimits.IdleTimeout} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s: must be positive", key))
		}
	}
	seen := map[string]bool{}
	for _, r := range c.Rewards {
		if err := r.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("rewards: %w", err))
		}
		if seen[r.ID] {
			errs = append(errs, fmt.Errorf("rewards: id %q listed twice", r.ID))
		}
		seen[r.ID] = true
	}
	return errors.Join(errs...)
}

// ledgerConfig turns the loyalty section into a loyalty.Config.
func (c Config) ledgerConfig() loyalty.Config {
	lc := loyalty.Config{Tiers: c.Loyalty.Tiers, TierBasis: c.Loyalty.TierBasis}
	switch {
	case c.Loyalty.ExpiryDays < 0:
		lc.Expiry = -1
	case c.Loyalty.ExpiryDays > 0:
		lc.Expiry = time.Duration(c.Loyalty.ExpiryDays) * 24 * time.Hour
	}
	return lc
}

// officeHours parses support.office_hours in support.timezone (or
// points.timezone); nil means always open.
func (c Config) officeHours() (*support.OfficeHours, error) {
	tz := c.Support.Timezone
	if tz == "" {
		tz = c.Points.Timezone
	}
	zone, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("support.timezone: %w", err)
	}
	h, err := support.ParseOfficeHours(c.Support.OfficeHours, zone)
	if err != nil {
		return nil, fmt.Errorf("support.office_hours: %w", err)
	}
	return h, nil
}
