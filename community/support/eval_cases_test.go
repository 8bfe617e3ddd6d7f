package support_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/loyalbot/loyalbot/community/support"
)

// TestEvaluate_CountsEveryOutcome: a question the FAQ lists is right for
// its entry and wrong for another, gibberish is declined (rightly when out
// of scope), and an out-of-scope question answered is a confusion.
func TestEvaluate_CountsEveryOutcome(t *testing.T) {
	kb := loadLumen(t)
	set := `{"q": "How long does shipping take?", "lang": "en", "expect": "shipping-time"}
{"q": "How long does shipping take?", "lang": "en", "expect": "allergens"}

{"q": "qwzx vbnm", "lang": "en", "expect": "shipping-time"}
{"q": "qwzx vbnm", "lang": "en", "expect": null}
{"q": "How long does shipping take?", "lang": "en", "expect": null}
{"q": "满多少包邮？", "lang": "zh", "expect": "shipping-cost"}
`
	cases, err := support.ReadEvalCases(strings.NewReader(set))
	if err != nil {
		t.Fatal(err)
	}
	r := support.Evaluate(kb, cases)
	wantEN := support.EvalCounts{InScope: 3, Right: 1, Declined: 1, Wrong: 1, OutOfScope: 2, OOSDeclined: 1}
	if got := r.ByLang["en"]; got != wantEN {
		t.Errorf("en %+v, want %+v", got, wantEN)
	}
	if got := r.Total(); got.Right != 2 || got.InScope != 4 {
		t.Errorf("total %+v, want 2 of 4 right", got)
	}
	want := []support.Confusion{
		{Q: "How long does shipping take?", Lang: "en", Expect: "allergens", Got: "shipping-time"},
		{Q: "How long does shipping take?", Lang: "en", Got: "shipping-time"},
	}
	if len(r.Confusions) != 2 || r.Confusions[0] != want[0] || r.Confusions[1] != want[1] {
		t.Errorf("confusions %+v, want %+v", r.Confusions, want)
	}
	var out bytes.Buffer
	if err := r.Write(&out); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"en   in scope   3: right   1  33.3%  declined   1  33.3%  wrong   1  33.3% | out of scope   2: declined   1  50.0%",
		"zh   in scope   1: right   1 100.0%",
		"all  in scope   4: right   2  50.0%",
		"[en] allergens → shipping-time: How long does shipping take?",
		"[en] (out of scope) → shipping-time: How long does shipping take?",
	} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("report lacks %q:\n%s", line, out.String())
		}
	}
	for _, bad := range []string{`{"q": "x", "lang": "fr", "expect": null}`, `{"q": "", "lang": "en"}`, `{"q": `} {
		if _, err := support.ReadEvalCases(strings.NewReader("\n" + bad)); err == nil || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("%s: %v, want an error naming line 2", bad, err)
		}
	}
}
