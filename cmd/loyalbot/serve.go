package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/loyalbot/loyalbot/community/web"
	"github.com/spf13/cobra"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/sync/errgroup"
	"golang.org/x/term"
)

// minAdminToken is the shortest admin token serve accepts without a warning.
const minAdminToken = 24

func newServeCmd(g *globals) *cobra.Command {
	var httpAddr, owner string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run loyalbot: chat adapters, HTTP health checks and the expiry job",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			if httpAddr != "" {
				cfg.HTTP = httpAddr
			}
			log := g.logger(slog.LevelInfo)
			app, err := OpenApp(cmd.Context(), cfg, owner, log, time.Now)
			if err != nil {
				return err
			}
			err = serve(cmd.Context(), app, g, owner)
			if cerr := app.Close(); err == nil {
				err = cerr
			}
			log.Info("loyalbot stopped")
			return err
		},
	}
	cmd.Flags().StringVar(&httpAddr, "http", "", `HTTP listen address (default ":8080", or LOYALBOT_HTTP)`)
	cmd.Flags().StringVar(&owner, "owner", "admin", "console user who owns the community")
	return cmd
}

// serve runs until ctx ends: it stops taking updates, lets in-flight
// handlers finish and returns; the caller then closes the database.
func serve(ctx context.Context, app *App, g *globals, owner string) error {
	log, cfg := app.Log, app.Config
	ln, err := g.listen(cfg.HTTP)
	if err != nil {
		return fmt.Errorf("http: %w", err)
	}
	token, err := adminToken(cfg, true)
	if err != nil {
		return err
	}
	if cfg.AdminToken == "" {
		log.Info("admin routes need the token in " + adminTokenPath(cfg.DB) + " (or set LOYALBOT_ADMIN_TOKEN)")
	} else if len(cfg.AdminToken) < minAdminToken {
		log.Warn(fmt.Sprintf("LOYALBOT_ADMIN_TOKEN is shorter than %d characters: anyone who guesses it can download the database; use a long random one", minAdminToken))
	}
	srv := web.New(log, cfg.HTTPLimits, string(token), app.ready)
	app.routes(srv)
	if cfg.OrdersSecret == "" {
		log.Info("order webhook disabled (503): set LOYALBOT_ORDERS_SECRET to accept signed orders on POST /webhooks/orders")
	}
	grp, ctx := errgroup.WithContext(ctx)
	adapters := 0
	if cfg.TelegramToken != "" {
		tg, err := app.newTelegram()
		if err != nil {
			return err
		}
		if p := tg.WebhookPath(); p != "" {
			srv.Handle("POST "+p, tg.WebhookHandler())
		}
		grp.Go(func() error { return tg.Run(ctx, app.Router) })
		adapters++
	}
	if cfg.DiscordToken != "" {
		dc, err := app.newDiscord()
		if err != nil {
			return err
		}
		grp.Go(func() error { return dc.Run(ctx, app.Router) })
		adapters++
	}
	grp.Go(func() error { return srv.Serve(ctx, ln) })
	grp.Go(func() error { return app.Scheduler.Run(ctx) })
	grp.Go(func() error { return app.sendCampaigns(ctx) })

	if adapters == 0 {
		log.Info("no chat platform connected: set TELEGRAM_BOT_TOKEN or DISCORD_BOT_TOKEN to connect one; " +
			"meanwhile try the bot locally with `loyalbot shell`")
		if f, ok := g.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			grp.Go(func() error { return runShell(ctx, app, f, g.stdout, owner) })
		}
	}
	log.Info("loyalbot serving", "db", cfg.DB)
	err = grp.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// routes mounts loyalbot's HTTP routes on srv: the order webhook, and for
// callers with the admin token, online backups and verification. The
// Telegram webhook is mounted by serve when Telegram uses one.
func (a *App) routes(srv *web.Server) {
	srv.Handle("POST /webhooks/orders", web.OrderWebhook(a.Orders, string(a.Config.OrdersSecret), a.now, a.Log.With("component", "orders")))
	unsubscribe := web.UnsubscribeHandler(a.Lifecycle, a.Router.Catalog(), a.Log.With("component", "email"))
	srv.Handle("GET /unsubscribe/{token}", unsubscribe)
	srv.Handle("POST /unsubscribe/{token}", unsubscribe)
	srv.Handle("POST /webhooks/events", web.EventWebhook(a.Lifecycle, string(a.Config.OrdersSecret), a.now, a.Log.With("component", "events")))
	srv.Admin("GET /admin/backup", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		web.LongWrite(w, a.Log, time.Hour) // a large database takes longer than the server's write timeout
		w.Header().Set("Content-Type", "application/octet-stream")
		if n, err := a.Ledger.Backup(r.Context(), w); err != nil {
			a.Log.Error("backup over http failed", "bytes", n, "err", err)
		}
	}))
	srv.Admin("GET /admin/verify", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		web.LongWrite(w, a.Log, time.Hour)
		web.JSON(w, http.StatusOK, a.verifyReport(r.Context()))
	}))
}

// ready reports whether the database answers.
func (a *App) ready(context.Context) error {
	return a.DB.View(func(*bolt.Tx) error { return nil })
}
