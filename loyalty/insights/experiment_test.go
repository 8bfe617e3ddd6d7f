package insights_test

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/loyalbot/loyalbot/loyalty/insights"
)

// reference is testdata/experiment/three-arm.expected.json, written by
// reference.py with SciPy and NumPy.
type reference struct {
	SRMP     float64 `json:"srm_p"`
	Theta    float64 `json:"cuped_theta"`
	SRMCases []struct {
		Counts  []int     `json:"counts"`
		Weights []float64 `json:"weights"`
		P       float64   `json:"p"`
	} `json:"srm_cases"`
	Variants    []insights.ArmStats `json:"variants"`
	Comparisons []struct {
		insights.Comparison
		CUPEDLift   float64 `json:"cuped_lift"`
		CUPEDCILow  float64 `json:"cuped_ci_low"`
		CUPEDCIHigh float64 `json:"cuped_ci_high"`
		CUPEDPValue float64 `json:"cuped_p_value"`
	} `json:"comparisons"`
}

func readObservations(t *testing.T, path string) []insights.Observation {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []insights.Observation
	for _, r := range rows[1:] {
		y, _ := strconv.ParseFloat(r[2], 64)
		x, _ := strconv.ParseFloat(r[3], 64)
		out = append(out, insights.Observation{Unit: r[0], Variant: r[1], Value: y, Pre: x, HasPre: true})
	}
	return out
}

func close(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
		t.Errorf("%s = %.12g, SciPy/NumPy say %.12g", what, got, want)
	}
}

// The analysis agrees with an independent computation in SciPy and NumPy
// (reference.py) on a seeded three-arm experiment: arm sizes and SDs,
// the sample-ratio p-value, Welch degrees of freedom, the delta-method
// lift interval and p-value, Holm's adjustment and CUPED.
func TestAnalyze_MatchesSciPy(t *testing.T) {
	raw, err := os.ReadFile("testdata/experiment/three-arm.expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref reference
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	obs := readObservations(t, "testdata/experiment/three-arm.csv")
	a, err := insights.Analyze(obs, "control", map[string]float64{"control": 40, "bonus": 30, "copy": 30}, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	close(t, "srm_p", a.SRMP, ref.SRMP)
	close(t, "theta", *a.Theta, ref.Theta)
	for i, v := range ref.Variants {
		g := a.Variants[i]
		if g.Name != v.Name || g.N != v.N {
			t.Fatalf("variant %d: %+v, want %+v", i, g, v)
		}
		close(t, v.Name+" mean", g.Mean, v.Mean)
		close(t, v.Name+" sd", g.SD, v.SD)
	}
	if len(a.Comparisons) != len(ref.Comparisons) {
		t.Fatalf("%d comparisons, want %d", len(a.Comparisons), len(ref.Comparisons))
	}
	for i, want := range ref.Comparisons {
		got := a.Comparisons[i]
		if got.Variant != want.Variant {
			t.Fatalf("comparison %d is %s, want %s", i, got.Variant, want.Variant)
		}
		for _, f := range []struct {
			name      string
			got, want float64
		}{{"lift", got.Lift, want.Lift}, {"ci_low", got.CILow, want.CILow}, {"ci_high", got.CIHigh, want.CIHigh},
			{"p_value", got.PValue, want.PValue}, {"p_adjusted", got.PAdjusted, want.PAdjusted},
			{"difference", got.Difference, want.Difference}, {"welch_df", got.WelchDF, want.WelchDF},
			{"cuped_lift", *got.CUPEDLift, want.CUPEDLift}, {"cuped_ci_low", *got.CUPEDCILow, want.CUPEDCILow},
			{"cuped_ci_high", *got.CUPEDCIHigh, want.CUPEDCIHigh}, {"cuped_p_value", *got.CUPEDPValue, want.CUPEDPValue}} {
			close(t, want.Variant+" "+f.name, f.got, f.want)
		}
		// CUPED narrows the interval when the pre period predicts the outcome.
		if w, cw := got.CIHigh-got.CILow, *got.CUPEDCIHigh-*got.CUPEDCILow; cw >= w {
			t.Errorf("%s: CUPED interval %.4f is not narrower than %.4f", want.Variant, cw, w)
		}
	}
	for _, c := range ref.SRMCases {
		var obs []insights.Observation
		weights := map[string]float64{}
		for i, n := range c.Counts {
			name := string(rune('a' + i))
			weights[name] = c.Weights[i]
			for j := range n {
				obs = append(obs, insights.Observation{Variant: name, Value: float64(j % 7)})
			}
		}
		a, err := insights.Analyze(obs, "a", weights, 0)
		if err != nil {
			t.Fatal(err)
		}
		close(t, "srm_p of "+strconv.Itoa(c.Counts[0]), a.SRMP, c.P)
		if a.SRMWarning != (c.P < insights.SRMThreshold) {
			t.Errorf("counts %v: warning %v at p %g", c.Counts, a.SRMWarning, c.P)
		}
	}
}

// 2,000 A/A tests: the fixed-horizon p-value is below 0.05 about 5% of
// the time (within 1.5 points), and the sample-ratio check of a fair
// split rarely fires.
func TestAnalyze_AAFalsePositives(t *testing.T) {
	rng := rand.New(rand.NewPCG(2026, 12))
	const tests, n = 2000, 400
	hits, srm := 0, 0
	for range tests {
		var obs []insights.Observation
		for i := range 2 * n {
			arm := "a"
			if rng.IntN(2) == 1 {
				arm = "b"
			}
			_ = i
			obs = append(obs, insights.Observation{Variant: arm, Value: rng.ExpFloat64() * 10})
		}
		a, err := insights.Analyze(obs, "a", nil, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		if a.Comparisons[0].PValue < 0.05 {
			hits++
		}
		if a.SRMWarning {
			srm++
		}
	}
	rate := float64(hits) / tests
	t.Logf("A/A: %d of %d below 0.05 (%.2f%%); sample-ratio flags %d", hits, tests, 100*rate, srm)
	if rate < 0.035 || rate > 0.065 {
		t.Errorf("false-positive rate %.3f, want 0.05 ± 0.015", rate)
	}
	if srm > 10 {
		t.Errorf("%d sample-ratio flags on fair splits, want about 2 (0.1%%)", srm)
	}
}

// Peeking: looking at an A/A test every 100 units per arm and stopping at
// the first p below 0.05 finds a "winner" far more often than 5% with
// fixed-horizon p-values, and at most 5% with the always-valid ones.
func TestAnalyze_SequentialSurvivesPeeking(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 2026))
	const tests, step, looks = 200, 100, 20
	fixed, sequential := 0, 0
	for range tests {
		var obs []insights.Observation
		hitFixed, hitSeq := false, false
		for look := range looks {
			for range step {
				obs = append(obs, insights.Observation{Variant: "a", Value: rng.ExpFloat64()}, insights.Observation{Variant: "b", Value: rng.ExpFloat64()})
			}
			_ = look
			f, err := insights.AnalyzeWith(obs, insights.Options{Control: "a"})
			if err != nil {
				t.Fatal(err)
			}
			s, err := insights.AnalyzeWith(obs, insights.Options{Control: "a", Sequential: true})
			if err != nil {
				t.Fatal(err)
			}
			hitFixed = hitFixed || f.Comparisons[0].PValue < 0.05
			hitSeq = hitSeq || s.Comparisons[0].PValue < 0.05
			if sc := s.Comparisons[0]; (sc.PValue < 0.05) != (sc.CILow > 0 || sc.CIHigh < 0) {
				t.Fatalf("sequential p %g disagrees with its interval [%g, %g]", sc.PValue, sc.CILow, sc.CIHigh)
			}
		}
		if hitFixed {
			fixed++
		}
		if hitSeq {
			sequential++
		}
	}
	t.Logf("A/A with %d looks: fixed-horizon found a difference in %d of %d, always-valid in %d", looks, fixed, tests, sequential)
	if float64(sequential)/tests > 0.05 || float64(fixed)/tests < 0.10 {
		t.Errorf("fixed %d, sequential %d of %d: want fixed well above 5%% and sequential at most 5%%", fixed, sequential, tests)
	}
}

// A planted +5% lift at 10,000 per arm is found as often as theory says
// (within 5 points), and CUPED with a pre period correlated 0.7 with the
// outcome narrows the interval by at least 25% (theory: 1 − √(1 − 0.49)).
func TestAnalyze_PowerAndCUPED(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 10))
	const runs, n, lift = 200, 10_000, 0.05
	found := 0
	for range runs {
		obs := make([]insights.Observation, 0, 2*n)
		for range n {
			obs = append(obs, insights.Observation{Variant: "a", Value: rng.ExpFloat64()},
				insights.Observation{Variant: "b", Value: (1 + lift) * rng.ExpFloat64()})
		}
		a, err := insights.Analyze(obs, "a", nil, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		if c := a.Comparisons[0]; c.PValue < 0.05 && c.Lift > 0 {
			found++
		}
	}
	// Exponential outcomes: sd = mean, so Var(lift) = (1 + (1+lift)²)/n.
	se := math.Sqrt((1 + (1+lift)*(1+lift)) / n)
	theory := 1 - normCDF(1.959964-lift/se) + normCDF(-1.959964-lift/se)
	got := float64(found) / runs
	t.Logf("power: found %d of %d (%.1f%%), theory %.1f%%", found, runs, 100*got, 100*theory)
	if math.Abs(got-theory) > 0.05 {
		t.Errorf("power %.3f, theory %.3f", got, theory)
	}

	// CUPED: y = 0.7·z₁ + √0.51·z₂ + 10 against pre = z₁ + 10, correlation 0.7.
	var obs []insights.Observation
	for i := range 2 * 20_000 {
		z1, z2 := rng.NormFloat64(), rng.NormFloat64()
		v := "a"
		if i%2 == 1 {
			v = "b"
		}
		obs = append(obs, insights.Observation{Variant: v, Value: 10 + 0.7*z1 + math.Sqrt(0.51)*z2, Pre: 10 + z1, HasPre: true})
	}
	a, err := insights.Analyze(obs, "a", nil, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	c := a.Comparisons[0]
	ratio := (*c.CUPEDCIHigh - *c.CUPEDCILow) / (c.CIHigh - c.CILow)
	t.Logf("CUPED interval %.1f%% narrower (theory %.1f%%)", 100*(1-ratio), 100*(1-math.Sqrt(0.51)))
	if ratio > 0.75 {
		t.Errorf("CUPED interval is %.2f of the plain one, want at most 0.75", ratio)
	}
}

func normCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }
