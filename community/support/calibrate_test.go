package support_test

import (
	"bytes"
	"math"
	"os"
	"testing"

	"github.com/loyalbot/loyalbot/community/support"
)

func readCases(t *testing.T, path string) []support.EvalCase {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cases, err := support.ReadEvalCases(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return cases
}

// TestCalibration_FitOnTuningData refits the offline answer threshold on
// the tuning questions only (tune.jsonl and paraphrases.jsonl, never
// heldout.jsonl) and checks that the calibration Offline uses is exactly
// that fit: the committed constants cannot drift from the data or be
// nudged by hand.
func TestCalibration_FitOnTuningData(t *testing.T) {
	kb := loadLumen(t)
	cases := append(readCases(t, "testdata/eval/tune.jsonl"), readCases(t, "testdata/eval/paraphrases.jsonl")...)
	fit, used := support.Calibrate(kb, cases), support.DefaultCalibration()
	close := math.Abs(fit.Threshold-used.Threshold) < 0.01
	for i := range fit.Weights {
		close = close && math.Abs(fit.Weights[i]-used.Weights[i]) < 0.05
	}
	if !close {
		var b bytes.Buffer
		fit.WriteGo(&b)
		t.Errorf("defaultCalibration is not the fit on the tuning questions; replace it in calibrate.go with\n%s", b.String())
	}
}

// TestCalibration_ThresholdWeighsCosts: on a set where every best hit is
// wrong the fit never answers; where every one is right it answers all.
func TestCalibration_ThresholdWeighsCosts(t *testing.T) {
	kb := loadLumen(t)
	qs := []string{"How long does shipping take?", "Do you ship internationally?", "满多少包邮？", "How do I return an item?"}
	var right, wrong []support.EvalCase
	for _, q := range qs {
		id := kb.Search(q, 1)[0].Entry.ID
		right = append(right, support.EvalCase{Q: q, Lang: support.LangOf(q), Expect: &id})
		other := "allergens"
		wrong = append(wrong, support.EvalCase{Q: q, Lang: support.LangOf(q), Expect: &other})
	}
	if c := support.Calibrate(kb, wrong); c.Threshold != 1 {
		t.Errorf("all wrong: threshold %v, want 1 (never answer)", c.Threshold)
	}
	c := support.Calibrate(kb, right)
	for _, q := range right {
		if p := c.Probability(kb.Search(q.Q, 2)); p < c.Threshold {
			t.Errorf("all right: %q has probability %.3f below the threshold %.3f", q.Q, p, c.Threshold)
		}
	}
}
