package support_test

import (
	"os"
	"testing"

	"github.com/loyalbot/loyalbot/community/support"
)

// TestHeldOut_Floor answers the held-out half of the evaluation set
// (testdata/eval, written by someone who saw only the FAQ; never tuned on)
// and fails when the offline answers get worse than the floor below. When
// the set was written retrieval stood at right 59.7%, wrong 16.7%, out of
// scope declined 69.2%; with gse words, WordNet and CC-CEDICT expansions,
// per-question documents and the calibrated threshold it stands at right
// 61.8%, wrong 7.6%, declined 88.5% (the floor is that, rounded). Issue
// 14's target is right ≥ 85% (each language ≥ 80%), wrong ≤ 5%, out of
// scope declined ≥ 90%.
func TestHeldOut_Floor(t *testing.T) {
	kb := loadLumen(t)
	f, err := os.Open("testdata/eval/heldout.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cases, err := support.ReadEvalCases(f)
	if err != nil {
		t.Fatal(err)
	}
	tot := support.Evaluate(kb, cases).Total()
	right := float64(tot.Right) / float64(tot.InScope)
	wrong := float64(tot.Wrong) / float64(tot.InScope)
	oos := float64(tot.OOSDeclined) / float64(tot.OutOfScope)
	t.Logf("held out: right %.1f%%, wrong %.1f%%, out of scope declined %.1f%% (%d in scope, %d out)", 100*right, 100*wrong, 100*oos, tot.InScope, tot.OutOfScope)
	if right < 0.60 || wrong > 0.08 || oos < 0.88 {
		t.Errorf("offline answers got worse on the held-out set: right %.1f%% (floor 60%%), wrong %.1f%% (ceiling 8%%), out of scope declined %.1f%% (floor 88%%)",
			100*right, 100*wrong, 100*oos)
	}
}
