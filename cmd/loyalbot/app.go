package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/community"
	communitybolt "github.com/loyalbot/loyalbot/community/bolt"
	"github.com/loyalbot/loyalbot/community/campaign"
	campaignbolt "github.com/loyalbot/loyalbot/community/campaign/bolt"
	"github.com/loyalbot/loyalbot/community/chat"
	"github.com/loyalbot/loyalbot/community/mail"
	"github.com/loyalbot/loyalbot/community/schedule"
	"github.com/loyalbot/loyalbot/community/support"
	"github.com/loyalbot/loyalbot/loyalty"
	loyaltybolt "github.com/loyalbot/loyalbot/loyalty/bolt"
	"github.com/loyalbot/loyalbot/loyalty/orders"
	"github.com/loyalbot/loyalbot/ugc"
	ugcbolt "github.com/loyalbot/loyalbot/ugc/bolt"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
	"golang.org/x/time/rate"
)

// App is loyalbot wired together: the store, the services and the router.
type App struct {
	Config     Config
	DB         *bolt.DB
	Ledger     *loyalty.Ledger
	Loyalty    *loyaltybolt.Store // the ledger's store, in DB
	Members    *community.Members
	Community  *community.Community
	UGC        *ugc.Service
	Assistant  *support.Assistant
	Semantic   *support.Semantic // nil unless support.embeddings_model is set
	Orders     *orders.Service
	Lifecycle  *community.Lifecycle // campaigns
	Router     *bots.Router
	Scheduler  *schedule.Scheduler
	Hub        *bots.Hub
	Log        *slog.Logger
	now        func() time.Time
	clock      *clock        // the one clock now reads; the shell's !clock moves it
	faqMod     time.Time     // the FAQ file's modification time when loaded
	ran        []string      // jobs a !clock jump ran on its way
	sends      *rate.Limiter // campaign messages a second
	sending    atomic.Bool   // serve's sender runs: the campaigns job only wakes it
	wakeSender chan struct{}
}

// errLocked says another loyalbot holds the database.
var errLocked = errors.New("the database is in use by another loyalbot process")

// openDB opens the bbolt file with loyalbot's options.
func openDB(path string, readOnly bool) (*bolt.DB, error) {
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create %s: %w", dir, err)
		}
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:  time.Second,
		ReadOnly: readOnly,
		// The freelist is synced: without it every open walks every page
		// to rebuild it (365–415 ms at 100k members, and the whole file
		// read into memory); with it open takes a fraction of a millisecond.
		NoFreelistSync: false,
		FreelistType:   bolt.FreelistMapType,
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("open %s: %w", path, errLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// OpenApp opens the database and builds every service and the router.
// consoleOwner is the console user who owns the community.
// Before it returns, it finishes what a crash interrupted (see resume).
func OpenApp(ctx context.Context, cfg Config, consoleOwner string, log *slog.Logger, now func() time.Time) (*App, error) {
	app, err := openApp(ctx, cfg, consoleOwner, log, now)
	if err != nil {
		return nil, err
	}
	if err := app.resume(ctx); err != nil {
		app.Close()
		return nil, err
	}
	return app, nil
}

// openApp is OpenApp without resuming: for verify, which reports
// unfinished work instead of doing it.
func openApp(ctx context.Context, cfg Config, consoleOwner string, log *slog.Logger, now func() time.Time) (*App, error) {
	db, err := openDB(cfg.DB, false)
	if err != nil {
		return nil, err
	}
	clk := &clock{base: now}
	app := &App{Config: cfg, DB: db, Hub: bots.NewHub(), Log: log, now: clk.Now, clock: clk}
	if err := app.build(ctx, consoleOwner, clk.Now); err != nil {
		app.Close()
		return nil, err
	}
	return app, nil
}

func (a *App) build(ctx context.Context, consoleOwner string, now func() time.Time) error {
	cfg := a.Config
	// Leaderboard weeks and submission quotas count the same days as check-ins.
	zone, err := time.LoadLocation(cfg.Points.Timezone)
	if err != nil {
		return fmt.Errorf("points.timezone: %w", err)
	}
	lc := cfg.ledgerConfig()
	lc.Now, lc.Logger, lc.Zone = now, a.Log, zone
	lc.OnTierChange = func(ctx context.Context, tc loyalty.TierChange) {
		if a.Community != nil { // chat roles follow tiers, whatever moved the points
			a.Community.TierChanged(ctx, tc)
		}
		if a.Lifecycle != nil {
			a.Lifecycle.TierChanged(ctx, tc)
		}
	}
	if a.Loyalty, err = loyaltybolt.Open(a.DB); err != nil {
		return err
	}
	if a.Ledger, err = loyalty.Open(a.Loyalty, lc); err != nil {
		return err
	}
	for _, r := range cfg.Rewards {
		if err := a.Ledger.PutReward(ctx, r); err != nil {
			return fmt.Errorf("reward %s: %w", r.ID, err)
		}
	}
	owners := append([]string{bots.Console + ":" + consoleOwner}, cfg.Owners...)
	guilds := cfg.Discord.Guilds
	if cfg.Discord.GuildID != "" {
		guilds = append(guilds, cfg.Discord.GuildID)
	}
	cstore, err := communitybolt.Open(a.DB)
	if err != nil {
		return err
	}
	if a.Members, err = community.NewMembers(cstore, owners, now,
		community.WithBrandChats(bots.Telegram, cfg.Telegram.Chats...), community.WithBrandChats(bots.Discord, guilds...)); err != nil {
		return err
	}
	uc := cfg.UGC
	uc.StepHook = cfg.stepHook
	uc.Location = zone
	ustore, err := ugcbolt.Open(a.DB)
	if err != nil {
		return err
	}
	a.UGC = ugc.New(ustore, a.Ledger, uc, now, a.Log)
	var tickets *support.Tickets
	if a.Assistant, tickets, err = a.newAssistant(); err != nil {
		return err
	}
	if a.Orders, err = a.newOrders(); err != nil {
		return err
	}
	a.Router = bots.NewRouter(bots.WithLogger(a.Log), bots.WithMentions(a.Members))
	a.Community, err = community.New(cfg.Points, a.Members, a.Ledger,
		community.WithLogger(a.Log), community.WithClock(now), community.WithNotifier(a.Hub), community.WithUGC(a.UGC),
		community.WithSupport(a.Assistant, tickets), community.WithOrders(a.Orders), community.WithLimits(cfg.Limits),
		community.WithStepHook(cfg.stepHook), community.WithCatalog(a.Router.Catalog()))
	if err != nil {
		return err
	}
	if err := a.Community.Admin().LoadLearnedFAQ(ctx); err != nil {
		return err
	}
	cc, err := cfg.campaignConfig()
	if err != nil {
		return err
	}
	cc.Now, cc.Log, cc.CouponSecret = now, a.Log, cfg.couponSecret
	warnForeignEvents(a.Log, cc.Campaigns)
	cstoreCampaigns, err := campaignbolt.Open(a.DB)
	if err != nil {
		return err
	}
	if a.Lifecycle, err = community.NewLifecycle(ctx, a.Community, cstoreCampaigns, cc); err != nil {
		return err
	}
	a.sends, a.wakeSender = rate.NewLimiter(rate.Limit(cfg.CampaignRules.SendsPerSecond), 1), make(chan struct{}, 1)
	if len(cfg.Webhooks) > 0 {
		hooks := make([]campaign.Webhook, len(cfg.Webhooks))
		for i, w := range cfg.Webhooks {
			hooks[i] = campaign.Webhook{URL: w.URL, Secret: string(w.secret), Events: w.Events}
		}
		a.Lifecycle.WithWebhooks(hooks, nil)
	}
	if cfg.Email.SMTPURL != "" {
		sender, err := mail.NewSMTP(string(cfg.Email.SMTPURL), cfg.Email.From)
		if err != nil {
			return err
		}
		token, err := adminToken(cfg, true) // unsubscribe links are signed with a key derived from it
		if err != nil {
			return err
		}
		key := sha256.Sum256([]byte("loyalbot unsubscribe\x00" + string(token)))
		a.Lifecycle.WithEmail(community.Email{Sender: sender, PublicURL: cfg.Email.PublicURL, Key: key[:]})
	}
	hours, err := cfg.officeHours()
	if err != nil {
		return err
	}
	if err := chat.Mount(a.Router, chat.Deps{Config: cfg.Points, Community: a.Community, Members: a.Members, Ledger: a.Ledger,
		UGC: a.UGC, Assistant: a.Assistant, Tickets: tickets, OfficeHours: hours, Orders: a.Orders, Lifecycle: a.Lifecycle, Notifier: a.Hub, Log: a.Log, Now: now},
		chatOnly(bots.RateLimit(cfg.RateLimit.Burst, cfg.RateLimit.Interval, now))); err != nil {
		return err
	}
	a.Scheduler, err = schedule.New(now, a.Log, a.jobs()...)
	return err
}

// jobs is the list of scheduled work: one scheduler runs it (see serve),
// and the console's !clock runs what a jump in time made due.
func (a *App) jobs() []schedule.Job {
	jobs := []schedule.Job{{Name: "expire-points", Every: a.Config.ExpiryInterval, Run: func(ctx context.Context, now time.Time) error {
		r, err := a.Ledger.ExpireDue(ctx, now)
		if err == nil && (r.Points > 0 || r.Holds > 0) {
			a.Log.InfoContext(ctx, "points expired", "points", r.Points, "lots", r.Lots, "holds", r.Holds)
		}
		return err
	}}, {Name: "update-leaderboards", Every: boardUpdate, Quiet: true, Run: func(ctx context.Context, _ time.Time) error {
		return a.Ledger.UpdateBoards(ctx)
	}}, {Name: "campaigns", Every: a.Config.CampaignRules.Every, Quiet: true, Run: a.runCampaigns},
		{Name: "webhooks", Every: webhookCheck, Quiet: true, Run: func(ctx context.Context, _ time.Time) error { return a.Lifecycle.DeliverWebhooks(ctx) }},
		{Name: "track-segments", Every: 24 * time.Hour, Quiet: true, Run: func(ctx context.Context, now time.Time) error {
			n, err := a.Lifecycle.TrackSegments(ctx, now)
			if n > 0 {
				a.Log.InfoContext(ctx, "members changed segment", "members", n)
			}
			return err
		}},
		{Name: "trim-outbox", Every: 24 * time.Hour, Quiet: true, Run: func(ctx context.Context, now time.Time) error {
			n, err := a.Lifecycle.TrimOutbox(ctx, now)
			if n > 0 {
				a.Log.InfoContext(ctx, "handled domain events trimmed", "events", n)
			}
			return err
		}}}
	if every := a.Config.Support.NotifyEvery; every > 0 && a.Assistant != nil {
		since := a.now().Add(-every) // what opened while loyalbot was down, within one interval
		var after uint64             // the newest ticket told
		jobs = append(jobs, schedule.Job{Name: "ticket-digest", Every: every, Quiet: true, Run: func(ctx context.Context, _ time.Time) error {
			var err error
			after, err = a.Community.Admin().TicketDigest(ctx, after, since)
			return err
		}})
	}
	if a.Semantic != nil {
		jobs = append(jobs, schedule.Job{Name: "index-faq-embeddings", Every: faqCheck, Quiet: true, Run: a.indexEmbeddings})
	}
	if a.Config.Support.FAQ != "" && a.Assistant != nil {
		jobs = append(jobs, schedule.Job{Name: "reload-faq", Every: faqCheck, Run: a.reloadFAQ})
	}
	return jobs
}

// boardUpdate is how often the entries written since are applied to the
// stored leaderboards (reads add what waits, so this bounds their work).
const boardUpdate = 30 * time.Second

// webhookCheck is how often outbound webhooks are given what is new.
const webhookCheck = 5 * time.Second

// faqCheck is how often the FAQ file is checked for changes.
const faqCheck = 5 * time.Second

// resume finishes what a crash interrupted — order settlements, payments
// of approvals and referrals, /link and /erase jobs — before anything new
// is taken. Each domain first, then the jobs that span them.
func (a *App) resume(ctx context.Context) error {
	for _, r := range []struct {
		name string
		fn   func(context.Context) (int, error)
	}{{"orders", a.Orders.Resume}, {"ugc", a.UGC.Resume}, {"community", a.Community.Resume}} {
		if _, err := r.fn(ctx); err != nil {
			return fmt.Errorf("resume %s: %w", r.name, err)
		}
	}
	return nil
}

// Verify runs bbolt's consistency check, the ledger store's index check
// and every domain's invariant checks, and returns every violation found,
// joined.
func (a *App) Verify(ctx context.Context) error {
	var errs []error
	if err := a.DB.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			errs = append(errs, fmt.Errorf("bbolt: %w", err))
		}
		return nil
	}); err != nil {
		errs = append(errs, err)
	}
	for _, v := range []func(context.Context) error{a.Loyalty.Check, a.Ledger.Verify, a.Orders.Verify, a.UGC.Verify, a.Members.Verify} {
		if err := v(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Close stops the ledger's writer (committing what is queued) and closes the database.
func (a *App) Close() error {
	var errs []error
	if a.Ledger != nil {
		errs = append(errs, a.Ledger.Close())
	}
	errs = append(errs, a.DB.Close())
	return errors.Join(errs...)
}

// chatOnly applies mw to chat platforms and not to the console, which is
// the operator's own terminal (and scripts that feed it lines at full speed).
func chatOnly(mw bots.Middleware) bots.Middleware {
	return func(next bots.Handler) bots.Handler {
		limited := mw(next)
		return bots.HandlerFunc(func(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
			if ev.Platform == bots.Console {
				return next.Handle(ctx, ev)
			}
			return limited.Handle(ctx, ev)
		})
	}
}

// runCampaigns is the campaigns job: what is due runs, then the queue of
// messages it made is sent.
func (a *App) runCampaigns(ctx context.Context, now time.Time) error {
	rep, err := a.Lifecycle.Tick(ctx, now)
	if rep.Entered > 0 || rep.Steps > 0 {
		a.Log.InfoContext(ctx, "campaigns ran", "events", rep.Events, "entered", rep.Entered, "steps", rep.Steps)
	}
	if a.sending.Load() { // serve's sender takes the queue: the scheduler's other jobs do not wait for it
		select {
		case a.wakeSender <- struct{}{}:
		default:
		}
		return err
	}
	return errors.Join(err, a.drainCampaigns(ctx))
}

// sendCampaigns sends the campaign queue in the background until ctx
// ends: when the campaigns job queued something, and every ten seconds.
func (a *App) sendCampaigns(ctx context.Context) error {
	a.sending.Store(true)
	defer a.sending.Store(false)
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	for {
		if err := a.drainCampaigns(ctx); err != nil && ctx.Err() == nil {
			a.Log.ErrorContext(ctx, "campaign messages not sent", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-a.wakeSender:
		case <-tick.C:
		}
	}
}

// drainBatch is how many campaign messages one drain hands over at a time.
const drainBatch = 100

// drainCampaigns sends every queued campaign message, at most
// campaign_rules.sends_per_second: the platform limits' remainder is for
// replies to members.
func (a *App) drainCampaigns(ctx context.Context) error {
	deliver := func(ctx context.Context, m campaign.Message) error {
		if err := a.sends.Wait(ctx); err != nil {
			return err
		}
		return a.Lifecycle.Deliver(ctx, m)
	}
	for {
		n, err := a.Lifecycle.Engine().Drain(ctx, drainBatch, deliver)
		if err != nil || n < drainBatch {
			return err
		}
	}
}
