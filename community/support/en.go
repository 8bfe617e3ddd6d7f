package support

import (
	_ "embed"
	"slices"
	"strings"
	"sync"
)

// appendEnglish adds the terms of a run of English words (see tokens).
func appendEnglish(out []string, words []string, query bool, vocab *vocabulary) []string {
	var ws []string
	for _, w := range words {
		if long, ok := chatSpeak[w]; ok {
			ws = append(ws, strings.Fields(long)...)
			continue
		}
		ws = append(ws, w)
	}
	var syn *synonymList
	if query {
		syn = enSynonyms()
	}
	for i, w := range ws {
		if stopWords[w] {
			continue
		}
		s := stem(w)
		inFAQ := !query || vocab == nil || vocab.has(s)
		if !inFAQ && !syn.known(w) {
			if c, ok := vocab.correct(s); ok {
				s, inFAQ = c, true // a misspelling of a word the FAQ uses
			}
		}
		out = append(out, s)
		out = append(out, commerce()[s]...)
		if query && i+1 < len(ws) {
			out = appendRelated(out, syn, w+"_"+ws[i+1]) // phrasal verbs: "hook up" → attach
		}
		if query {
			if inFAQ {
				continue // the FAQ's own word: its synonyms would only add noise
			}
			out = appendRelated(out, syn, w) // a word the FAQ does not use: try the words it might use
		}
		if r := []rune(s); len(r) >= 5 {
			pr := []rune("<" + s + ">")
			for i := 0; i+3 <= len(pr); i++ {
				out = append(out, "#"+string(pr[i:i+3]))
			}
		}
	}
	return out
}

// appendRelated adds the synonyms ("=") and related words ("%") of w: the
// search counts them as weaker forms of the word before them.
func appendRelated(out []string, l *synonymList, w string) []string {
	syn, rel := l.of(w)
	for _, s := range syn {
		if !stopWords[s] {
			out = append(out, "="+stem(s))
		}
	}
	for _, s := range rel {
		if !stopWords[s] {
			out = append(out, "%"+stem(s))
		}
	}
	return out
}

// chatSpeak spells out the abbreviations and spellings of chat.
var chatSpeak = map[string]string{
	"u": "you", "ur": "your", "yr": "your", "pls": "please", "plz": "please", "rn": "now", "b4": "before", "thx": "thanks",
	"ty": "thanks", "tmrw": "tomorrow", "tmr": "tomorrow", "tmrow": "tomorrow", "2moro": "tomorrow", "wat": "what",
	"wut": "what", "shud": "should", "cud": "could", "wud": "would", "r": "are", "y": "why", "ppl": "people",
	"msg": "message", "msgs": "messages", "acct": "account", "acc": "account", "pts": "points", "pt": "point",
	"bday": "birthday", "addr": "address", "pwd": "password", "info": "information", "cuz": "because",
	"coz": "because", "bc": "because", "abt": "about", "gonna": "going to",
	"wanna": "want to", "gotta": "have to", "dunno": "do not know", "idk": "do not know", "asap": "soon",
	"hasnt": "has not", "havent": "have not", "cant": "cannot", "wont": "will not",
	"didnt": "did not", "doesnt": "does not",
	"isnt": "is not", "dont": "do not", "im": "i am",
	"ive": "i have", "whats": "what is", "hows": "how is",
	"thru": "through", "tho": "though", "nite": "night", "k": "ok", "kk": "ok", "lol": "", "tbh": "", "btw": "",
	"imo": "", "omg": "", "hrs": "hours", "hr": "hour", "mins": "minutes", "min": "minute", "qty": "quantity",
	"amt": "amount", "approx": "about", "pic": "picture", "pics": "pictures", "vid": "video", "vids": "videos",
	"num": "number", "no.": "number", "recieve": "receive", "recieved": "received", "reciept": "receipt",
}

//go:embed lexicon/en_synonyms.txt
var enSynonymsText string

// enSynonyms is the WordNet synonym list, parsed on first use and
// read-only after that.
var enSynonyms = sync.OnceValue(func() *synonymList { return parseSynonyms(enSynonymsText) })

// synonymList maps a lemma to its synonyms; every word it names is known
// English (so not a misspelling).
type synonymList struct {
	syn, rel map[string][]string
	words    map[string]bool
}

func parseSynonyms(text string) *synonymList {
	l := &synonymList{syn: map[string][]string{}, rel: map[string][]string{}, words: map[string]bool{}}
	for line := range strings.Lines(text) {
		if strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Fields(line)
		if len(fs) == 0 {
			continue
		}
		syn := fs[1:]
		if i := slices.Index(syn, "|"); i >= 0 {
			l.rel[fs[0]] = syn[i+1:]
			syn = syn[:i]
		}
		l.syn[fs[0]] = syn
		l.words[fs[0]] = true
	}
	return l
}

// of returns the synonyms of a word and its related words, trying its
// base forms (WordNet lists lemmas: "points" → point, "shipped" → ship).
func (l *synonymList) of(w string) (syn, rel []string) {
	for _, b := range baseForms(w) {
		if l.words[b] {
			return l.syn[b], l.rel[b]
		}
	}
	return nil, nil
}

// known reports whether w, or one of its base forms, is an English word.
func (l *synonymList) known(w string) bool {
	for _, b := range baseForms(w) {
		if l.words[b] {
			return true
		}
	}
	return false
}

// baseForms are w and what it would be without an inflection, WordNet's
// morphy rules in short.
func baseForms(w string) []string {
	forms := []string{w}
	for _, r := range [...]struct{ suffix, repl string }{
		{"ies", "y"}, {"es", ""}, {"s", ""}, {"ed", ""}, {"ed", "e"}, {"ing", ""}, {"ing", "e"}, {"ied", "y"}, {"er", ""}, {"est", ""},
	} {
		if strings.HasSuffix(w, r.suffix) && len(w) > len(r.suffix)+2 {
			forms = append(forms, strings.TrimSuffix(w, r.suffix)+r.repl)
		}
	}
	if n := len(w); n > 5 && (strings.HasSuffix(w, "ing") || strings.HasSuffix(w, "ed")) {
		// shipped → ship, stopping → stop
		b := strings.TrimSuffix(strings.TrimSuffix(w, "ing"), "ed")
		if len(b) >= 3 && b[len(b)-1] == b[len(b)-2] {
			forms = append(forms, b[:len(b)-1])
		}
	}
	return forms
}

// vocabulary is the set of the FAQ's English terms with a deletion index
// for spelling correction (SymSpell: two words within one edit share a
// string made by deleting at most one letter from each).
type vocabulary struct {
	words   map[string]bool
	deletes map[string][]string
	longest int // letters in the longest word corrected to
}

// maxCorrected is the longest FAQ word misspellings are corrected to: an
// English word is shorter, and the deletions to index grow with the
// square of the length (one 30,000-letter word in an FAQ file took 2 GB).
const maxCorrected = 30

func newVocabulary(terms []string) *vocabulary {
	v := &vocabulary{words: map[string]bool{}, deletes: map[string][]string{}}
	for _, t := range terms {
		if v.words[t] {
			continue
		}
		v.words[t] = true
		if !isLatinWord(t) || len(t) < 4 || len(t) > maxCorrected {
			continue // correct only to English words of four letters or more
		}
		for _, d := range deletes1(t) {
			v.deletes[d] = append(v.deletes[d], t)
		}
		v.longest = max(v.longest, len(t))
	}
	return v
}

func (v *vocabulary) has(w string) bool { return v.words[w] }

// correct returns the FAQ word closest to w: within one edit for words of
// four letters or more, two for eight or more. Ties go to the first in
// alphabetical order, so the answer does not depend on map order.
func (v *vocabulary) correct(w string) (string, bool) {
	// Past the longest FAQ word by more than two letters nothing is within
	// reach, and the probes would grow with the cube of the length.
	if len(w) < 4 || len(w) > v.longest+2 || !isLatinWord(w) {
		return "", false
	}
	max := 1
	if len(w) >= 8 {
		max = 2
	}
	cands := map[string]bool{}
	probe := append([]string{w}, deletes1(w)...)
	if max == 2 {
		for _, d := range deletes1(w) {
			probe = append(probe, deletes1(d)...)
		}
	}
	for _, p := range probe {
		if v.words[p] {
			cands[p] = true
		}
		for _, c := range v.deletes[p] {
			cands[c] = true
		}
	}
	best, bestD := "", max+1
	for c := range cands {
		if d := editDistance(w, c); d < bestD || d == bestD && c < best {
			best, bestD = c, d
		}
	}
	return best, bestD <= max
}

func deletes1(w string) []string {
	out := make([]string, 0, len(w))
	for i := range len(w) {
		out = append(out, w[:i]+w[i+1:])
	}
	return out
}

func isLatinWord(w string) bool {
	for i := range len(w) {
		if c := w[i]; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// editDistance is the Damerau–Levenshtein distance (optimal string
// alignment) between two ASCII words.
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
