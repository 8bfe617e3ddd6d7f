package support

import "context"

// Answer is what the assistant replies.
type Answer struct {
	Text    string
	Lang    string
	Source  string // "faq", "ai" or "none"
	EntryID string // the FAQ entry answered from, if any
	// Entries are the FAQ entries the model says it used, and Sources
	// their first question in the answer's language, for the member.
	Entries []string
	Sources []string
	// Maybe are, when the bot declines, up to three entries it was not
	// sure enough to answer with, for the member to choose from.
	Maybe   []Entry
	Handoff bool // the member was offered (or given) a human
}

// Offline answers from the FAQ alone, with the lexical index's decision
// (see KB.Retrieve): the entry that lists the question word for word, else
// the best entry when the calibrated probability that it is right reaches
// the threshold — otherwise an answer with no entry (the caller says it
// does not know and offers a human), with the entries that came close.
func Offline(kb *KB, question string) Answer {
	lang := LangOf(question)
	hits, sure, _ := kb.Retrieve(context.Background(), question, maxMaybe) // no I/O: it cannot fail
	if !sure {
		a := Answer{Lang: lang, Source: "none", Handoff: true}
		if mayOffer(hits) {
			a.Maybe = entries(hits)
		}
		return a
	}
	return Answer{Text: hits[0].Entry.AnswerIn(lang), Lang: lang, Source: "faq", EntryID: hits[0].Entry.ID}
}

// Did-you-mean: when the bot declines and the calibrated probability of
// the best entry is at least maybeFrom, the first maxMaybe entries are
// offered. Chosen on the tuning questions: of those declined although the
// FAQ answers them, 73% had the right entry among the three offered; half
// of the out-of-scope ones were offered some, which a member can ignore.
const (
	maybeFrom = 0.2
	maxMaybe  = 3
)

// mayOffer reports whether the lexical hits are good enough to offer when
// the bot declines.
func mayOffer(hits []Passage) bool {
	return len(hits) > 0 && defaultCalibration.Probability(hits) >= maybeFrom
}

// entries returns the entries of the first maxMaybe hits.
func entries(hits []Passage) []Entry {
	var out []Entry
	for _, h := range hits[:min(maxMaybe, len(hits))] {
		out = append(out, h.Entry)
	}
	return out
}
