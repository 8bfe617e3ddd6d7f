package support

import (
	_ "embed"
	"math"
	"slices"
	"strings"
	"sync"
	"unicode"
)

// BM25 parameters.
const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

type posting struct {
	doc int
	tf  float64
}

// index is a BM25 index over the entries. Each of an entry's questions is
// a document of its own, and its answer with its tags is one more: a
// question is scored against the entry's closest question plus its answer,
// so a paraphrase of one listed question is not outweighed by an entry
// that shares a word with each of several.
type index struct {
	entries  []Entry
	docEntry []int  // document → entry
	docQ     []bool // the document is a question (else the answer and tags)
	postings map[string][]posting
	df       map[string]int // entries containing the term
	docLen   []float64
	avgLen   [2]float64 // answers, questions
	n        int        // entries
	vocab    *vocabulary
	pool     sync.Pool      // of *accumulator
	exact    map[string]int // a listed question, as verbatim finds it → entry; -1 when two entries list it
}

func buildIndex(entries []Entry) *index {
	ix := &index{entries: entries, postings: map[string][]posting{}, n: len(entries)}
	var total [2]float64
	var count [2]float64
	addDoc := func(entry int, question bool, texts ...string) {
		tf := map[string]float64{}
		for _, text := range texts {
			for _, t := range tokens(text, false, nil) {
				tf[t]++
			}
		}
		d := len(ix.docEntry)
		ix.docEntry = append(ix.docEntry, entry)
		ix.docQ = append(ix.docQ, question)
		var l float64
		for t, f := range tf {
			ix.postings[t] = append(ix.postings[t], posting{doc: d, tf: f})
			l += f
		}
		ix.docLen = append(ix.docLen, l)
		k := b2i(question)
		total[k] += l
		count[k]++
	}
	for i, e := range entries {
		for _, qs := range e.Questions {
			for _, q := range qs {
				addDoc(i, true, q)
			}
		}
		texts := make([]string, 0, len(e.Answer)+len(e.Tags))
		for _, a := range e.Answer {
			texts = append(texts, a)
		}
		for _, t := range e.Tags {
			texts = append(texts, strings.ReplaceAll(t, "-", " "))
		}
		addDoc(i, false, texts...)
	}
	for k := range total {
		ix.avgLen[k] = total[k] / max(count[k], 1)
	}
	ix.df = map[string]int{}
	terms := make([]string, 0, len(ix.postings))
	for t, ps := range ix.postings {
		terms = append(terms, t)
		last := -1
		for _, p := range ps {
			if e := ix.docEntry[p.doc]; e != last {
				ix.df[t]++
				last = e
			}
		}
	}
	ix.vocab = newVocabulary(terms)
	ix.exact = map[string]int{}
	for i, e := range entries {
		for _, qs := range e.Questions {
			for _, q := range qs {
				k := verbatim(q)
				if j, dup := ix.exact[k]; dup && j != i {
					ix.exact[k] = -1
				} else if k != "" {
					ix.exact[k] = i
				}
			}
		}
	}
	enSynonyms() // parse the lexicons now, not on a member's first question
	zhGlosses()
	n, docs := len(entries), len(ix.docEntry)
	ix.pool.New = func() any {
		return &accumulator{score: make([]float64, docs), docCovered: make([]float64, docs),
			covered: make([]float64, n), bestQ: make([]float64, n), answer: make([]float64, n), qCovered: make([]float64, n), terms: make([]int, n),
			gScore: make([]float64, docs), gCov: make([]float64, docs), gEntry: make([]float64, n)}
	}
	return ix
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (ix *index) idf(df int) float64 {
	return math.Log(1 + (float64(ix.n)-float64(df)+0.5)/(float64(df)+0.5))
}

// verbatim is a question as written, whatever its case, punctuation,
// spacing and chat-speak: "How can I get more PTS??" and "how can i get
// more points" read the same.
func verbatim(q string) string {
	var b strings.Builder
	for _, w := range strings.FieldsFunc(strings.ToLower(q), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\'' }) {
		w = strings.ReplaceAll(w, "'", "")
		if long, ok := chatSpeak[w]; ok {
			w = strings.ReplaceAll(long, " ", "")
		}
		b.WriteString(w)
	}
	return b.String()
}

// tooShortFor reports whether a question is too short to be answered with
// an entry learned from a ticket: one word that counts ("road", "9") is
// all it takes to match a rare word of the member's question that entry
// keeps, so such a question gets "did you mean" buttons instead. (The
// FAQ's own entries answer one-word questions: on the tuning questions
// those answers were right.)
func tooShortFor(e Entry, question string) bool {
	if !slices.Contains(e.Tags, "learned") {
		return false
	}
	words := map[string]bool{}
	for _, t := range tokens(question, false, nil) {
		if t[0] != '#' && t[0] != '~' {
			words[t] = true // "road road" is one word
		}
	}
	return len(words) < 2
}

// listed returns the entry that lists the question word for word (see
// verbatim), if exactly one does.
func (ix *index) listed(question string) (Entry, bool) {
	if i, ok := ix.exact[verbatim(question)]; ok && i >= 0 {
		return ix.entries[i], true
	}
	return Entry{}, false
}

// search scores every entry sharing a term with the question. Confidence
// divides what the entry covers by the most the question could score —
// every term matched — so a question made mostly of words the FAQ never
// uses gets a low confidence even when one common word matches.
func (ix *index) search(question string, k int) []Passage {
	qt := tokens(question, true, ix.vocab)
	if len(qt) == 0 {
		return nil
	}
	acc := ix.pool.Get().(*accumulator)
	defer ix.pool.Put(acc)
	acc.reset()
	var mass, groupMass float64
	seen := map[string]bool{}
	// A word and its synonyms and related words ("=", "%" terms after it)
	// are one group: the question's mass counts the word once, and a
	// document or entry scores the best member it contains.
	flush := func() {
		for _, d := range acc.gDocs {
			acc.addDoc(d, acc.gScore[d], acc.gCov[d])
			acc.gScore[d], acc.gCov[d] = 0, 0
		}
		for _, e := range acc.gEntries {
			acc.cover(e, acc.gEntry[e], true)
			acc.gEntry[e] = 0
		}
		acc.gDocs, acc.gEntries = acc.gDocs[:0], acc.gEntries[:0]
	}
	for _, t := range qt {
		member := t[0] == '=' || t[0] == '%'
		if !member {
			flush()
		}
		if seen[t] {
			continue
		}
		seen[t] = true
		key := t
		if member {
			key = t[1:]
		}
		ps := ix.postings[key]
		idf := ix.idf(ix.df[key])
		w := termWeight(t)
		fallback := t[0] == '#' || t[0] == '~'
		switch {
		case member:
		case fallback && len(ps) == 0:
			groupMass = 0 // a typo trigram or Chinese bigram is evidence when it matches, not a word to explain
		default:
			groupMass = idf * w
			mass += groupMass
		}
		covered := idf * w
		switch t[0] {
		case '=':
			covered = groupMass * w
		case '%':
			covered = 0 // a related word suggests the entry, it does not explain the question
		}
		whole := t[0] != '#'
		for _, p := range ps {
			q := b2i(ix.docQ[p.doc])
			norm := p.tf * (bm25K1 + 1) / (p.tf + bm25K1*(1-bm25B+bm25B*ix.docLen[p.doc]/ix.avgLen[q]))
			score := idf * norm * w
			e := ix.docEntry[p.doc]
			if !whole {
				acc.addDoc(p.doc, score, 0)
				acc.cover(e, covered, false)
				continue
			}
			if acc.gScore[p.doc] == 0 && acc.gCov[p.doc] == 0 {
				acc.gDocs = append(acc.gDocs, p.doc)
			}
			acc.gScore[p.doc] = max(acc.gScore[p.doc], score)
			acc.gCov[p.doc] = max(acc.gCov[p.doc], covered)
			if covered == 0 {
				continue // a related word only: it adds to the score, not to what the entry explains
			}
			if acc.gEntry[e] == 0 {
				acc.gEntries = append(acc.gEntries, e)
			}
			acc.gEntry[e] = max(acc.gEntry[e], covered)
		}
	}
	flush()
	// An entry's score: its closest question plus its answer, weighted
	// alike (the answer at 0.25, 0.5 or 2 did worse on the tuning questions).
	for _, d := range acc.docs {
		e := ix.docEntry[d]
		if ix.docQ[d] {
			acc.bestQ[e] = max(acc.bestQ[e], acc.score[d])
			acc.qCovered[e] = max(acc.qCovered[e], acc.docCovered[d])
		} else {
			acc.answer[e] = acc.score[d]
		}
	}
	// Keep the k best without sorting every matching entry.
	top := make([]Passage, 0, k+1)
	for _, e := range acc.touched {
		score := acc.bestQ[e] + acc.answer[e]
		p := Passage{Entry: ix.entries[e], Score: score, Confidence: acc.covered[e] / mass, Strength: score / ix.idf(1), Terms: acc.terms[e], QuestionMatch: acc.qCovered[e] / mass}
		i := len(top)
		for i > 0 && better(p, top[i-1]) {
			i--
		}
		if i >= k {
			continue
		}
		top = append(top, Passage{})
		copy(top[i+1:], top[i:])
		top[i] = p
		if len(top) > k {
			top = top[:k]
		}
	}
	return top
}

func better(a, b Passage) bool {
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	return a.Entry.ID < b.Entry.ID
}

// accumulator holds per-document and per-entry sums for one search;
// pooled, as a 10,000-entry index would otherwise allocate large maps per
// question.
type accumulator struct {
	score, docCovered                []float64 // by document
	docs                             []int     // documents with a score
	covered, bestQ, answer, qCovered []float64 // by entry
	terms                            []int
	touched                          []int // entries with a term
	// The best member of the current word group, by document and entry.
	gScore, gCov, gEntry []float64
	gDocs, gEntries      []int
}

func (a *accumulator) reset() {
	for _, d := range a.docs {
		a.score[d], a.docCovered[d] = 0, 0
	}
	for _, e := range a.touched {
		a.covered[e], a.bestQ[e], a.answer[e], a.qCovered[e], a.terms[e] = 0, 0, 0, 0, 0
	}
	a.docs, a.touched = a.docs[:0], a.touched[:0]
}

func (a *accumulator) addDoc(d int, score, covered float64) {
	if a.score[d] == 0 {
		a.docs = append(a.docs, d)
	}
	a.score[d] += score
	a.docCovered[d] += covered
}

// cover adds a matched term to an entry's coverage; whole counts words and
// Chinese words, not typo trigrams.
func (a *accumulator) cover(e int, covered float64, whole bool) {
	if a.covered[e] == 0 && a.terms[e] == 0 {
		a.touched = append(a.touched, e)
	}
	a.covered[e] += covered
	if whole {
		a.terms[e]++
	}
}

// termWeight lowers the weight of the typo-tolerant character trigrams and
// of single Chinese characters, which say less than whole words and bigrams.
func termWeight(t string) float64 {
	switch {
	case strings.HasPrefix(t, "#"): // trigram of an English word
		return 0.25
	case strings.HasPrefix(t, "="): // a synonym of a question's word
		return 0.5
	case strings.HasPrefix(t, "%"): // a word related to a question's word
		return 0.3
	case len([]rune(t)) == 1 && isHan([]rune(t)[0]):
		return 0.3
	case strings.HasPrefix(t, "~"): // Chinese character bigram
		return 0.4
	}
	return 1
}

// tokens splits text into search terms: English words (lower case,
// chat-speak spelled out, stop words dropped, stemmed) plus their character
// trigrams for typos, and Chinese words, characters and bigrams. A
// question's terms (query true) also carry the synonyms of its words and
// its misspellings corrected to the FAQ's words (vocab); an entry's terms
// are only its own.
func tokens(text string, query bool, vocab *vocabulary) []string {
	var out []string
	var word []rune
	var words []string
	var han []rune
	flushWord := func() {
		if len(word) > 0 {
			words = append(words, strings.ReplaceAll(string(word), "'", "")) // pu'er → puer, don't → dont
			word = word[:0]
		}
	}
	flushWords := func() {
		flushWord()
		out = appendEnglish(out, words, query, vocab)
		words = words[:0]
	}
	flushHan := func() {
		if len(han) > 0 {
			out = appendHan(out, string(han), query, vocab)
			han = han[:0]
		}
	}
	for _, r := range text {
		switch {
		case isHan(r):
			flushWords()
			if s, ok := simplified()[r]; ok { // 積分 is 积分
				r = s
			}
			han = append(han, r)
		case unicode.IsLetter(r) || unicode.IsDigit(r) || (r == '\'' || r == '’') && len(word) > 0:
			flushHan()
			if r == '’' {
				r = '\''
			}
			word = append(word, unicode.ToLower(r))
		case unicode.IsSpace(r):
			flushWord()
		default:
			flushWords()
			flushHan()
		}
	}
	flushWords()
	flushHan()
	return out
}

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

// stem is a light English stemmer: it folds plurals and common suffixes so
// "shipping", "shipped" and "ships" meet at "ship".
func stem(w string) string {
	if len(w) <= 3 {
		return w
	}
	for _, s := range []struct{ suffix, repl string }{
		{"ies", "y"}, {"ied", "y"}, {"ing", ""}, {"edly", ""}, {"ed", ""}, {"ly", ""}, {"es", ""}, {"s", ""},
	} {
		if strings.HasSuffix(w, s.suffix) && len(w)-len(s.suffix) >= 3 {
			w = w[:len(w)-len(s.suffix)] + s.repl
			break
		}
	}
	// "shipp" → "ship": undouble a final consonant left by -ing/-ed.
	if n := len(w); n >= 4 && w[n-1] == w[n-2] && !strings.ContainsRune("aeiouls", rune(w[n-1])) {
		w = w[:n-1]
	}
	return w
}

// stopWords are English words too common to mean anything alone.
var stopWords = wordSet(`a an the and or but if of to in on at by for from with about as into is are was were be been
	being am do does did done have has had having i me my mine we our you your he she it its they them their this that these
	those what which who whom when where why how can could would should will shall may might must not no yes so than too very
	just there here any some all also up out get got please hi hello hey thanks thank pls u ur im dont
	tell something anything thing things stuff know want need like say said really still yet now ok okay one
	till until while since because though although whether either neither nor both each every few more most other such
	only own same then once again further off over under above below between through during before after am isnt arent
	wasnt werent hasnt havent hadnt doesnt didnt wont wouldnt shouldnt couldnt cant cannot mustnt lets thats theres
	heres whats whos hows wheres whens whys ive youre youve theyre weve id youd hed shed itd ill youll hell shell well
	guys guy someone anyone everyone somebody anybody maybe pretty quite rather much many lot lots bit kinda sorta
	actually basically literally honestly seriously ever even already always usually sometimes often`)

func wordSet(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// commerceText is the shop and loyalty lexicon (see its header).
//
//go:embed lexicon/commerce.txt
var commerceText string

// commerce maps a word members use to the words FAQs use for it: English
// keys and values stemmed, Chinese ones as written. Both the FAQ and the
// questions are expanded with it.
var commerce = sync.OnceValue(func() map[string][]string {
	m := map[string][]string{}
	for _, line := range strings.Split(commerceText, "\n") {
		k, vs, ok := strings.Cut(line, ":")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		k = strings.TrimSpace(k)
		han := strings.ContainsFunc(k, isHan)
		if !han {
			k = stem(k)
		}
		for _, v := range strings.Fields(vs) {
			if !han {
				v = stem(v)
			}
			m[k] = append(m[k], v)
		}
	}
	return m
})

// zhStop are Chinese characters too common to mean anything alone.
var zhStop = func() map[rune]bool {
	m := map[rune]bool{}
	for _, r := range "的了吗呢吧啊呀么是我你他她它们这那和就也都请问怎什想弄" {
		m[r] = true
	}
	return m
}()
