package main

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/loyalbot/loyalbot/loyalty/insights"
	"github.com/spf13/cobra"
)

func newInsightsCmd(g *globals) *cobra.Command {
	var ordersFile, asOf, mapping string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "insights [--orders <file.csv>] [--as-of YYYY-MM-DD] [--json]",
		Short: "RFM segments and BG/NBD / Gamma-Gamma models from an orders CSV",
		Long: `insights analyses the orders loyalbot has stored (webhook and imports), or
with --orders reads them from a CSV file with a header row naming at least
order_id, customer_id, created_at (YYYY-MM-DD or RFC 3339) and amount
(--map renames columns: --map customer_id=cust,amount=total), and prints
the RFM segment table as of --as-of (default today) and the fitted
purchase (BG/NBD) and spend (Gamma-Gamma) model parameters.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			end := time.Now().UTC()
			if asOf != "" {
				var err error
				if end, err = time.Parse(time.DateOnly, asOf); err != nil {
					return fmt.Errorf("--as-of %q: want YYYY-MM-DD", asOf)
				}
			}
			var ps []insights.Purchase
			if ordersFile == "" { // the orders loyalbot has stored
				cfg, err := g.load()
				if err != nil {
					return err
				}
				app, err := OpenApp(cmd.Context(), cfg, "admin", g.logger(slog.LevelWarn), time.Now)
				if err != nil {
					return err
				}
				defer app.Close()
				if ps, err = app.Orders.Purchases(cmd.Context()); err != nil {
					return err
				}
			} else {
				f, err := os.Open(ordersFile)
				if err != nil {
					return err
				}
				defer f.Close()
				if ps, err = readPurchases(f, parseMapping(mapping)); err != nil {
					return fmt.Errorf("%s: %w", ordersFile, err)
				}
			}
			return printInsights(g.stdout, ps, end, asJSON)
		},
	}
	cmd.Flags().StringVar(&ordersFile, "orders", "", "orders CSV file")
	cmd.Flags().StringVar(&asOf, "as-of", "", "date the analysis is as of (YYYY-MM-DD; default today)")
	cmd.Flags().StringVar(&mapping, "map", "", "column renames: field=column,...")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func parseMapping(s string) map[string]string {
	m := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		if k, v, ok := strings.Cut(strings.TrimSpace(kv), "="); ok {
			m[k] = v
		}
	}
	return m
}

// readPurchases reads an orders CSV. Refunded and cancelled orders (a
// status column) are left out.
func readPurchases(r io.Reader, rename map[string]string) ([]insights.Purchase, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	col := headerIndex(head)
	idx := func(field string) (int, error) {
		name := field
		if n, ok := rename[field]; ok {
			name = n
		}
		i, ok := col[strings.ToLower(name)]
		if !ok {
			return 0, fmt.Errorf("no %q column (use --map %s=<column>)", name, field)
		}
		return i, nil
	}
	ci, err := idx("customer_id")
	if err != nil {
		return nil, err
	}
	ti, err := idx("created_at")
	if err != nil {
		return nil, err
	}
	ai, err := idx("amount")
	if err != nil {
		return nil, err
	}
	si, hasStatus := col["status"]
	var out []insights.Purchase
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if hasStatus && si < len(rec) && rec[si] != "" && rec[si] != "paid" {
			continue
		}
		at, err := parseTime(rec[ti])
		if err != nil {
			return nil, fmt.Errorf("line %d: created_at %q: %w", line, rec[ti], err)
		}
		amt, err := strconv.ParseFloat(rec[ai], 64)
		if err != nil {
			return nil, fmt.Errorf("line %d: amount %q is not a number", line, rec[ai])
		}
		out = append(out, insights.Purchase{Customer: rec[ci], At: at, Amount: amt})
	}
}

// headerIndex maps a CSV header's column names, lowercase and trimmed
// (a byte-order mark dropped), to their positions.
func headerIndex(head []string) map[string]int {
	col := map[string]int{}
	for i, h := range head {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	return col
}

func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.DateOnly, time.RFC3339, "20060102"} {
		if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("want YYYY-MM-DD or RFC 3339")
}

func printInsights(w io.Writer, ps []insights.Purchase, end time.Time, asJSON bool) error {
	sums := insights.Summarize(ps, end)
	table := insights.Table(insights.Score(sums, end))
	bg, bgErr := insights.FitBGNBD(sums)
	gg, ggErr := insights.FitGammaGamma(sums)
	if asJSON {
		out := map[string]any{"as_of": end.Format(time.DateOnly), "customers": len(sums), "segments": table}
		if bgErr == nil {
			out["bgnbd"] = bg
		}
		if ggErr == nil {
			out["gamma_gamma"] = gg
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	fmt.Fprintf(w, "%d customers as of %s\n\n", len(sums), end.Format(time.DateOnly))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "segment\tcustomers\trevenue\tshare")
	for _, s := range table {
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%.1f%%\n", s.Segment, s.Customers, s.Revenue, 100*s.Share)
	}
	tw.Flush()
	if bgErr == nil {
		fmt.Fprintf(w, "\nBG/NBD: r=%.3f alpha=%.3f a=%.3f b=%.3f (log-likelihood %.1f)\n", bg.R, bg.Alpha, bg.A, bg.B, bg.LogLik)
	}
	if ggErr == nil {
		fmt.Fprintf(w, "Gamma-Gamma: p=%.3f q=%.3f v=%.3f\n", gg.P, gg.Q, gg.V)
	}
	return nil
}
