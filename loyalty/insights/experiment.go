package insights

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"

	"gonum.org/v1/gonum/stat/distuv"
)

// Observation is one unit of an experiment: its variant, the metric's
// value after exposure and, for CUPED, the same metric before it.
type Observation struct {
	Unit    string
	Variant string
	Value   float64
	Pre     float64
	HasPre  bool
}

// ArmStats is one variant's summary.
type ArmStats struct {
	Name string  `json:"name"`
	N    int     `json:"n"`
	Mean float64 `json:"mean"`
	SD   float64 `json:"sd"`
}

// Comparison is a variant against the control: relative lift (0.05 is
// +5%) with its confidence interval (delta method) and two-sided p-value,
// the p-value adjusted across variants (Holm–Bonferroni), and with pre
// values the CUPED-adjusted lift.
type Comparison struct {
	Variant    string  `json:"variant"`
	Lift       float64 `json:"lift"`
	CILow      float64 `json:"ci_low"`
	CIHigh     float64 `json:"ci_high"`
	PValue     float64 `json:"p_value"`
	PAdjusted  float64 `json:"p_adjusted"`
	Difference float64 `json:"difference"` // treatment mean − control mean
	WelchDF    float64 `json:"welch_df"`

	CUPEDLift   *float64 `json:"cuped_lift,omitempty"`
	CUPEDCILow  *float64 `json:"cuped_ci_low,omitempty"`
	CUPEDCIHigh *float64 `json:"cuped_ci_high,omitempty"`
	CUPEDPValue *float64 `json:"cuped_p_value,omitempty"`
}

// Analysis is an experiment's fixed-horizon frequentist analysis.
type Analysis struct {
	SRMP        float64      `json:"srm_p"`
	SRMWarning  bool         `json:"srm_warning"` // SRMP below SRMThreshold
	Confidence  float64      `json:"confidence"`
	Sequential  bool         `json:"sequential,omitempty"` // the intervals and p-values are always valid
	Control     string       `json:"control"`
	Variants    []ArmStats   `json:"variants"`
	Comparisons []Comparison `json:"comparisons"`
	Theta       *float64     `json:"cuped_theta,omitempty"` // the pooled CUPED coefficient
}

// SRMThreshold is the p-value below which a sample-ratio mismatch is
// flagged: GrowthBook's, rare enough that a real mismatch stands out.
const SRMThreshold = 0.001

// Analyze compares every variant of obs against control at confidence
// (0.95 when 0). weights are the configured shares by variant name (equal
// when nil), for the sample-ratio check. CUPED is computed when every
// observation has a pre value.
func Analyze(obs []Observation, control string, weights map[string]float64, confidence float64) (Analysis, error) {
	return AnalyzeWith(obs, Options{Control: control, Weights: weights, Confidence: confidence})
}

// Options are how AnalyzeWith analyses.
type Options struct {
	Control    string
	Weights    map[string]float64
	Confidence float64 // 0.95 when 0
	// Sequential makes the intervals always valid (confidence sequences,
	// eq. 9 of Waudby-Smith et al. 2023, as GrowthBook): looking every day
	// and stopping at the first significant look keeps the error rate.
	// Tuning is the sample size around which they are tightest (5000).
	Sequential bool
	Tuning     float64
}

// DefaultTuning is the sequential tuning parameter GrowthBook defaults to.
const DefaultTuning = 5000

// AnalyzeWith is Analyze with Options.
func AnalyzeWith(obs []Observation, opt Options) (Analysis, error) {
	control, weights, confidence := opt.Control, opt.Weights, opt.Confidence
	if confidence == 0 {
		confidence = 0.95
	}
	if confidence <= 0 || confidence >= 1 {
		return Analysis{}, fmt.Errorf("confidence %v: between 0 and 1", confidence)
	}
	groups := map[string][]Observation{}
	var names []string
	allPre := len(obs) > 0
	for _, o := range obs {
		if _, ok := groups[o.Variant]; !ok {
			names = append(names, o.Variant)
		}
		groups[o.Variant] = append(groups[o.Variant], o)
		allPre = allPre && o.HasPre
	}
	sort.Strings(names)
	if len(names) < 2 {
		return Analysis{}, errors.New("an experiment needs at least two variants")
	}
	if control == "" {
		control = names[0]
	}
	if _, ok := groups[control]; !ok {
		return Analysis{}, fmt.Errorf("control %q has no observations", control)
	}
	a := Analysis{Confidence: confidence, Control: control, Sequential: opt.Sequential}
	interval := fixedInterval(confidence)
	if opt.Sequential {
		tuning := opt.Tuning
		if tuning <= 0 {
			tuning = DefaultTuning
		}
		interval = sequentialInterval(1-confidence, tuning)
	}
	for _, n := range names {
		if len(groups[n]) < 2 {
			return Analysis{}, fmt.Errorf("variant %q has fewer than two observations", n)
		}
		m, v := meanVar(values(groups[n]))
		a.Variants = append(a.Variants, ArmStats{Name: n, N: len(groups[n]), Mean: m, SD: math.Sqrt(v)})
	}
	var err error
	if a.SRMP, err = srm(a.Variants, weights); err != nil {
		return Analysis{}, err
	}
	a.SRMWarning = a.SRMP < SRMThreshold
	var theta float64
	if allPre {
		theta = cupedTheta(obs)
		a.Theta = &theta
	}
	ctl := values(groups[control])
	for _, n := range names {
		if n == control {
			continue
		}
		trt := values(groups[n])
		c := Comparison{Variant: n}
		c.Lift, c.CILow, c.CIHigh, c.PValue = relativeLift(ctl, trt, interval)
		c.Difference, c.WelchDF = welch(ctl, trt)
		if allPre {
			xc := pres(groups[control])
			xt := pres(groups[n])
			mx := poolMean(obs)
			l, lo, hi, p := relativeLift(adjust(ctl, xc, theta, mx), adjust(trt, xt, theta, mx), interval)
			c.CUPEDLift, c.CUPEDCILow, c.CUPEDCIHigh, c.CUPEDPValue = &l, &lo, &hi, &p
		}
		a.Comparisons = append(a.Comparisons, c)
	}
	holm(a.Comparisons)
	return a, nil
}

func values(os []Observation) []float64 {
	out := make([]float64, len(os))
	for i, o := range os {
		out[i] = o.Value
	}
	return out
}

func pres(os []Observation) []float64 {
	out := make([]float64, len(os))
	for i, o := range os {
		out[i] = o.Pre
	}
	return out
}

// meanVar returns the mean and the sample variance (n − 1).
func meanVar(xs []float64) (mean, variance float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	for _, x := range xs {
		variance += (x - mean) * (x - mean)
	}
	return mean, variance / float64(len(xs)-1)
}

// srm is the χ² goodness-of-fit p-value of the arms' sizes against
// weights (equal shares when nil).
func srm(arms []ArmStats, weights map[string]float64) (float64, error) {
	total, wsum := 0.0, 0.0
	for _, a := range arms {
		total += float64(a.N)
		w := 1.0
		if weights != nil {
			var ok bool
			if w, ok = weights[a.Name]; !ok || w <= 0 {
				return 0, fmt.Errorf("no positive weight for variant %q", a.Name)
			}
		}
		wsum += w
	}
	chi := 0.0
	for _, a := range arms {
		w := 1.0
		if weights != nil {
			w = weights[a.Name]
		}
		expected := total * w / wsum
		chi += (float64(a.N) - expected) * (float64(a.N) - expected) / expected
	}
	return distuv.ChiSquared{K: float64(len(arms) - 1)}.Survival(chi), nil
}

// interval turns an estimate's standard error and the units behind it
// into a half-width and the two-sided p-value of the estimate being 0.
type interval func(est, se float64, n int) (half, p float64)

// fixedInterval is the fixed-horizon normal interval at confidence.
func fixedInterval(confidence float64) interval {
	z := distuv.UnitNormal.Quantile(1 - (1-confidence)/2)
	return func(est, se float64, _ int) (float64, float64) {
		return z * se, 2 * distuv.UnitNormal.Survival(math.Abs(est)/se)
	}
}

// sequentialInterval is the always-valid confidence sequence at level
// alpha: half-width sqrt(s²)·sqrt(2(nρ²+1)·ln(sqrt(nρ²+1)/α)/(nρ)²) with
// s² = SE²·n the per-unit variance and ρ from the tuning parameter; its
// p-value is the smallest α whose sequence excludes 0 (found by bisection).
func sequentialInterval(alpha, tuning float64) interval {
	half := func(se float64, n int, alpha float64) float64 {
		la := math.Log(alpha)
		rho2 := (-2*la + math.Log(-2*la+1)) / tuning
		nn := float64(n)
		s2 := se * se * nn
		return math.Sqrt(s2) * math.Sqrt(2*(nn*rho2+1)*math.Log(math.Sqrt(nn*rho2+1)/alpha)/(nn*nn*rho2))
	}
	return func(est, se float64, n int) (float64, float64) {
		h := half(se, n, alpha)
		lo, hi := 1e-12, 1.0 // the sequence's half-width falls as α grows
		if half(se, n, hi-1e-12) > math.Abs(est) {
			return h, 1
		}
		for range 100 {
			mid := (lo + hi) / 2
			if half(se, n, mid) > math.Abs(est) {
				lo = mid
			} else {
				hi = mid
			}
		}
		return h, hi
	}
}

// relativeLift returns the lift of trt over ctl, mean_t/mean_c − 1, with
// its delta-method interval and the two-sided p-value of lift = 0.
func relativeLift(ctl, trt []float64, iv interval) (lift, lo, hi, p float64) {
	mc, vc := meanVar(ctl)
	mt, vt := meanVar(trt)
	nc, nt := float64(len(ctl)), float64(len(trt))
	if mc == 0 {
		return math.NaN(), math.NaN(), math.NaN(), math.NaN()
	}
	lift = mt/mc - 1
	// Var(mt/mc) ≈ Var(mt)/mc² + mt²·Var(mc)/mc⁴
	se := math.Sqrt(vt/nt/(mc*mc) + mt*mt*vc/nc/(mc*mc*mc*mc))
	if se == 0 {
		return lift, lift, lift, map[bool]float64{true: 1, false: 0}[lift == 0]
	}
	h, p := iv(lift, se, len(ctl)+len(trt))
	return lift, lift - h, lift + h, p
}

// welch returns the difference of means and the Welch–Satterthwaite
// degrees of freedom.
func welch(ctl, trt []float64) (diff, df float64) {
	mc, vc := meanVar(ctl)
	mt, vt := meanVar(trt)
	nc, nt := float64(len(ctl)), float64(len(trt))
	a, b := vc/nc, vt/nt
	return mt - mc, (a + b) * (a + b) / (a*a/(nc-1) + b*b/(nt-1))
}

// cupedTheta is the pooled coefficient cov(y, x)/var(x) over every arm.
func cupedTheta(obs []Observation) float64 {
	var my, mx float64
	for _, o := range obs {
		my += o.Value
		mx += o.Pre
	}
	n := float64(len(obs))
	my, mx = my/n, mx/n
	var cov, vx float64
	for _, o := range obs {
		cov += (o.Value - my) * (o.Pre - mx)
		vx += (o.Pre - mx) * (o.Pre - mx)
	}
	if vx == 0 {
		return 0
	}
	return cov / vx
}

func poolMean(obs []Observation) float64 {
	s := 0.0
	for _, o := range obs {
		s += o.Pre
	}
	return s / float64(len(obs))
}

// adjust returns y − θ(x − mean x): the CUPED-adjusted metric.
func adjust(y, x []float64, theta, mx float64) []float64 {
	out := make([]float64, len(y))
	for i := range y {
		out[i] = y[i] - theta*(x[i]-mx)
	}
	return out
}

// holm sets each comparison's Holm–Bonferroni adjusted p-value.
func holm(cs []Comparison) {
	idx := make([]int, len(cs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case cs[a].PValue < cs[b].PValue:
			return -1
		case cs[a].PValue > cs[b].PValue:
			return 1
		}
		return 0
	})
	m := float64(len(cs))
	running := 0.0
	for rank, i := range idx {
		adj := math.Min(1, (m-float64(rank))*cs[i].PValue)
		running = math.Max(running, adj) // adjusted p-values never decrease with rank
		cs[i].PAdjusted = running
	}
}
