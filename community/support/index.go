package support

import (
	"math"
	"strings"
	"sync"
	"unicode"
)

// BM25 parameters.
const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// Field weights: a match in a listed question says more than one in the answer.
const (
	weightQuestion = 3
	weightTag      = 2
	weightAnswer   = 0.5
)

type posting struct {
	doc int
	tf  float64
}

// index is a BM25 index over the entries. Each entry is one document made
// of its questions (weighted), tags and answers, in both languages.
type index struct {
	entries  []Entry
	postings map[string][]posting
	docLen   []float64
	avgLen   float64
	n        int
	pool     sync.Pool // of *accumulator
}

func buildIndex(entries []Entry) *index {
	ix := &index{entries: entries, postings: map[string][]posting{}, docLen: make([]float64, len(entries)), n: len(entries)}
	var total float64
	for d, e := range entries {
		tf := map[string]float64{}
		add := func(text string, w float64) {
			for _, t := range tokens(text) {
				tf[t] += w
			}
		}
		for _, qs := range e.Questions {
			for _, q := range qs {
				add(q, weightQuestion)
			}
		}
		for _, t := range e.Tags {
			add(strings.ReplaceAll(t, "-", " "), weightTag)
		}
		for _, a := range e.Answer {
			add(a, weightAnswer)
		}
		var l float64
		for t, f := range tf {
			ix.postings[t] = append(ix.postings[t], posting{doc: d, tf: f})
			l += f
		}
		ix.docLen[d] = l
		total += l
	}
	ix.avgLen = total / float64(len(entries))
	n := len(entries)
	ix.pool.New = func() any {
		return &accumulator{score: make([]float64, n), covered: make([]float64, n), terms: make([]int, n)}
	}
	return ix
}

func (ix *index) idf(df int) float64 {
	return math.Log(1 + (float64(ix.n)-float64(df)+0.5)/(float64(df)+0.5))
}

// search scores every entry sharing a term with the question. Confidence
// divides the best score by the most the question could score — every
// term matched — so a question made mostly of words the FAQ never uses
// gets a low confidence even when one common word matches.
func (ix *index) search(question string, k int) []Passage {
	qt := tokens(question)
	if len(qt) == 0 {
		return nil
	}
	acc := ix.pool.Get().(*accumulator)
	defer ix.pool.Put(acc)
	acc.reset()
	var mass float64
	seen := map[string]bool{}
	for _, t := range qt {
		if seen[t] {
			continue
		}
		seen[t] = true
		ps := ix.postings[t]
		idf := ix.idf(len(ps))
		w := termWeight(t)
		mass += idf * w
		for _, p := range ps {
			norm := p.tf * (bm25K1 + 1) / (p.tf + bm25K1*(1-bm25B+bm25B*ix.docLen[p.doc]/ix.avgLen))
			acc.add(p.doc, idf*norm*w, idf*w, !strings.HasPrefix(t, "#"))
		}
	}
	// Keep the k best without sorting every matching entry.
	top := make([]Passage, 0, k+1)
	for _, d := range acc.touched {
		p := Passage{Entry: ix.entries[d], Score: acc.score[d], Confidence: acc.covered[d] / mass, Strength: acc.score[d] / ix.idf(1), Terms: acc.terms[d]}
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

// accumulator holds per-entry sums for one search; pooled, as a 10,000-entry
// index would otherwise allocate two large maps per question.
type accumulator struct {
	score, covered []float64
	terms          []int
	touched        []int
}

func (a *accumulator) reset() {
	for _, d := range a.touched {
		a.score[d], a.covered[d], a.terms[d] = 0, 0, 0
	}
	a.touched = a.touched[:0]
}

// add adds a matched term's contribution to doc; whole counts whole words
// and Chinese n-grams, not typo trigrams.
func (a *accumulator) add(doc int, score, covered float64, whole bool) {
	if a.score[doc] == 0 && a.covered[doc] == 0 {
		a.touched = append(a.touched, doc)
	}
	a.score[doc] += score
	a.covered[doc] += covered
	if whole {
		a.terms[doc]++
	}
}

// termWeight lowers the weight of the typo-tolerant character trigrams and
// of single Chinese characters, which say less than whole words and bigrams.
func termWeight(t string) float64 {
	switch {
	case strings.HasPrefix(t, "#"): // trigram of an English word
		return 0.25
	case len([]rune(t)) == 1 && isHan([]rune(t)[0]):
		return 0.3
	case strings.HasPrefix(t, "^"): // Chinese trigram
		return 0.5
	}
	return 1
}

// tokens splits text into search terms: English words (lower case, stop
// words dropped, stemmed) plus their character trigrams for typos, and
// Chinese characters plus their bigrams.
func tokens(text string) []string {
	var out []string
	var word []rune
	var han []rune
	flushWord := func() {
		if len(word) == 0 {
			return
		}
		w := strings.ToLower(string(word))
		word = word[:0]
		if stopWords[w] {
			return
		}
		w = stem(w)
		out = append(out, w)
		out = append(out, stemmedSynonyms[w]...)
		if r := []rune(w); len(r) >= 5 {
			padded := "<" + w + ">"
			pr := []rune(padded)
			for i := 0; i+3 <= len(pr); i++ {
				out = append(out, "#"+string(pr[i:i+3]))
			}
		}
	}
	flushHan := func() {
		// A stop word is a word boundary: no bigram straddles one.
		boundary := func(i int) bool { // is han[i] part of a stop word?
			return zhStop[han[i]] || i+1 < len(han) && zhStopBigrams[string(han[i:i+2])] || i > 0 && zhStopBigrams[string(han[i-1:i+1])]
		}
		for i, r := range han {
			if !zhStop[r] {
				out = append(out, string(r))
			}
			if i+1 < len(han) {
				if bi := string(han[i : i+2]); !boundary(i) && !boundary(i+1) {
					out = append(out, bi)
					out = append(out, zhSynonyms[bi]...)
				}
			}
			if i+2 < len(han) && !zhStop[r] && !zhStop[han[i+1]] && !zhStop[han[i+2]] &&
				!zhStopBigrams[string(han[i:i+2])] && !zhStopBigrams[string(han[i+1:i+3])] {
				out = append(out, "^"+string(han[i:i+3])) // trigrams reward longer matches: 礼品卡, 增值税
			}
		}
		han = han[:0]
	}
	for _, r := range text {
		switch {
		case isHan(r):
			flushWord()
			han = append(han, r)
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			flushHan()
			word = append(word, r)
		default:
			flushWord()
			flushHan()
		}
	}
	flushWord()
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
	just there here any some all also up out get got please hi hello hey thanks thank pls u ur im i'm it's don't dont
	tell something anything thing things stuff know want need like say said really still yet now ok okay one`)

func wordSet(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// synonyms expand a (stemmed) English query word with the words the FAQ
// uses for the same thing.
// (Keys and values are plain words; stemmedSynonyms holds them stemmed.)
var synonyms = map[string][]string{
	"parcel": {"package"}, "send": {"ship"}, "deliver": {"ship", "delivery"}, "delivery": {"ship"},
	"smashed": {"broken", "damaged"}, "cracked": {"broken", "damaged"}, "shattered": {"broken", "damaged"}, "broke": {"broken"},
	"fee": {"cost"}, "charge": {"cost"}, "price": {"cost"}, "giftcard": {"gift", "card"}, "voucher": {"gift", "card"},
	"duty": {"duties", "customs"}, "tax": {"taxes"}, "refer": {"referral"}, "referring": {"referral"}, "friends": {"referral"},
	"bulk": {"wholesale"}, "cafe": {"wholesale"}, "restaurant": {"wholesale"}, "agent": {"human"}, "person": {"human"},
	"erase": {"delete"}, "remove": {"delete"}, "expiry": {"expire"},
}

// places: a question about a country is about international shipping,
// one about a Chinese city about delivery within China.
var places = map[string][]string{
	`germany france italy spain netherlands belgium sweden norway denmark finland poland austria switzerland ireland
	portugal greece uk britain england scotland usa america canada mexico brazil australia zealand japan korea singapore
	malaysia thailand vietnam indonesia philippines india dubai uae`: {"international", "countries"},
	`shanghai beijing shenzhen guangzhou chengdu wuhan nanjing xian tianjin chongqing suzhou`: {"china", "cities"},
}

var stemmedSynonyms = func() map[string][]string {
	m := map[string][]string{}
	add := func(k string, vs []string) {
		for _, v := range vs {
			m[stem(k)] = append(m[stem(k)], stem(v))
		}
	}
	for k, vs := range synonyms {
		add(k, vs)
	}
	for ks, vs := range places {
		for _, k := range strings.Fields(ks) {
			add(k, vs)
		}
	}
	return m
}()

// zhSynonyms expand a Chinese bigram the same way.
var zhSynonyms = map[string][]string{
	"到期": {"过期"}, "清零": {"过期"}, "包裹": {"快递"}, "破了": {"碎了"}, "坏了": {"碎了"},
}

// zhStopBigrams are character pairs that appear in almost any question.
var zhStopBigrams = map[string]bool{"时候": true, "什么": true, "怎么": true, "可以": true, "哪里": true, "一下": true, "还是": true, "的话": true, "么时": true}

// zhStop are Chinese characters too common to mean anything alone.
var zhStop = func() map[rune]bool {
	m := map[rune]bool{}
	for _, r := range "的了吗呢吧啊呀么是我你他她它们这那和就也都请问怎什想弄" {
		m[r] = true
	}
	return m
}()
