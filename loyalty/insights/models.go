package insights

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/optimize"
)

// BGNBD holds fitted BG/NBD parameters (Fader, Hardie & Lee 2005): while
// alive a customer buys at a Gamma(r, α)-distributed rate, and after each
// purchase drops out with a Beta(a, b)-distributed probability.
type BGNBD struct {
	R, Alpha, A, B float64
	LogLik         float64 // at the optimum
}

// GammaGamma holds fitted Gamma-Gamma spend parameters (Fader & Hardie
// 2013): a customer's transaction values are Gamma(p, ν) with ν ~ Gamma(q, γ).
type GammaGamma struct {
	P, Q, V float64
	LogLik  float64
}

// ErrNoData is returned when there is nothing to fit.
var ErrNoData = errors.New("insights: no customers to fit")

func lgamma(x float64) float64 {
	v, _ := math.Lgamma(x)
	return v
}

// bgnbdLL is one customer's BG/NBD log-likelihood.
func bgnbdLL(r, alpha, a, b float64, x int, tx, T float64) float64 {
	xf := float64(x)
	a1 := lgamma(r+xf) - lgamma(r) + r*math.Log(alpha)
	a2 := lgamma(a+b) + lgamma(b+xf) - lgamma(b) - lgamma(a+b+xf)
	a3 := -(r + xf) * math.Log(alpha+T)
	if x == 0 {
		return a1 + a2 + a3
	}
	a4 := math.Log(a) - math.Log(b+xf-1) - (r+xf)*math.Log(alpha+tx)
	return a1 + a2 + logAddExp(a3, a4)
}

func logAddExp(x, y float64) float64 {
	m := math.Max(x, y)
	return m + math.Log(math.Exp(x-m)+math.Exp(y-m))
}

// FitBGNBD fits BG/NBD to the summaries by maximum likelihood (Nelder-Mead
// on the logs of the parameters, which keeps them positive).
func FitBGNBD(s []Summary) (BGNBD, error) {
	if len(s) == 0 {
		return BGNBD{}, ErrNoData
	}
	nll := func(p []float64) float64 {
		r, alpha, a, b := math.Exp(p[0]), math.Exp(p[1]), math.Exp(p[2]), math.Exp(p[3])
		var ll float64
		for _, c := range s {
			ll += bgnbdLL(r, alpha, a, b, c.Frequency, c.Recency, c.T)
		}
		if math.IsNaN(ll) {
			return math.Inf(1)
		}
		return -ll
	}
	p, f, err := minimize(nll, []float64{0, 0, 0, 0})
	if err != nil {
		return BGNBD{}, fmt.Errorf("fit BG/NBD: %w", err)
	}
	return BGNBD{R: math.Exp(p[0]), Alpha: math.Exp(p[1]), A: math.Exp(p[2]), B: math.Exp(p[3]), LogLik: -f}, nil
}

// FitGammaGamma fits the spend model to customers with repeat purchases.
func FitGammaGamma(s []Summary) (GammaGamma, error) {
	var xs, ms []float64
	for _, c := range s {
		if c.Frequency > 0 && c.MeanValue > 0 {
			xs, ms = append(xs, float64(c.Frequency)), append(ms, c.MeanValue)
		}
	}
	if len(xs) == 0 {
		return GammaGamma{}, ErrNoData
	}
	nll := func(par []float64) float64 {
		p, q, v := math.Exp(par[0]), math.Exp(par[1]), math.Exp(par[2])
		var ll float64
		for i, x := range xs {
			m := ms[i]
			ll += lgamma(p*x+q) - lgamma(p*x) - lgamma(q) + q*math.Log(v) + (p*x-1)*math.Log(m) + p*x*math.Log(x) - (p*x+q)*math.Log(x*m+v)
		}
		if math.IsNaN(ll) {
			return math.Inf(1)
		}
		return -ll
	}
	p, f, err := minimize(nll, []float64{0, 0, 0})
	if err != nil {
		return GammaGamma{}, fmt.Errorf("fit Gamma-Gamma: %w", err)
	}
	return GammaGamma{P: math.Exp(p[0]), Q: math.Exp(p[1]), V: math.Exp(p[2]), LogLik: -f}, nil
}

// minimize runs Nelder-Mead from x0 to a tight convergence.
func minimize(f func([]float64) float64, x0 []float64) ([]float64, float64, error) {
	res, err := optimize.Minimize(optimize.Problem{Func: f}, x0, &optimize.Settings{
		Converger:       &optimize.FunctionConverge{Absolute: 1e-10, Relative: 1e-10, Iterations: 200},
		MajorIterations: 20_000,
	}, &optimize.NelderMead{})
	if err != nil && res == nil {
		return nil, 0, err
	}
	return res.X, res.F, nil
}

// PAlive returns the probability the customer is still active.
func (m BGNBD) PAlive(s Summary) float64 {
	if s.Frequency == 0 {
		return 1
	}
	x := float64(s.Frequency)
	return 1 / (1 + m.A/(m.B+x-1)*math.Pow((m.Alpha+s.T)/(m.Alpha+s.Recency), m.R+x))
}

// ExpectedPurchases returns the expected transactions in the next t weeks.
func (m BGNBD) ExpectedPurchases(s Summary, t float64) float64 {
	x := float64(s.Frequency)
	a := m.A
	if a == 1 {
		a = 1 + 1e-9 // the formula's removable singularity
	}
	z := t / (m.Alpha + s.T + t)
	h := hyp2f1(m.R+x, m.B+x, a+m.B+x-1, z)
	num := (a + m.B + x - 1) / (a - 1) * (1 - math.Pow((m.Alpha+s.T)/(m.Alpha+s.T+t), m.R+x)*h)
	den := 1.0
	if s.Frequency > 0 {
		den += m.A / (m.B + x - 1) * math.Pow((m.Alpha+s.T)/(m.Alpha+s.Recency), m.R+x)
	}
	return num / den
}

// ExpectedSpend returns the expected mean transaction value of the customer.
func (g GammaGamma) ExpectedSpend(s Summary) float64 {
	x := float64(s.Frequency)
	pop := g.P * g.V / (g.Q - 1)
	if s.Frequency == 0 {
		return pop
	}
	w := (g.Q - 1) / (g.P*x + g.Q - 1)
	return w*pop + (1-w)*s.MeanValue
}

// CLV returns the customer's value over the next months months: expected
// purchases in each month times expected spend, discounted monthly at
// rate (0.01 is 1% a month).
func CLV(m BGNBD, g GammaGamma, s Summary, months int, rate float64) float64 {
	spend := g.ExpectedSpend(s)
	var v, prev float64
	for i := 1; i <= months; i++ {
		cum := m.ExpectedPurchases(s, float64(i)*30/7)
		v += (cum - prev) * spend / math.Pow(1+rate, float64(i))
		prev = cum
	}
	return v
}

// hyp2f1 is the Gauss hypergeometric function ₂F₁(a, b; c; z) for |z| < 1,
// summed as a series.
func hyp2f1(a, b, c, z float64) float64 {
	sum, term := 1.0, 1.0
	for n := 0; n < 100_000; n++ {
		nf := float64(n)
		term *= (a + nf) * (b + nf) / ((c + nf) * (nf + 1)) * z
		sum += term
		if math.Abs(term) < 1e-15*math.Abs(sum) {
			break
		}
	}
	return sum
}
