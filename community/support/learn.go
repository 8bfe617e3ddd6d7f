package support

import (
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Suggestion is an FAQ entry proposed from a ticket a manager answered:
// the member's question and the manager's answer, with names, order
// numbers and contact details taken out. It holds no member id, so it
// belongs to nobody's export; a manager accepts it into the FAQ or
// rejects it.
type Suggestion struct {
	ID        uint64   `json:"id"`
	Ticket    uint64   `json:"ticket"` // the ticket it came from (erased with the member while pending)
	Lang      string   `json:"lang"`
	Questions []string `json:"questions"`
	Answer    string   `json:"answer"`
	Status    string   `json:"status"` // SuggestionPending, SuggestionAccepted or SuggestionRejected
	// Rephrased says a manager wrote the question; otherwise it is the
	// member's words, and goes when the member erases their data.
	Rephrased bool      `json:"rephrased,omitempty"`
	Created   time.Time `json:"created"`
	Decided   time.Time `json:"decided,omitzero"`
	DecidedBy uint64    `json:"decided_by,omitempty"` // the manager's member id
}

// Suggestion statuses.
const (
	SuggestionPending  = "pending"
	SuggestionAccepted = "accepted"
	SuggestionRejected = "rejected"
)

// ErrNoSuggestion is returned for an unknown suggestion.
var ErrNoSuggestion = errors.New("support: no such FAQ suggestion")

// ErrRedacted is returned for accepting a suggestion whose answer still
// has "***" where personal data was taken out: the manager writes the
// answer instead.
var ErrRedacted = errors.New("support: the answer still has *** where personal data was")

// ErrNoAnswer is returned for accepting a suggestion whose answer says
// nothing: fewer than two words, or only invisible characters.
var ErrNoAnswer = errors.New("support: the answer says nothing")

// ErrNoQuestion is returned for rephrasing a suggestion with a question
// that says nothing (see meaningful).
var ErrNoQuestion = errors.New("support: the question says nothing")

// ErrDecided is returned for accepting or rejecting a suggestion decided before.
var ErrDecided = errors.New("support: FAQ suggestion already decided")

// LearnedID is the FAQ entry id an accepted suggestion gets.
func LearnedID(suggestion uint64) string { return "learned-" + strconv.FormatUint(suggestion, 10) }

// Entry is the FAQ entry an accepted suggestion becomes: each question and
// the answer under the language it is written in.
func (s Suggestion) Entry() Entry {
	e := Entry{ID: LearnedID(s.ID), Questions: map[string][]string{}, Answer: map[string]string{LangOf(s.Answer): s.Answer}, Tags: []string{"learned"},
		Unshown: !s.Rephrased}
	for _, q := range s.Questions {
		e.Questions[LangOf(q)] = append(e.Questions[LangOf(q)], q)
	}
	return e
}

// maxSuggestedQuestions bounds the member lines a suggestion keeps.
const maxSuggestedQuestions = 3

// propose makes a suggestion from a closed ticket, or returns false when
// no manager answered it or nothing of the question is left once personal
// data is out. The question is what the member wrote last before the
// first answer (see asked), its questions only when it has some
// (greetings and introductions go); the answer is the managers' first
// reply, with any they sent straight after it — later ones answer
// follow-ups.
func propose(tk Ticket) (Suggestion, bool) {
	names := []string{tk.Name}
	first := -1
	var answers []string
	for i, t := range tk.Turns {
		if !t.staff() {
			continue
		}
		names = append(names, t.From)
		if first < 0 {
			first = i
		}
		if i == first+len(answers) { // the first block of replies
			answers = append(answers, t.Text)
		}
	}
	if first < 0 {
		return Suggestion{}, false
	}
	// The lines that ask something, if any do ("thanks in advance" and
	// "my order is #1043" do not).
	var questions, statements []string
	for _, line := range asked(tk.Turns[:first]) {
		q, asks := questionsIn(line)
		q = Redact(q, names...)
		switch {
		case !meaningful(q) || slices.Contains(questions, q) || slices.Contains(statements, q):
		case asks:
			questions = append(questions, q)
		default:
			statements = append(statements, q)
		}
	}
	if len(questions) == 0 {
		questions = statements
	}
	answer := leadingGreeting.ReplaceAllString(Redact(strings.Join(answers, "\n\n"), names...), "")
	if len(questions) == 0 || !meaningful(answer) {
		return Suggestion{}, false
	}
	return Suggestion{Ticket: tk.ID, Lang: LangOf(strings.Join(questions, " ")), Questions: questions, Answer: answer, Status: SuggestionPending}, true
}

// asked returns what the member asked the team, from the turns before the
// first answer: the lines they wrote after the bot last spoke (/human with
// a text, and any added to it), and the line the bot was answering when it
// could not ("I'm not sure") or spoke last (/human right after an answer
// the member did not take). Earlier questions the bot dealt with are not
// part of it.
func asked(turns []Turn) []string {
	var run []string
	i := len(turns) - 1
	for ; i >= 0 && turns[i].From == "member"; i-- {
		run = append(run, turns[i].Text)
	}
	if i >= 0 && (len(run) == 0 || turns[i].Text == "") { // the bot spoke last, or declined
		for ; i >= 0 && turns[i].From != "member"; i-- {
		}
		if i >= 0 {
			run = append(run, turns[i].Text)
		}
	}
	slices.Reverse(run)
	if len(run) > maxSuggestedQuestions {
		run = run[len(run)-maxSuggestedQuestions:]
	}
	return run
}

// sentenceEnd splits a message into sentences, keeping each one's mark.
var sentenceEnd = regexp.MustCompile(`[^.!?。！？\n]+[.!?。！？]*`)

// smallTalk matches a sentence that only greets, thanks or introduces
// ("I'm Erin.", but not "I'm unable to redeem").
var smallTalk = regexp.MustCompile(`(?i)^\s*(hi|hello|hey|hiya|dear \S+|good (morning|afternoon|evening)|thanks?( you)?( so much| a lot| in advance)?|ty|thx|please help|help|你好|您好|嗨|哈喽|在吗|在么|谢谢|多谢|麻烦了|请问)[\s,，.!！。~]*$|^\s*(my name is|i am|i'm|this is)\s+[A-Z][\p{L}'’\-]*(\s+[A-Z][\p{L}'’\-]*)?[\s,，.!！。]*$|^\s*(我叫|我姓)\p{Han}{1,3}[\s,，.!！。]*$`)

var (
	hello  = regexp.MustCompile(`(?i)^\s*(hi|hello|hey|hiya|yo|good (morning|afternoon|evening)|你好|您好|嗨|哈喽|哈啰|在吗|在么|有人吗)( there| all| everyone| bot)?[\s,，.!！。~?？]*$`)
	thanks = regexp.MustCompile(`(?i)^\s*(thanks?( you)?( so much| a lot| very much)?|ty|thx|cheers|谢谢(你|您)?|多谢|感谢)[\s,，.!！。~]*(😊|🙏|👍)?[\s!！]*$`)
	ack    = regexp.MustCompile(`(?i)^\s*(ok(ay)?|k|cool|great|nice|got it|lol|haha+|👍|好的?|收到|明白了?|哈哈+|嗯+|行)[\s,，.!！。~]*$`)
	bye    = regexp.MustCompile(`(?i)^\s*(bye|goodbye|see (you|ya)|good ?night|再见|拜拜|晚安)[\s,，.!！。~]*$`)
)

// SmallTalk says what a message is when it only greets ("hello"), thanks
// ("thanks"), acknowledges ("ack": ok, 好的, lol) or takes leave ("bye"),
// else "": the bot answers those itself, not from the FAQ.
func SmallTalk(msg string) string {
	switch {
	case hello.MatchString(msg):
		return "hello"
	case thanks.MatchString(msg):
		return "thanks"
	case ack.MatchString(msg):
		return "ack"
	case bye.MatchString(msg):
		return "bye"
	}
	return ""
}

// leadingGreeting is the "Hi Bob! " or "王小明您好，" a manager's reply
// opens with: an FAQ answer goes without.
var leadingGreeting = regexp.MustCompile(`(?i)^\s*(?:(?:hi|hello|hey|dear)\b[^,，!！.。\n]{0,30}[,，!！.。]+|(?:\*\*\*)?(?:您好|你好)[,，!！.。]*)\s*`)

// questionWord matches a sentence that asks without a question mark.
var questionWord = regexp.MustCompile(`(?i)^(how|what|when|where|why|which|who|can|could|do|does|did|is|are|will|would|should)\b|怎么|什么|多久|多少|哪|为什么|为啥|能不能|可不可以|是否`)

// questionsIn returns the sentences of a message that ask something, or
// all but the small talk when none does; asks says which.
func questionsIn(msg string) (text string, asks bool) {
	var asking, rest []string
	for _, s := range sentenceEnd.FindAllString(msg, -1) {
		s = strings.TrimSpace(s)
		switch {
		case s == "" || smallTalk.MatchString(s):
		case strings.ContainsAny(s, "?？") || strings.HasSuffix(s, "吗") || strings.HasSuffix(s, "呢") || questionWord.MatchString(s):
			asking = append(asking, s)
		default:
			rest = append(rest, s)
		}
	}
	if len(asking) > 0 {
		return strings.Join(asking, " "), true
	}
	return strings.Join(rest, " "), false
}

// meaningful reports whether text says something: two different words
// ("ok ok" is one), or four Chinese characters, once redaction marks and
// invisible characters are gone, and no {{…}} (an entry from a ticket
// would show it raw).
func meaningful(text string) bool {
	if strings.Contains(text, "{{") {
		return false
	}
	text = strings.ReplaceAll(invisible.ReplaceAllString(text, ""), redacted, " ")
	han, words := 0, map[string]bool{}
	for _, f := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		words[f] = true
		for _, r := range f {
			if isHan(r) {
				han++
			}
		}
	}
	return len(words) >= 2 || han >= 4
}

// redacted replaces what Redact takes out, in either language.
const redacted = "***"

// The personal data Redact takes out, in its order: contacts first (an
// address's digits are not a code), then introductions, platform ids,
// identifiers, addresses and underscored ids, then the names, then codes
// (see codes), then numbers.
var (
	contacts = []*regexp.Regexp{
		regexp.MustCompile(`(?i)[a-z0-9._%+\-]+@[a-z0-9.\-]+\.[a-z]{2,}`),                                                                                         // e-mail
		regexp.MustCompile(`(?i)[\w.+\-]+\s*[(\[{]\s*at\s*[)\]}]\s*[\w\-]+(?:\s*(?:[(\[{]\s*dot\s*[)\]}]|\.)\s*\w+)+`),                                            // name (at) host (dot) com
		regexp.MustCompile(`(?i)\b(?:www\.|(?:[a-z0-9\-]+\.)+[a-z]{2,}/)\S*[^\s.,!?;:)\]}'"，。！？]`),                                                                // links without a scheme
		regexp.MustCompile(`(?i)\b[\w.\-]+(?:\s+dot\s+[\w\-]+)*\s+at\s+[\w\-]+(?:\s+dot\s+[a-z]{2,})+\b`),                                                         // name dot last at host dot com
		regexp.MustCompile(`(?i)(?:\b(?:i live|i'm living|we live)\s+(?:at|in|on)|\bmy (?:home |street |postal |shipping |delivery )?address is)[:\s]*[^.!?\n]+`), // where they live
		regexp.MustCompile(`(?:地址是?|住在)[:：\s]*[^，。！？\n]+`),
		regexp.MustCompile(`\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b`),                                         // a UK postcode
		regexp.MustCompile(`(?i)\*{2,}\s*\d{4}\b|\b(?:cvv|cvc|exp(?:iry)?)\s*[:：]?\s*\d{2,4}(?:/\d{2,4})?`), // card numbers and codes
		regexp.MustCompile(`(?i)\bhttps?://\S*[^\s.,!?;:)\]}'"，。！？]`),                                       // links carry ids and tokens
		regexp.MustCompile(`@[\p{L}\p{N}_.]{2,}`),                                                           // @handles
	}
	// People say who they are and where they live in words no pattern
	// of digits finds.
	introductions = regexp.MustCompile(`\b((?:[Mm]y name is|[Nn]ame's|I am|I'm|[Tt]his is|[Cc]all me)\s+)([A-Z][\p{L}'’\-]*(?:\s+[A-Z][\p{L}'’\-]*){0,2})|(我叫|我姓|我的名字是|名字叫|本人是)\s*(\p{Han}{1,3})`)
	greetings     = regexp.MustCompile(`\b((?:[Hh]i|[Hh]ello|[Hh]ey|[Dd]ear)\s+)([A-Z][\p{L}'’\-]*(?:\s+[A-Z][\p{L}'’\-]*){0,2})|(\p{Han}{2,3})(您好|你好)`)
	platformIDs   = regexp.MustCompile(`(?i)\b(wechat|weixin|wx|vx|qq|line|instagram|insta|ig|whatsapp|telegram|tg|discord|twitter|x|tiktok|douyin|weibo)\b(\s*(?:id|handle|account|号)?\s*[:：]?\s*)([\w.\-]{3,})|(微信号?|抖音号?|小红书号?|微博|QQ号?)(\s*[:：]?\s*)([\w.\-]{3,})`)
	cardEndings   = regexp.MustCompile(`(?i)((?:ending(?: in)?|last (?:four|4)(?: digits)?|尾号|后四位)\s*[:：]?\s*)\d{4}\b`)
	addresses     = []*regexp.Regexp{
		regexp.MustCompile(`[\p{Han}\d]*(?:省|市|区|县|镇)[\p{Han}\d]*?(?:路|街|道|巷|弄|村)\s*\d+\s*(?:号|弄)?[\p{Han}\d]*`),
		regexp.MustCompile(`[\p{Han}A-Za-z\d]*\d+\s*(?:号楼|号院|栋|幢|单元|室)[\p{Han}\d]*`),
		regexp.MustCompile(`\b\d{1,5}[A-Za-z]?\s+(?:[A-Z][a-z]+\s+){1,3}(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Boulevard|Blvd|Way|Close|Court|Ct|Place|Pl)\b\.?`),
	}
	// "ginastyle on Instagram": a handle written before its platform,
	// when it is not an English word.
	handleOn    = regexp.MustCompile(`(?i)\b([\w.]{3,})(\s+on\s+(?:instagram|insta|ig|wechat|tiktok|twitter|weibo|douyin|xiaohongshu|小红书|抖音|微博))\b`)
	underscored = regexp.MustCompile(`\b\w*[\p{L}\d]_\w+\b|\b_\w+\b`) // ids such as wxid_abc123 or erin_ob
	// More that names or identifies a person: titles with a name, dates of
	// birth, PINs and pick-up codes, ID and card digits.
	identifiers = []*regexp.Regexp{
		regexp.MustCompile(`\b(?:Mr|Mrs|Ms|Miss|Mx|Dr|Prof)\.?\s+[A-Z][\p{L}'’\-]+`),
		regexp.MustCompile(`\p{Han}{1,2}(?:先生|女士|小姐|太太|老师)`),
		regexp.MustCompile(`(?i)\b\d{1,2}(?:st|nd|rd|th)?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?,?\s+\d{4}\b|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}\b|\d{4}年\d{1,2}月\d{1,2}[日号]`),
		regexp.MustCompile(`(?i)\b(?:pin|passcode|password|pwd|otp|login|username|user name)\s*(?:is|:|：)?\s*\S+|(?:取件码|验证码|密码|身份证[^，。\d]{0,6}|证件号)\s*(?:是|为|:|：)?\s*\S+`),
		regexp.MustCompile(`(?i)\b(?:visa|mastercard|master card|amex|unionpay|银联|card)\s*(?:ending\s*(?:in)?\s*)?\d{4}\b`),
		regexp.MustCompile(`(?i)\b(?:order|订单)\s*(?:no\.?|number|号)?\s*[:：]?\s*\d{3,}`),
		regexp.MustCompile(`[\w.+\-]+\s+@\s+[\w\-]+(?:\s*\.\s*[a-z]{2,})+|[\w.+\-]+(?:艾特|@)[\w\-]+(?:点|\.)(?:com|cn|net|org)`),
		regexp.MustCompile(`[〇零幺一二三四五六七八九两](?:\s*[〇零幺一二三四五六七八九两]){6,}`),
		regexp.MustCompile(`(?i)\b(?:(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)[\s\-]+){6,}(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)\b`),
	}
	numbers = []*regexp.Regexp{
		regexp.MustCompile(`\(?\+?\d[\d\s\x{00a0}\-–—/().]{6,}\d`), // phone numbers, long numbers written in groups
		regexp.MustCompile(`#\s?\d+`),                              // #1043: an order or ticket
		regexp.MustCompile(`\d{5,}`),                               // any other long number
	}
)

// Redact takes personal data out of text for an FAQ entry: contacts,
// names said or introduced, platform ids, identifiers, addresses, codes
// and numbers (the patterns above) and the given names (see maskName)
// become "***" for the manager who reviews it. Patterns miss things; the
// manager reads every proposal.
func Redact(text string, names ...string) string {
	text = plain(text)
	for _, re := range contacts {
		text = re.ReplaceAllString(text, redacted)
	}
	text = introductions.ReplaceAllString(text, "${1}${3}"+redacted)
	text = platformIDs.ReplaceAllStringFunc(text, func(m string) string {
		g := platformIDs.FindStringSubmatch(m)
		word, sep, id := g[1]+g[4], g[2]+g[5], g[3]+g[6]
		if !strings.ContainsAny(id, "0123456789_") && !strings.ContainsAny(sep, ":：") {
			return m // "my telegram and discord": a word, not an id
		}
		return word + sep + redacted
	})
	for _, re := range identifiers {
		text = re.ReplaceAllString(text, redacted)
	}
	text = cardEndings.ReplaceAllString(text, "${1}"+redacted)
	text = handleOn.ReplaceAllStringFunc(text, func(m string) string {
		g := handleOn.FindStringSubmatch(m)
		if w := strings.ToLower(g[1]); stopWords[w] || enSynonyms().known(w) {
			return m // "posts on Instagram"
		}
		return redacted + g[2]
	})
	for _, re := range addresses {
		text = re.ReplaceAllString(text, redacted)
	}
	text = underscored.ReplaceAllString(text, redacted)
	for _, name := range names { // before codes: "member1" is a name, not a code
		for _, part := range nameParts(name) {
			text = maskName(text, part)
		}
	}
	text = greetings.ReplaceAllStringFunc(text, func(m string) string {
		if g := greetings.FindStringSubmatch(m); g[1] != "" {
			return g[1] + redacted // Hi ***
		} else {
			return redacted + g[4] // ***您好
		}
	})
	text = codes.ReplaceAllStringFunc(text, func(tok string) string {
		if strings.ContainsFunc(tok, unicode.IsDigit) && strings.ContainsFunc(tok, unicode.IsLetter) {
			return redacted
		}
		return tok
	})
	for _, re := range numbers {
		text = re.ReplaceAllString(text, redacted)
	}
	return tidy(text)
}

// nameParts splits a display name into the parts to take out: the whole
// name and each word of two letters or more.
func nameParts(name string) []string {
	name = strings.TrimSpace(strings.TrimPrefix(name, "@"))
	if utf8.RuneCountInString(name) < 2 {
		return nil
	}
	parts := []string{name}
	for _, w := range strings.FieldsFunc(name, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if utf8.RuneCountInString(w) >= 2 && w != name {
			parts = append(parts, w)
		}
	}
	return parts
}

// maskName marks a name in text: as written for a Chinese one; for others
// where it is written with a capital, or has digits or an underscore as
// handles do, or is said to the reader ("hi bob", "…, carol."). It marks
// rather than drops: a member called 不能 or "14" must not turn "不能退货"
// into "退货" unseen — the mark stops the answer being accepted unread. A
// stop word is never marked ("not"), and a name that is also an English
// word only where it is plainly said to the reader.
func maskName(text, name string) string {
	if strings.ContainsFunc(name, isHan) {
		return strings.ReplaceAll(text, name, redacted)
	}
	handle := strings.ContainsAny(name, "0123456789_")
	if !handle && stopWords[strings.ToLower(name)] {
		return text
	}
	// A name that is also an English word ("Never", "Mark", "free") goes
	// only where it is plainly said to the reader: "Hi Mark", "…, mark."
	low := strings.ToLower(name)
	word := !handle && (enSynonyms().known(low) || meaningWords[low])
	re := regexp.MustCompile(`(?i)(^|[^\p{L}\p{N}])(` + regexp.QuoteMeta(name) + `)($|[^\p{L}\p{N}])`)
	for { // overlapping matches ("Ann Ann") need a second pass
		next := text
		for _, m := range slices.Backward(re.FindAllStringSubmatchIndex(text, -1)) {
			start, end := m[4], m[5]
			r, _ := utf8.DecodeRuneInString(text[start:])
			if word && greeted(text, start, end) || !word && (handle || unicode.IsUpper(r) || addressed(text, start, end)) {
				next = next[:start] + redacted + next[end:]
			}
		}
		if next == text {
			return text
		}
		text = next
	}
}

var (
	vocativeBefore = regexp.MustCompile(`(?i)(^|[,，!！.。?？:：]\s*|\b(hi|hello|hey|dear|thanks|thank you|sorry)\s+)$`)
	vocativeAfter  = regexp.MustCompile(`^\s*([,，!！.。?？:：]|$)`)
)

// meaningWords are words that turn a sentence's meaning, which WordNet's
// list (nouns, verbs, adjectives) lacks: a member named one must not drop
// it from the answer.
var meaningWords = wordSet(`never not no nothing nobody none neither nor unless except without cannot cant dont only always ever yes`)

// greeted reports whether the word at text[start:end] is plainly said to
// the reader: after a greeting, between a comma and the end of a sentence
// or a colon, or first and followed by a comma ("Bob, your tin…").
func greeted(text string, start, end int) bool {
	before, after := text[:start], text[end:]
	return greeting.MatchString(before) || afterComma.MatchString(before) && vocativeEnd.MatchString(after) ||
		strings.TrimSpace(before) == "" && commaNext.MatchString(after)
}

var (
	greeting    = regexp.MustCompile(`(?i)\b(hi|hello|hey|dear|thanks|thank you|sorry)\s+$`)
	afterComma  = regexp.MustCompile(`[,，]\s*$`)
	vocativeEnd = regexp.MustCompile(`^\s*([!！.。?？:：]|$)`)
	commaNext   = regexp.MustCompile(`^\s*[,，]`)
)

// addressed reports whether the word at text[start:end] is said to the
// reader: after a greeting or at the edge of a clause.
func addressed(text string, start, end int) bool {
	return vocativeBefore.MatchString(text[:start]) || vocativeAfter.MatchString(text[end:])
}

// invisible are characters that show nothing: zero-width spaces and
// joiners, direction marks and overrides, the byte-order mark.
var invisible = regexp.MustCompile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")

// plain drops invisible characters and writes full-width letters and
// digits (１３８, ａｂｃ) as ASCII, so the patterns see what a reader sees;
// full-width punctuation, which Chinese is written with, stays.
func plain(text string) string {
	text = invisible.ReplaceAllString(text, "")
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '０' && r <= '９' || r >= 'Ａ' && r <= 'Ｚ' || r >= 'ａ' && r <= 'ｚ' || strings.ContainsRune("＠．／＿－＋＃", r):
			return r - 0xFEE0
		case r == 0x3000:
			return ' '
		}
		return r
	}, text)
}

// codes are the tokens that may be order, tracking or coupon codes: those
// with letters and digits both are taken out.
var codes = regexp.MustCompile(`\b[A-Za-z0-9][A-Za-z0-9\-]{4,}\b`)

var (
	marks       = regexp.MustCompile(`\*\*\*(?:[\s,，]*\*\*\*)+`)  // "*** ***"
	spaceBefore = regexp.MustCompile(`[ \t]+([,.!?;:，。！？；：])`)    // "Hi !"
	commaBefore = regexp.MustCompile(`[,，]\s*([,.!?;:，。！？；：])`)   // "Yes, :"
	leading     = regexp.MustCompile(`(?m)^[ \t]*[,，;；:：][ \t]*`) // ", your order"
	spaces      = regexp.MustCompile(`[ \t]{2,}`)
)

// tidy folds runs of marks into one and mends the punctuation a dropped
// name leaves behind.
func tidy(text string) string {
	text = marks.ReplaceAllString(text, redacted)
	text = spaceBefore.ReplaceAllString(text, "$1")
	text = commaBefore.ReplaceAllString(text, "$1")
	text = leading.ReplaceAllString(text, "")
	return strings.TrimSpace(spaces.ReplaceAllString(text, " "))
}

// Redacted reports whether text still has a mark where Redact took
// personal data out.
func Redacted(text string) bool { return strings.Contains(text, redacted) }

// staff reports whether a turn is a manager's: written by someone other
// than the member or the bot.
func (t Turn) staff() bool { return t.Staff || (t.From != "member" && t.From != "bot") }
