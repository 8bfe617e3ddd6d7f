package support

// confident reports whether a hit is sure enough to answer with its entry
// verbatim: it explains much of the question, or a fair part of it with a
// strong score. The thresholds were set on the evaluation set in
// eval_test.go (60 paraphrased questions, 15 out of scope).
func confident(p Passage) bool {
	return p.Confidence >= 0.3 && p.Score >= 5 || p.Confidence >= 0.15 && p.Score >= 10
}

// Answer is what the assistant replies.
type Answer struct {
	Text    string
	Lang    string
	Source  string // "faq", "ai" or "none"
	EntryID string // the FAQ entry answered from, if any
	Handoff bool   // the member was offered (or given) a human
}

// Offline answers from the FAQ alone: the best entry's answer verbatim
// when retrieval is confident, otherwise an answer with no entry (the
// caller says it does not know and offers a human).
func Offline(kb *KB, question string) Answer {
	lang := LangOf(question)
	hits := kb.Search(question, 1)
	if len(hits) == 0 || !confident(hits[0]) {
		return Answer{Lang: lang, Source: "none", Handoff: true}
	}
	return Answer{Text: hits[0].Entry.AnswerIn(lang), Lang: lang, Source: "faq", EntryID: hits[0].Entry.ID}
}
