package support

import (
	"fmt"
	"io"
	"math"
	"slices"
)

// Calibration turns a search's best hit into the probability that it is
// the right entry (logistic regression over the hit's features) and
// answers only above a threshold. The one Offline uses, defaultCalibration,
// was fitted by Calibrate on testdata/eval/tune.jsonl and paraphrases.jsonl
// — never on heldout.jsonl — and a test checks that it still is what the
// fit gives.
type Calibration struct {
	Weights   [numFeatures]float64
	Threshold float64
}

const numFeatures = 5

// defaultCalibration is what TestCalibration_FitOnTuningData fits; when
// retrieval changes, that test prints the literal to put here.
var defaultCalibration = Calibration{Weights: [numFeatures]float64{-3.82554, 1.44201, 2.45816, 1.48416, 1.29595}, Threshold: 0.665624}

// features of a question's best hit: a bias, how much of the question the
// entry explains, how strong the match is, how far ahead of the runner-up
// it is, and how much of the question one of its listed questions
// explains. (Two more — how many words it shares, how much of the question
// the FAQ never uses — were left out: five-fold cross-validation on the
// tuning questions scored better without them.)
func features(hits []Passage) [numFeatures]float64 {
	best := hits[0]
	margin := 1.0
	if len(hits) > 1 && best.Score > 0 {
		margin = (best.Score - hits[1].Score) / best.Score
	}
	return [numFeatures]float64{1, best.Confidence, math.Log1p(best.Strength), margin, best.QuestionMatch}
}

// Probability is the calibrated chance that hits[0] answers the question.
func (c Calibration) Probability(hits []Passage) float64 {
	if len(hits) == 0 {
		return 0
	}
	return sigmoid(dot(c.Weights, features(hits)))
}

// The costs the threshold weighs, in right answers: a wrong answer is
// worse than "I don't know, here is a person" — it misleads the member and
// costs a manager's time to undo — and so, less, is an answer to a
// question the FAQ does not cover.
const (
	costWrong      = 3
	costOutOfScope = 1.5
)

// Calibrate fits a Calibration on an evaluation set: the weights by
// L2-regularised logistic regression (Newton's method; label: the best hit
// is the expected entry), the threshold as the probability above which
// answering gains most: right answers less costWrong for each wrong one
// and costOutOfScope for each out-of-scope question answered.
func Calibrate(kb *KB, cases []EvalCase) Calibration {
	type sample struct {
		x       [numFeatures]float64
		right   bool // best hit is the expected entry
		inScope bool
	}
	var ss []sample
	for _, c := range cases {
		hits := kb.Search(c.Q, 2)
		if len(hits) == 0 {
			continue // declined whatever the threshold
		}
		ss = append(ss, sample{x: features(hits), right: c.Expect != nil && *c.Expect == hits[0].Entry.ID, inScope: c.Expect != nil})
	}
	var cal Calibration
	const lambda = 1.0
	for iter := 0; iter < 50; iter++ {
		var grad [numFeatures]float64
		var hess [numFeatures][numFeatures]float64
		for _, s := range ss {
			p := sigmoid(dot(cal.Weights, s.x))
			y := 0.0
			if s.right {
				y = 1
			}
			for i := range grad {
				grad[i] += (p - y) * s.x[i]
				for j := range hess[i] {
					hess[i][j] += p * (1 - p) * s.x[i] * s.x[j]
				}
			}
		}
		for i := 1; i < numFeatures; i++ { // not the bias
			grad[i] += lambda * cal.Weights[i]
			hess[i][i] += lambda
		}
		step := solve(hess, grad)
		var size float64
		for i := range step {
			cal.Weights[i] -= step[i]
			size += math.Abs(step[i])
		}
		if size < 1e-12 {
			break
		}
	}
	// The threshold: try each sample's probability, keep the best gain
	// (the lowest threshold among equals).
	probs := make([]float64, len(ss))
	for i, s := range ss {
		probs[i] = sigmoid(dot(cal.Weights, s.x))
	}
	cands := slices.Clone(probs)
	slices.Sort(cands)
	cal.Threshold = 1
	bestGain := 0.0
	for _, t := range cands {
		var gain float64
		for i, s := range ss {
			switch {
			case probs[i] < t:
			case !s.inScope:
				gain -= costOutOfScope
			case s.right:
				gain++
			default:
				gain -= costWrong
			}
		}
		if gain > bestGain {
			cal.Threshold, bestGain = t, gain
		}
	}
	return cal
}

// WriteGo prints the calibration as the Go literal of defaultCalibration.
func (c Calibration) WriteGo(w io.Writer) error {
	_, err := fmt.Fprintf(w, "var defaultCalibration = Calibration{Weights: [numFeatures]float64{%.6g, %.6g, %.6g, %.6g, %.6g}, Threshold: %.6g}\n",
		c.Weights[0], c.Weights[1], c.Weights[2], c.Weights[3], c.Weights[4], c.Threshold)
	return err
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

func dot(a, b [numFeatures]float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// solve solves h·x = g by Gaussian elimination with partial pivoting (h is
// a small positive-definite matrix).
func solve(h [numFeatures][numFeatures]float64, g [numFeatures]float64) [numFeatures]float64 {
	for col := 0; col < numFeatures; col++ {
		p := col
		for r := col + 1; r < numFeatures; r++ {
			if math.Abs(h[r][col]) > math.Abs(h[p][col]) {
				p = r
			}
		}
		h[col], h[p] = h[p], h[col]
		g[col], g[p] = g[p], g[col]
		for r := col + 1; r < numFeatures; r++ {
			f := h[r][col] / h[col][col]
			for c := col; c < numFeatures; c++ {
				h[r][c] -= f * h[col][c]
			}
			g[r] -= f * g[col]
		}
	}
	var x [numFeatures]float64
	for r := numFeatures - 1; r >= 0; r-- {
		s := g[r]
		for c := r + 1; c < numFeatures; c++ {
			s -= h[r][c] * x[c]
		}
		x[r] = s / h[r][r]
	}
	return x
}

// DefaultCalibration is the calibration Offline answers with.
func DefaultCalibration() Calibration { return defaultCalibration }
