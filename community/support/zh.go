package support

import (
	_ "embed"
	"strings"
	"sync"

	"github.com/go-ego/gse"
)

// zhSegmenter is gse with its simplified-Chinese dictionary, loaded once
// on first use (about 1.5 s) and read-only after that.
var zhSegmenter = sync.OnceValue(func() *gse.Segmenter {
	seg := &gse.Segmenter{SkipLog: true}
	if err := seg.LoadDictEmbed("zh_s"); err != nil {
		panic("support: gse dictionary: " + err.Error()) // embedded data: cannot fail but for a broken build
	}
	return seg
})

//go:embed lexicon/zh_t2s.txt
var zhT2SText string

// simplified maps traditional characters to their simplified forms
// (CC-CEDICT), so a question written in traditional characters meets a
// FAQ written in simplified ones; parsed on first use.
var simplified = sync.OnceValue(func() map[rune]rune {
	m := map[rune]rune{}
	for line := range strings.Lines(zhT2SText) {
		if t, s, ok := strings.Cut(strings.TrimSpace(line), " "); ok && !strings.HasPrefix(line, "#") {
			tr, sr := []rune(t), []rune(s)
			if len(tr) == 1 && len(sr) == 1 {
				m[tr[0]] = sr[0]
			}
		}
	}
	return m
})

// appendHan adds the terms of a run of Chinese characters: the words gse
// finds (with its HMM for words not in the dictionary), each character, and
// character bigrams as a weaker fallback for words segmented differently
// in the FAQ and the question.
func appendHan(out []string, run string, query bool, vocab *vocabulary) []string {
	run = zhColloquial.Replace(run)
	words := zhSegmenter().CutSearch(run, true)
	for _, w := range words {
		r := []rune(w)
		if len(r) == 0 || !isHan(r[0]) {
			continue
		}
		if len(r) == 1 {
			if !zhStop[r[0]] {
				out = append(out, w)
			}
			continue
		}
		if zhStopWords[w] {
			continue
		}
		out = append(out, w)
		out = append(out, commerce()[w]...)
		if query && vocab != nil && !vocab.has(w) {
			out = appendRelated(out, zhGlosses(), w) // a word the FAQ does not use: its English glosses
		}
	}
	han := []rune(run)
	for i := 0; i+1 < len(han); i++ {
		if zhStop[han[i]] || zhStop[han[i+1]] {
			continue
		}
		if bi := string(han[i : i+2]); !zhStopWords[bi] {
			out = append(out, "~"+bi)
		}
	}
	return out
}

// zhColloquial maps spoken and regional forms to the written ones FAQs use.
var zhColloquial = strings.NewReplacer(
	"啥时候", "什么时候", "啥", "什么", "咋样", "怎么样", "咋办", "怎么办", "咋整", "怎么办", "咋弄", "怎么弄", "咋", "怎么",
	"木有", "没有", "没得", "没有", "神马", "什么", "俺", "我", "几时", "什么时候", "多会儿", "什么时候", "嘛", "吗",
	"滴", "的", "肿么", "怎么", "为啥", "为什么", "干啥", "做什么",
)

// zhStopWords are words that appear in almost any question.
var zhStopWords = map[string]bool{
	"什么": true, "怎么": true, "可以": true, "哪里": true, "一下": true, "还是": true, "的话": true, "时候": true, "什么时候": true,
	"怎么办": true, "怎么样": true, "为什么": true, "你们": true, "我们": true, "我的": true, "有没有": true, "是不是": true,
	"能不能": true, "可不可以": true, "请问": true, "怎么弄": true, "怎么回事": true, "一般": true,
}

//go:embed lexicon/zh_glosses.txt
var zhGlossesText string

// zhGlosses are the English glosses of Chinese words (CC-CEDICT), so a
// Chinese question also meets an entry's English text; parsed on first
// use and read-only after that.
var zhGlosses = sync.OnceValue(func() *synonymList { return parseSynonyms(zhGlossesText) })
