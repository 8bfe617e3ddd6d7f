package support_test

import (
	"os"
	"strings"
	"testing"

	"github.com/loyalbot/loyalbot/community/support"
)

func loadLumen(t testing.TB) *support.KB {
	t.Helper()
	data, err := os.ReadFile("testdata/lumen-tea.yaml")
	if err != nil {
		t.Fatal(err)
	}
	kb, err := support.LoadKB(data)
	if err != nil {
		t.Fatal(err)
	}
	return kb
}

// TestRetrieval_Quality answers testdata/eval/paraphrases.jsonl — 75
// questions the team wrote next to the code, the way members type, 15 out
// of scope — a tuning set (the calibration is fitted on it and tune.jsonl),
// so it holds it to more than the held-out floor: a slip here is a
// regression, not noise. (It held 85% right while a hand synonym list
// written next to these questions was in use; with the general lexicons
// alone it is about 82%.)
func TestRetrieval_Quality(t *testing.T) {
	kb := loadLumen(t)
	cases := readCases(t, "testdata/eval/paraphrases.jsonl")
	r := support.Evaluate(kb, cases)
	tot := r.Total()
	if tot.InScope < 60 || tot.OutOfScope < 15 {
		t.Fatalf("evaluation set too small: %d in scope, %d out of scope", tot.InScope, tot.OutOfScope)
	}
	for _, c := range r.Confusions {
		t.Logf("confused: %q → %s, want %q", c.Q, c.Got, c.Expect)
	}
	right := float64(tot.Right) / float64(tot.InScope)
	wrong := float64(tot.Wrong) / float64(tot.InScope)
	oos := float64(tot.OOSDeclined) / float64(tot.OutOfScope)
	t.Logf("right %.1f%%, wrong %.1f%%, out of scope declined %.1f%%", 100*right, 100*wrong, 100*oos)
	if right < 0.80 || wrong > 0.05 || oos < 0.90 {
		t.Errorf("retrieval quality below target: right %.2f (want ≥0.80), wrong %.2f (want ≤0.05), out of scope declined %.2f (want ≥0.90)", right, wrong, oos)
	}
}

// TestOffline_ListedQuestions: a question the FAQ lists is answered with
// its entry, however it is cased, punctuated or spaced — in the repo's
// FAQ and the built-in one, whose short entries share most words.
func TestOffline_ListedQuestions(t *testing.T) {
	for _, file := range []string{"testdata/lumen-tea.yaml", "../../cmd/loyalbot/faq.yaml"} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		kb, err := support.LoadKB(data)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range kb.Entries {
			for _, qs := range e.Questions {
				for _, q := range qs {
					for _, asked := range []string{q, strings.ToUpper(strings.TrimRight(q, "?？")) + "  ??"} {
						if got := support.Offline(kb, asked); got.EntryID != e.ID {
							t.Errorf("%s: %q answered with %q, want %s", file, asked, got.EntryID, e.ID)
						}
					}
				}
			}
		}
	}
}

// TestSearch_LongWords: a question made of one very long word, or a very
// long message, is searched in bounded work — spelling correction once
// needed memory growing with the cube of a word's length (3,000 letters
// ran a server out of memory).
func TestSearch_LongWords(t *testing.T) {
	kb := loadLumen(t)
	for _, q := range []string{
		"https://shop.example.com/p?" + strings.Repeat("a", 400),
		"https://shop.example.com/p?" + strings.Repeat("a", 5000),
		strings.Repeat("pneumonoultramicroscopic", 400),
		strings.Repeat("how long does shipping take ", 2000),
		strings.Repeat("积分", 5000),
	} {
		allocs := testing.AllocsPerRun(1, func() { kb.Search(q, 3) })
		if allocs > 20_000 {
			t.Errorf("a %d-byte question took %.0f allocations", len(q), allocs)
		}
	}
}

// TestOffline_TraditionalCharacters: a question in traditional characters
// is answered as the same question in simplified ones.
func TestOffline_TraditionalCharacters(t *testing.T) {
	kb := loadLumen(t)
	for trad, simp := range map[string]string{
		"積分什麼時候過期": "积分什么时候过期",
		"發貨要多久？":   "发货要多久？",
		"怎麼開發票":    "怎么开发票",
		"會員等級有哪些？": "会员等级有哪些？",
	} {
		want := support.Offline(kb, simp)
		if want.EntryID == "" {
			t.Fatalf("%s is not answered: the test needs a question the FAQ answers", simp)
		}
		if got := support.Offline(kb, trad); got.EntryID != want.EntryID || got.Lang != "zh" {
			t.Errorf("%s answered %q (%s), want %q like %s", trad, got.EntryID, got.Lang, want.EntryID, simp)
		}
	}
}
