package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

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
	mux := app.httpHandler(token)
	mux.Handle("POST /webhooks/orders", app.Orders.Webhook(string(cfg.OrdersSecret)))
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
			mux.Handle("POST "+p, tg.WebhookHandler())
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
	hl := cfg.HTTPLimits
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: hl.ReadHeaderTimeout, ReadTimeout: hl.ReadTimeout,
		WriteTimeout: hl.WriteTimeout, IdleTimeout: hl.IdleTimeout, MaxHeaderBytes: hl.MaxHeaderBytes,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	grp.Go(func() error {
		log.Info("http listening", "addr", ln.Addr().String())
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("http: %w", err)
		}
		return nil
	})
	grp.Go(func() error {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return srv.Shutdown(shut)
	})
	grp.Go(func() error { return app.Scheduler.Run(ctx) })

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

// httpHandler serves health checks and, to callers with the admin token,
// online backups and verification. Adapters add their webhooks to it.
func (a *App) httpHandler(token Secret) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		status := map[string]string{"db": "ok"}
		code := http.StatusOK
		if err := a.DB.View(func(tx *bolt.Tx) error { return nil }); err != nil {
			status["db"], code = err.Error(), http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(status)
	})
	mux.Handle("GET /admin/backup", requireAdmin(token, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A large database takes longer than the server's write timeout.
		if err := http.NewResponseController(w).SetWriteDeadline(time.Now().Add(time.Hour)); err != nil {
			a.Log.Warn("backup: cannot extend the write deadline", "err", err)
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		if n, err := a.Ledger.Backup(r.Context(), w); err != nil {
			a.Log.Error("backup over http failed", "bytes", n, "err", err)
		}
	})))
	mux.Handle("GET /admin/verify", requireAdmin(token, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := http.NewResponseController(w).SetWriteDeadline(time.Now().Add(time.Hour)); err != nil {
			a.Log.Warn("verify: cannot extend the write deadline", "err", err)
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(a.verifyReport(r.Context()))
	})))
	return mux
}
