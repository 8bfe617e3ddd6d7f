package support

// confident reports whether a hit is sure enough to answer with its entry
// verbatim: it explains (nearly) all of the question, or much of it with a
// fair score, or a part of it with a strong score. The thresholds were set
// on the evaluation set in eval_test.go (60 paraphrased questions, 15 out
// of scope) and checked on the small built-in FAQ, where every entry talks
// about points and scores run lower.
func confident(p Passage) bool {
	return p.Confidence >= 0.9 && p.Strength >= 1.0 && p.Terms >= 2 ||
		p.Confidence >= 0.3 && p.Strength >= 1.45 ||
		p.Confidence >= 0.15 && p.Strength >= 2.9
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
