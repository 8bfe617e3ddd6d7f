package support

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// EvalCase is one question of an evaluation set: the entry that answers
// it, or none when the FAQ does not (the bot should decline).
type EvalCase struct {
	Q      string  `json:"q"`
	Lang   string  `json:"lang"`   // "en" or "zh"
	Expect *string `json:"expect"` // an entry id; null: out of scope
}

// ReadEvalCases reads an evaluation set in JSON Lines, one EvalCase a line
// (blank lines skipped). A bad line is an error naming it.
func ReadEvalCases(r io.Reader) ([]EvalCase, error) {
	var out []EvalCase
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var c EvalCase
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if c.Q == "" || c.Lang != "en" && c.Lang != "zh" {
			return nil, fmt.Errorf("line %d: want a non-empty \"q\" and \"lang\" en or zh", n)
		}
		out = append(out, c)
	}
	return out, sc.Err()
}

// EvalCounts are the outcomes of an evaluation for one language (or all).
type EvalCounts struct {
	InScope     int // questions the FAQ answers
	Right       int // answered with the expected entry
	Declined    int // in scope, but no answer
	Wrong       int // in scope, answered with another entry
	OutOfScope  int // questions the FAQ does not answer
	OOSDeclined int // of which declined, as they should be
}

// Add adds o's counts to c.
func (c *EvalCounts) Add(o EvalCounts) {
	c.InScope += o.InScope
	c.Right += o.Right
	c.Declined += o.Declined
	c.Wrong += o.Wrong
	c.OutOfScope += o.OutOfScope
	c.OOSDeclined += o.OOSDeclined
}

// Confusion is one question answered with the wrong entry, or out of
// scope and answered.
type Confusion struct {
	Q, Lang     string
	Expect, Got string // "" for none
}

// EvalReport is what Evaluate found: counts per language and the
// confusions, in the set's order.
type EvalReport struct {
	ByLang     map[string]EvalCounts
	Confusions []Confusion
	Missed     []Confusion // in scope but declined (Got is empty)
}

// Total sums the languages' counts.
func (r EvalReport) Total() EvalCounts {
	var t EvalCounts
	for _, c := range r.ByLang {
		t.Add(c)
	}
	return t
}

// Evaluate answers every case offline, as a member asking in chat would
// be answered, and counts the outcomes.
func Evaluate(kb *KB, cases []EvalCase) EvalReport {
	return EvaluateWith(func(q string) string { return Offline(kb, q).EntryID }, cases)
}

// EvaluateWith counts the outcomes of answer, which returns the FAQ entry
// a question is answered with ("" for none), over cases.
func EvaluateWith(answer func(question string) string, cases []EvalCase) EvalReport {
	r := EvalReport{ByLang: map[string]EvalCounts{}}
	for _, c := range cases {
		got := answer(c.Q)
		n := r.ByLang[c.Lang]
		switch {
		case c.Expect == nil:
			n.OutOfScope++
			if got == "" {
				n.OOSDeclined++
			} else {
				r.Confusions = append(r.Confusions, Confusion{Q: c.Q, Lang: c.Lang, Got: got})
			}
		case got == *c.Expect:
			n.InScope++
			n.Right++
		case got == "":
			n.InScope++
			n.Declined++
			r.Missed = append(r.Missed, Confusion{Q: c.Q, Lang: c.Lang, Expect: *c.Expect})
		default:
			n.InScope++
			n.Wrong++
			r.Confusions = append(r.Confusions, Confusion{Q: c.Q, Lang: c.Lang, Expect: *c.Expect, Got: got})
		}
		r.ByLang[c.Lang] = n
	}
	return r
}

// Write prints the report: a line per language and one for all, as
// counts and shares, then the confusions.
func (r EvalReport) Write(w io.Writer) error {
	pct := func(n, of int) string {
		if of == 0 {
			return "  -  "
		}
		return fmt.Sprintf("%5.1f%%", 100*float64(n)/float64(of))
	}
	line := func(name string, c EvalCounts) string {
		return fmt.Sprintf("%-4s in scope %3d: right %3d %s  declined %3d %s  wrong %3d %s | out of scope %3d: declined %3d %s\n",
			name, c.InScope, c.Right, pct(c.Right, c.InScope), c.Declined, pct(c.Declined, c.InScope), c.Wrong, pct(c.Wrong, c.InScope),
			c.OutOfScope, c.OOSDeclined, pct(c.OOSDeclined, c.OutOfScope))
	}
	var b strings.Builder
	langs := make([]string, 0, len(r.ByLang))
	for l := range r.ByLang {
		langs = append(langs, l)
	}
	slices.Sort(langs)
	for _, l := range langs {
		b.WriteString(line(l, r.ByLang[l]))
	}
	b.WriteString(line("all", r.Total()))
	if len(r.Confusions) > 0 {
		b.WriteString("\nconfusions (expected → answered):\n")
		for _, c := range r.Confusions {
			exp := c.Expect
			if exp == "" {
				exp = "(out of scope)"
			}
			fmt.Fprintf(&b, "  [%s] %s → %s: %s\n", c.Lang, exp, c.Got, c.Q)
		}
	}
	if len(r.Missed) > 0 {
		b.WriteString("\ndeclined although the FAQ answers them (expected):\n")
		for _, c := range r.Missed {
			fmt.Fprintf(&b, "  [%s] %s: %s\n", c.Lang, c.Expect, c.Q)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// CheckEvalCases returns an error naming every case whose expected entry
// kb does not have: a typo there would count as a wrong answer.
func CheckEvalCases(kb *KB, cases []EvalCase) error {
	var errs []error
	for i, c := range cases {
		if c.Expect == nil {
			continue
		}
		if _, ok := kb.Entry(*c.Expect); !ok {
			errs = append(errs, fmt.Errorf("question %d (%q): the FAQ has no entry %q", i+1, c.Q, *c.Expect))
		}
	}
	return errors.Join(errs...)
}
