package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// verifyReport is what verify prints (and /admin/verify answers).
type verifyReport struct {
	OK       bool           `json:"ok"`
	Problems []string       `json:"problems,omitempty"`
	Pending  map[string]int `json:"pending,omitempty"` // work a crash left for Resume, by kind
}

func (a *App) verifyReport(ctx context.Context) verifyReport {
	rep := verifyReport{OK: true, Pending: map[string]int{}}
	if err := a.Verify(ctx); err != nil {
		rep.OK = false
		for _, line := range strings.Split(err.Error(), "\n") {
			if line = strings.TrimSpace(line); line != "" {
				rep.Problems = append(rep.Problems, line)
			}
		}
	}
	for kind, f := range map[string]func(context.Context) (int, error){
		"order settlements": a.Orders.Pending, "payments": a.UGC.Pending, "link and erase jobs": a.Community.PendingJobs,
	} {
		if n, err := f(ctx); err != nil {
			rep.OK = false
			rep.Problems = append(rep.Problems, fmt.Sprintf("count %s: %v", kind, err))
		} else if n > 0 {
			rep.Pending[kind] = n
		}
	}
	return rep
}

func newVerifyCmd(g *globals) *cobra.Command {
	var httpAddr string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check the database: bbolt's consistency and every domain's invariants",
		Long: `verify runs bbolt's page-level check and the invariants of the ledger
(balances sum to zero, none negative, lots and holds match), the shop
(indexes, settlements backed by ledger entries), the ambassador programme
and the members. While serve runs, it asks the running server
(/admin/verify, with the admin token). It exits 1 naming each broken
invariant; work a crash left unfinished is listed, and serve finishes it
on start.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			if httpAddr != "" {
				cfg.HTTP = httpAddr
			}
			rep, err := verify(cmd.Context(), cfg, g)
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(g.stdout)
				enc.SetIndent("", "  ")
				enc.Encode(rep)
			} else {
				for _, p := range rep.Problems {
					fmt.Fprintln(g.stdout, "broken:", p)
				}
				for kind, n := range rep.Pending {
					fmt.Fprintf(g.stdout, "unfinished: %d %s (serve finishes them on start)\n", n, kind)
				}
				if rep.OK {
					fmt.Fprintln(g.stdout, "ok: every invariant holds")
				}
			}
			if !rep.OK {
				return errVerifyFailed
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&httpAddr, "http", "", "HTTP address of the running loyalbot (default from config)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// errVerifyFailed makes verify exit 1 after printing what is broken.
var errVerifyFailed = errors.New("verify: invariants broken")

func verify(ctx context.Context, cfg Config, g *globals) (verifyReport, error) {
	app, err := openApp(ctx, cfg, "admin", g.logger(slog.LevelWarn), time.Now)
	if errors.Is(err, errLocked) {
		var rep verifyReport
		err := adminGet(ctx, cfg, "/admin/verify", func(body io.Reader) error { return json.NewDecoder(body).Decode(&rep) })
		return rep, err
	}
	if err != nil {
		return verifyReport{}, err
	}
	defer app.Close()
	return app.verifyReport(ctx), nil
}

// adminGet calls an admin route of the loyalbot serving on this machine.
func adminGet(ctx context.Context, cfg Config, path string, read func(io.Reader) error) error {
	_, port, err := net.SplitHostPort(cfg.HTTP)
	if err != nil {
		return fmt.Errorf("http address %q: %w", cfg.HTTP, err)
	}
	token, err := adminToken(cfg, false)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:"+port+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+string(token))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("database in use and no loyalbot answering on port %s: %w", port, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s from running loyalbot: %s %s", path, resp.Status, strings.TrimSpace(string(msg)))
	}
	return read(resp.Body)
}
