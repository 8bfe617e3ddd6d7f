package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/loyalbot/loyalbot/loyalty/orders"
	ordersbolt "github.com/loyalbot/loyalbot/loyalty/orders/bolt"
	"github.com/spf13/cobra"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/term"
)

// newOrders builds the shop integration. The salt for contact hashes is
// kept in the database, so hashes stay comparable across restarts.
func (a *App) newOrders() (*orders.Service, error) {
	salt, err := a.stateValue("orders.salt", func() string {
		var b [16]byte
		_, _ = rand.Read(b[:])
		return hex.EncodeToString(b[:])
	})
	if err != nil {
		return nil, err
	}
	cfg := a.Config.Orders
	cfg.Salt, cfg.Now, cfg.StepHook = salt, a.now, a.Config.stepHook
	st, err := ordersbolt.Open(a.DB)
	if err != nil {
		return nil, err
	}
	return orders.New(st, a.Ledger, cfg, a.Log)
}

// stateValue returns cmd's stored value for key, creating it with gen on first use.
func (a *App) stateValue(key string, gen func() string) (string, error) {
	var v string
	err := a.DB.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketState)
		if err != nil {
			return err
		}
		if old := b.Get([]byte(key)); old != nil {
			v = string(old)
			return nil
		}
		v = gen()
		return b.Put([]byte(key), []byte(v))
	})
	return v, err
}

func newImportCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "import", Short: "Import data into loyalbot"}
	var mapping string
	var strict bool
	orders := &cobra.Command{
		Use:   "orders <file.csv>",
		Short: "Import shop orders from CSV (re-running the same file changes nothing)",
		Long: `orders reads a CSV file with a header row naming at least order_id,
customer_id, created_at and amount (optional: currency, status,
refunded_amount). --map renames columns (--map customer_id=cust,amount=total).
Bad rows are reported with their line and skipped, or stop the import with
--strict. Linked customers earn their points.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			app, err := OpenApp(cmd.Context(), cfg, "admin", g.logger(0), time.Now)
			if err != nil {
				return err
			}
			defer app.Close()
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			opt := ordersImportOptions(parseMapping(mapping), strict)
			if ef, ok := g.stderr.(*os.File); ok && term.IsTerminal(int(ef.Fd())) {
				opt.Progress = func(n int) { fmt.Fprintf(g.stderr, "\r%d rows…", n) }
			}
			rep, err := app.Orders.Import(cmd.Context(), f, opt)
			if opt.Progress != nil {
				fmt.Fprintln(g.stderr)
			}
			for _, e := range rep.Skipped {
				fmt.Fprintf(g.stderr, "line %d skipped: %s\n", e.Line, e.Reason)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "imported %d of %d rows (%d skipped)\n", rep.Imported, rep.Rows, len(rep.Skipped))
			return nil
		},
	}
	orders.Flags().StringVar(&mapping, "map", "", "column renames: field=column,...")
	orders.Flags().BoolVar(&strict, "strict", false, "stop at the first bad row")
	cmd.AddCommand(orders)
	return cmd
}

func ordersImportOptions(m map[string]string, strict bool) orders.ImportOptions {
	for k, v := range m {
		m[k] = strings.TrimSpace(v)
	}
	return orders.ImportOptions{Map: m, Strict: strict}
}
