package insights_test

import (
	"bufio"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/loyalty/insights"
)

// cdnowDir holds the CDNOW data; tests that need it skip when it is missing.
func cdnowDir(tb testing.TB) string {
	tb.Helper()
	for _, d := range []string{"testdata/cdnow", "../../../shared/data/cdnow"} {
		if _, err := os.Stat(filepath.Join(d, "CDNOW_sample.txt")); err == nil {
			return d
		}
	}
	tb.Skip("CDNOW data not found")
	return ""
}

// loadSample reads the raw CDNOW_sample.txt: master_id sample_id date cds dollars.
func loadSample(tb testing.TB) []insights.Purchase {
	tb.Helper()
	f, err := os.Open(filepath.Join(cdnowDir(tb), "CDNOW_sample.txt"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []insights.Purchase
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) != 5 {
			continue
		}
		at, err := time.Parse("20060102", fs[2])
		if err != nil {
			tb.Fatal(err)
		}
		amt, err := strconv.ParseFloat(fs[4], 64)
		if err != nil {
			tb.Fatal(err)
		}
		id, _ := strconv.Atoi(fs[1])
		out = append(out, insights.Purchase{Customer: strconv.Itoa(id), At: at, Amount: amt})
	}
	return out
}

var calibrationEnd = time.Date(1997, 9, 30, 0, 0, 0, 0, time.UTC)

func calibration(tb testing.TB) []insights.Summary {
	tb.Helper()
	return insights.Summarize(loadSample(tb), calibrationEnd)
}

// TestSummarize_CDNOW derives the calibration summary from raw
// transactions and compares it with the published one.
func TestSummarize_CDNOW(t *testing.T) {
	got := calibration(t)
	f, err := os.Open(filepath.Join(cdnowDir(t), "cdnow_customers_summary_with_transactions.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]insights.Summary{}
	for _, s := range got {
		byID[s.Customer] = s
	}
	if len(rows)-1 != len(got) {
		t.Errorf("%d customers derived, %d published", len(got), len(rows)-1)
	}
	round := func(v float64) float64 { return math.Round(v*100) / 100 }
	bad := 0
	for _, r := range rows[1:] {
		s, ok := byID[r[0]]
		x, _ := strconv.Atoi(r[1])
		tx, _ := strconv.ParseFloat(r[2], 64)
		T, _ := strconv.ParseFloat(r[3], 64)
		zbar, _ := strconv.ParseFloat(r[4], 64)
		if !ok || s.Frequency != x || round(s.Recency) != tx || round(s.T) != T || math.Abs(round(s.MeanValue)-zbar) > 0.011 {
			if bad++; bad <= 5 {
				t.Errorf("customer %s: derived %+v, published x=%d t_x=%v T=%v zbar=%v", r[0], s, x, tx, T, zbar)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d customers differ", bad, len(rows)-1)
	}
}

func within(got, want, rel float64) bool { return math.Abs(got-want) <= rel*math.Abs(want) }

// TestFit_CDNOW fits both models and checks the published parameters.
func TestFit_CDNOW(t *testing.T) {
	s := calibration(t)
	m, err := insights.FitBGNBD(s)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("BG/NBD r=%.4f α=%.4f a=%.4f b=%.4f LL=%.2f", m.R, m.Alpha, m.A, m.B, m.LogLik)
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"r", m.R, 0.243}, {"alpha", m.Alpha, 4.414}, {"a", m.A, 0.793}, {"b", m.B, 2.426}, {"LL", m.LogLik, -9582.4}} {
		if !within(c.got, c.want, 0.005) {
			t.Errorf("BG/NBD %s = %.4f, published %.4f (0.5%%)", c.name, c.got, c.want)
		}
	}
	g, err := insights.FitGammaGamma(s)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Gamma-Gamma p=%.3f q=%.3f v=%.3f", g.P, g.Q, g.V)
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"p", g.P, 6.25}, {"q", g.Q, 3.74}, {"v", g.V, 15.44}} {
		if !within(c.got, c.want, 0.01) {
			t.Errorf("Gamma-Gamma %s = %.3f, published %.2f (1%%)", c.name, c.got, c.want)
		}
	}
	// Predictions behave: a customer with many recent purchases is more
	// likely alive and buys more than one who stopped long ago.
	active := insights.Summary{Frequency: 10, Recency: 37, T: 38.86, MeanValue: 30}
	lapsed := insights.Summary{Frequency: 10, Recency: 5, T: 38.86, MeanValue: 30}
	if m.PAlive(active) <= m.PAlive(lapsed) || m.ExpectedPurchases(active, 39) <= m.ExpectedPurchases(lapsed, 39) {
		t.Errorf("P(alive) %.3f vs %.3f; E[purchases] %.3f vs %.3f", m.PAlive(active), m.PAlive(lapsed), m.ExpectedPurchases(active, 39), m.ExpectedPurchases(lapsed, 39))
	}
	if v := insights.CLV(m, g, active, 12, 0.01); v <= 0 || math.IsNaN(v) {
		t.Errorf("CLV %v", v)
	}
	// Out of sample: the model's expected transactions in the 39 weeks
	// after calibration against what these customers actually did.
	var predicted float64
	for _, c := range s {
		predicted += m.ExpectedPurchases(c, 39)
	}
	holdout := map[string]map[time.Time]bool{}
	for _, p := range loadSample(t) {
		if p.At.After(calibrationEnd) {
			if holdout[p.Customer] == nil {
				holdout[p.Customer] = map[time.Time]bool{}
			}
			holdout[p.Customer][p.At] = true
		}
	}
	actual := 0
	for _, days := range holdout {
		actual += len(days)
	}
	t.Logf("holdout transactions: predicted %.0f, actual %d", predicted, actual)
	if !within(predicted, float64(actual), 0.15) {
		t.Errorf("predicted %.0f holdout transactions, actual %d (want within 15%%)", predicted, actual)
	}
}

func BenchmarkFitBGNBD(b *testing.B) {
	s := calibration(b)
	b.ResetTimer()
	for b.Loop() {
		if _, err := insights.FitBGNBD(s); err != nil {
			b.Fatal(err)
		}
	}
}
