package support

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

// Offline answers from the FAQ alone: the answer of the entry that lists
// the question word for word, else the best entry's answer when the
// calibrated probability that it is the right one is above the threshold
// (and, for an entry learned from a ticket, the question has two words or
// more: see tooShortFor), otherwise an answer with no entry (the
// caller says it does not know and offers a human).
func Offline(kb *KB, question string) Answer {
	lang := LangOf(question)
	if e, ok := kb.index.listed(question); ok { // one of the FAQ's own questions
		return Answer{Text: e.AnswerIn(lang), Lang: lang, Source: "faq", EntryID: e.ID}
	}
	hits := kb.Search(question, maxMaybe)
	p := defaultCalibration.Probability(hits)
	if len(hits) == 0 || p < defaultCalibration.Threshold || tooShortFor(hits[0].Entry, question) {
		return Answer{Lang: lang, Source: "none", Handoff: true, Maybe: maybe(hits, p)}
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

func maybe(hits []Passage, p float64) []Entry {
	if p < maybeFrom {
		return nil
	}
	var out []Entry
	for _, h := range hits[:min(maxMaybe, len(hits))] {
		out = append(out, h.Entry)
	}
	return out
}
