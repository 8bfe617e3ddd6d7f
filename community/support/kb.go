// Package support is loyalbot's customer service: a FAQ knowledge base
// searched offline (BM25 over each entry's questions and answer: English
// words with chat-speak, typo correction and WordNet synonyms, Chinese
// words from gse with CC-CEDICT glosses; answered above a threshold
// calibrated on data), an agent on any OpenAI-compatible endpoint whose tools only
// ever see the member who asked, and hand-off tickets for humans.
package support

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Entry is one FAQ entry: questions and an answer in each language.
type Entry struct {
	ID        string              `yaml:"id"`
	Questions map[string][]string `yaml:"questions"` // by language: "en", "zh"
	Answer    map[string]string   `yaml:"answer"`
	Tags      []string            `yaml:"tags"`
	// Unshown says the questions are a member's own words (an entry
	// learned from a ticket and not rephrased): members are shown the
	// answer, never the questions.
	Unshown bool `yaml:"-"`
}

// KB is a loaded knowledge base with its search index. It is immutable
// and safe for concurrent use.
type KB struct {
	Brand   string
	Entries []Entry
	index   *index
}

var entryFields = map[string]bool{"id": true, "questions": true, "answer": true, "tags": true}

// ErrBadKB is wrapped by the errors LoadKB returns; the message names the
// line and the reason.
var ErrBadKB = errors.New("support: bad FAQ file")

// LoadKB parses a FAQ in the format of lumen-tea.yaml and indexes it.
// Placeholders such as {{points.checkin_points}} are left as written; see
// LoadKBWith.
func LoadKB(data []byte) (*KB, error) { return LoadKBWith(data, nil) }

// placeholder matches {{name}} in an answer; condition matches an
// innermost {{if name}}…{{end}} or {{unless name}}…{{end}}.
var (
	placeholder = regexp.MustCompile(`\{\{\s*([a-z0-9_.]+)\s*\}\}`)
	condition   = regexp.MustCompile(`(?s)\{\{\s*(if|unless)\s+([a-z0-9_.]+)\s*\}\}((?:[^{]|\{[^{]|\{\{\s*[a-z0-9_.]+\s*\}\})*?)\{\{\s*end\s*\}\}`)
)

// fill replaces the conditions and placeholders of an answer from vars:
// {{if name}}text{{end}} keeps text when the setting is on — a number
// above 0, true, or any other text — and {{unless name}}text{{end}} when
// it is off; {{name}} is the value. unknown is the first name vars lacks.
func fill(text string, vars map[string]string) (filled, unknown string) {
	use := func(name string) string {
		v, ok := vars[name]
		if !ok && unknown == "" {
			unknown = name
		}
		return v
	}
	for { // innermost first, so conditions nest
		next := condition.ReplaceAllStringFunc(text, func(m string) string {
			g := condition.FindStringSubmatch(m)
			v := use(g[2])
			on := v != "" && v != "false" && v != "0" && !strings.HasPrefix(v, "-")
			if on == (g[1] == "if") {
				return g[3]
			}
			return ""
		})
		if next == text {
			break
		}
		text = next
	}
	text = placeholder.ReplaceAllStringFunc(text, func(m string) string { return use(placeholder.FindStringSubmatch(m)[1]) })
	return text, unknown
}

// lineOf returns the line, from line from on, where data names the
// setting, or from when it does not.
func lineOf(data []byte, from int, name string) int {
	for i, l := range strings.Split(string(data), "\n") {
		if i+1 >= from && strings.Contains(l, name) {
			return i + 1
		}
	}
	return from
}

// closest suggests the setting nearest to a misspelt name.
func closest(name string, vars map[string]string) string {
	best, bestD := "", 4
	for v := range vars {
		if d := editDistance(name, v); d < bestD || d == bestD && v < best {
			best, bestD = v, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean {{%s}}?)", best)
}

// LoadKBWith is LoadKB with each {{name}} in an answer replaced by
// vars[name] — the community's settings, so an answer quotes the points a
// check-in really pays. A name vars lacks is an error naming the line.
func LoadKBWith(data []byte, vars map[string]string) (*KB, error) {
	var doc struct {
		Brand   string      `yaml:"brand"`
		Entries []yaml.Node `yaml:"entries"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadKB, err)
	}
	kb := &KB{Brand: doc.Brand}
	seen := map[string]int{}
	for _, n := range doc.Entries {
		for i := 0; n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; !entryFields[k.Value] {
				return nil, fmt.Errorf("%w: line %d: unknown field %q (want id, questions, answer, tags)", ErrBadKB, k.Line, k.Value)
			}
		}
		var e Entry
		if err := n.Decode(&e); err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrBadKB, n.Line, err)
		}
		switch {
		case e.ID == "":
			return nil, fmt.Errorf("%w: line %d: entry has no id", ErrBadKB, n.Line)
		case seen[e.ID] != 0:
			return nil, fmt.Errorf("%w: line %d: id %q already used on line %d", ErrBadKB, n.Line, e.ID, seen[e.ID])
		case len(e.Questions) == 0:
			return nil, fmt.Errorf("%w: line %d: entry %s has no questions", ErrBadKB, n.Line, e.ID)
		case e.Answer["en"] == "" && e.Answer["zh"] == "":
			return nil, fmt.Errorf("%w: line %d: entry %s has no answer", ErrBadKB, n.Line, e.ID)
		}
		if vars != nil {
			for lang, text := range e.Answer {
				filled, unknown := fill(text, vars)
				if unknown != "" {
					return nil, fmt.Errorf("%w: line %d: entry %s: {{%s}} names no setting%s", ErrBadKB, lineOf(data, n.Line, unknown), e.ID, unknown, closest(unknown, vars))
				}
				e.Answer[lang] = filled
			}
		}
		seen[e.ID] = n.Line
		kb.Entries = append(kb.Entries, e)
	}
	if len(kb.Entries) == 0 {
		return nil, fmt.Errorf("%w: no entries", ErrBadKB)
	}
	kb.index = buildIndex(kb.Entries)
	return kb, nil
}

// With returns kb with extra entries after its own, indexed afresh, or kb
// itself when there are none. An extra entry whose id the FAQ uses is
// left out and logged.
func (kb *KB) With(extra []Entry, log *slog.Logger) *KB {
	if len(extra) == 0 {
		return kb
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	out := &KB{Brand: kb.Brand, Entries: slices.Clip(kb.Entries)}
	ids := map[string]bool{}
	for _, e := range kb.Entries {
		ids[e.ID] = true
	}
	for _, e := range extra {
		if ids[e.ID] {
			log.Warn("learned FAQ entry left out: the FAQ file has an entry with its id", "id", e.ID)
			continue
		}
		ids[e.ID] = true
		out.Entries = append(out.Entries, e)
	}
	out.index = buildIndex(out.Entries)
	return out
}

// LoadKBFile reads and loads a FAQ file, filling placeholders from vars
// (see LoadKBWith; nil leaves them).
func LoadKBFile(path string, vars map[string]string) (*KB, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("faq: %w", err)
	}
	kb, err := LoadKBWith(data, vars)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return kb, nil
}

// AnswerIn returns the entry's answer in lang, or in the other language
// when it has none.
func (e Entry) AnswerIn(lang string) string {
	if a := e.Answer[lang]; a != "" {
		return a
	}
	for _, a := range e.Answer {
		return a
	}
	return ""
}

// Entry returns the entry with id.
func (kb *KB) Entry(id string) (Entry, bool) {
	for _, e := range kb.Entries {
		if e.ID == id {
			return e, true
		}
	}
	return Entry{}, false
}

// Label is what members see of an entry before its answer — a "did you
// mean" button, a source under a model's answer: its first question in
// lang, or the start of its answer when its questions are Unshown.
func (e Entry) Label(lang string) string {
	if e.Unshown {
		a := []rune(e.AnswerIn(lang))
		if len(a) > 60 {
			return string(a[:59]) + "…"
		}
		return string(a)
	}
	return e.QuestionIn(lang)
}

// QuestionIn returns the entry's first question in lang, or in the other
// language when it has none in lang.
func (e Entry) QuestionIn(lang string) string {
	if qs := e.Questions[lang]; len(qs) > 0 {
		return qs[0]
	}
	for _, l := range slices.Sorted(maps.Keys(e.Questions)) {
		if qs := e.Questions[l]; len(qs) > 0 {
			return qs[0]
		}
	}
	return ""
}

// LangOf guesses a question's language: "zh" when it has Chinese characters.
func LangOf(text string) string {
	for _, r := range text {
		if isHan(r) {
			return "zh"
		}
	}
	return "en"
}

// Passage is a search hit.
type Passage struct {
	Entry      Entry
	Score      float64
	Confidence float64 // 0..1: how much of the question the entry explains
	// Strength is Score in units of the rarest term's weight, so it means
	// the same in a 10-entry FAQ and a 10,000-entry one.
	Strength float64
	Terms    int // distinct words and Chinese n-grams of the question the entry contains
	// QuestionMatch is how much of the question one of the entry's listed
	// questions explains: near 1, the member asked that question.
	QuestionMatch float64
}

// maxQuestion bounds the runes of a question that are searched: a chat
// message is shorter (Telegram's longest is 4,096), and no entry is found
// by its 2,001st character.
const maxQuestion = 2000

// Search returns up to k entries for the question, best first.
func (kb *KB) Search(question string, k int) []Passage {
	if r := []rune(question); len(r) > maxQuestion {
		question = string(r[:maxQuestion])
	}
	return kb.index.search(strings.TrimSpace(question), k)
}
