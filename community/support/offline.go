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
	Handoff bool // the member was offered (or given) a human
}

// Offline answers from the FAQ alone: the best entry's answer verbatim
// when the calibrated probability that it is the right one is above the
// threshold, otherwise an answer with no entry (the
// caller says it does not know and offers a human).
func Offline(kb *KB, question string) Answer {
	lang := LangOf(question)
	hits := kb.Search(question, 2)
	if len(hits) == 0 || defaultCalibration.Probability(hits) < defaultCalibration.Threshold {
		return Answer{Lang: lang, Source: "none", Handoff: true}
	}
	return Answer{Text: hits[0].Entry.AnswerIn(lang), Lang: lang, Source: "faq", EntryID: hits[0].Entry.ID}
}
