package bots

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ArgKind says how an argument is parsed.
type ArgKind int

// Argument kinds.
const (
	ArgWord   ArgKind = iota // one token
	ArgInt                   // an integer within Min..Max
	ArgMember                // an @mention, resolved to a member id
	ArgText                  // the rest of the line, as typed
)

// Arg declares one command argument.
type Arg struct {
	Name     string
	Kind     ArgKind
	Optional bool
	Min, Max int64    // for ArgInt; both zero means any int64. For ArgText Max is the most characters (default MaxText)
	Choices  []string // for ArgWord: allowed values, lowercase
	Hidden   bool     // left out of usage lines: filled by buttons and deep links
}

// Literal returns an argument that must be typed as word itself, such as
// the "unlink" of "/shop unlink @member"; usage lines show it as it is.
func Literal(word string) Arg { return Arg{Name: word, Choices: []string{word}} }

// MentionResolver finds the member an @mention names on a platform.
type MentionResolver interface {
	// LookupMention returns the member for mention ("@alice" or a platform
	// mention such as "<@123>"), or ErrUnknownMember.
	LookupMention(ctx context.Context, platform, mention string) (uint64, error)
}

// ErrUnknownMember is returned by a MentionResolver for a mention of nobody it knows.
var ErrUnknownMember = errors.New("bots: unknown member")

var errUnclosedQuote = errors.New("bots: unclosed quote")

// Tokenize splits a command line on white space. Double quotes, single
// quotes and the “Chinese” quotes group words; a backslash escapes the next
// character inside double quotes.
func Tokenize(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inTok := false
	var quote rune
	closing := map[rune]rune{'"': '"', '\'': '\'', '“': '”', '「': '」'}
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case quote != 0 && r == closing[quote]:
			quote = 0
		case quote == '"' && r == '\\' && i+1 < len(rs):
			i++
			cur.WriteRune(rs[i])
		case quote != 0:
			cur.WriteRune(r)
		case closing[r] != 0 && !inTok:
			quote, inTok = r, true
		case unicode.IsSpace(r):
			if inTok {
				out = append(out, cur.String())
				cur.Reset()
				inTok = false
			}
		default:
			cur.WriteRune(r)
			inTok = true
		}
	}
	if quote != 0 {
		return nil, errUnclosedQuote
	}
	if inTok {
		out = append(out, cur.String())
	}
	return out, nil
}

// ParseCommand splits "/cmd@bot arg1 arg2" into the lowercase command name,
// the bot it addresses ("" when none) and the text after it. ok is false
// when text is not a command.
func ParseCommand(text string) (name, bot, rest string, ok bool) {
	text = strings.TrimSpace(text)
	if !strings.HasPrefix(text, "/") || len(text) < 2 {
		return "", "", "", false
	}
	head, rest, _ := strings.Cut(text[1:], " ")
	if i := strings.IndexFunc(head, unicode.IsSpace); i >= 0 {
		head, rest = head[:i], head[i:]+" "+rest
	}
	name, bot, _ = strings.Cut(head, "@")
	if name == "" {
		return "", "", "", false
	}
	return strings.ToLower(name), bot, strings.TrimSpace(rest), true
}

// parseArgs checks ev.Args (and rest, the raw text after the command)
// against spec and fills ev.values. Every failure is a *UserError.
func parseArgs(ctx context.Context, ev *Event, cmd *Command, rest string, mentions MentionResolver) error {
	usage := cmd.UsageFor(ev)
	ev.values = make(map[string]value, len(cmd.Args))
	args := ev.Args
	ti := 0 // next token; an optional argument that does not fit is skipped, not consumed
	for i, a := range cmd.Args {
		if a.Kind == ArgText {
			text := strings.TrimSpace(cleanText(restAfter(rest, ti)))
			if text == "" {
				if a.Optional {
					return nil
				}
				return Errorf("error.missing_arg", cmd.Name, ev.argName(a.Name), usage)
			}
			if toks, err := Tokenize(text); err == nil && len(toks) == 1 {
				text = toks[0] // one quoted phrase: drop the quotes
			}
			if limit := cmp.Or(a.Max, MaxText); int64(utf8.RuneCountInString(text)) > limit {
				return Errorf("error.text_too_long", ev.argName(a.Name), limit, usage)
			}
			ev.values[a.Name] = value{text: text}
			return nil
		}
		if ti >= len(args) {
			if a.Optional {
				continue
			}
			return Errorf("error.missing_arg", cmd.Name, ev.argName(a.Name), usage)
		}
		v, err := parseArg(ctx, ev, a, args[ti], usage, mentions)
		if err != nil {
			var ue *UserError
			// "/approve 12 great photo": the optional <points> is absent, the note
			// starts here. A token that is a number is never a note: "/approve 12 0"
			// is an out-of-range <points>, not a note "0". Likewise a mention is
			// never something else: "/erase @nobody" names an unknown member.
			if a.Optional && i+1 < len(cmd.Args) && errors.As(err, &ue) && !(a.Kind == ArgInt && looksNumeric(args[ti])) &&
				!(a.Kind == ArgMember && isMention(args[ti])) {
				continue
			}
			return err
		}
		ev.values[a.Name] = v
		ti++
	}
	if len(args) > ti {
		return Errorf("error.too_many_args", usage)
	}
	return nil
}

// parseArg parses one token for argument a. Failures are *UserError.
func parseArg(ctx context.Context, ev *Event, a Arg, tok, usage string, mentions MentionResolver) (value, error) {
	v := value{text: tok}
	switch a.Kind {
	case ArgInt:
		n, err := strconv.ParseInt(strings.ReplaceAll(tok, ",", ""), 10, 64)
		if err != nil {
			return v, Errorf("error.bad_number", ev.argName(a.Name), tok, usage)
		}
		if (a.Min != 0 || a.Max != 0) && (n < a.Min || n > a.Max) {
			return v, Errorf("error.out_of_range", ev.argName(a.Name), a.Min, a.Max, usage)
		}
		v.num = n
	case ArgMember:
		if !isMention(tok) {
			return v, Errorf("error.bad_mention", ev.argName(a.Name), usage)
		}
		if mentions == nil {
			return v, Errorf("error.unknown_member", tok)
		}
		id, err := mentions.LookupMention(ctx, ev.Platform, tok)
		if errors.Is(err, ErrUnknownMember) {
			return v, Errorf("error.unknown_member", tok)
		}
		if err != nil {
			return v, err
		}
		v.member = id
	case ArgWord:
		if len(a.Choices) > 0 {
			low := strings.ToLower(tok)
			if !slices.Contains(a.Choices, low) {
				return v, Errorf("error.bad_choice", ev.argName(a.Name), strings.Join(a.Choices, " | "), usage)
			}
			v.text = low
		}
	}
	return v, nil
}

// looksNumeric reports whether tok is written as a number ("-5", "1,000",
// "99999999999999999999"), whether or not it fits an int64.
func looksNumeric(tok string) bool {
	tok = strings.TrimPrefix(strings.TrimPrefix(tok, "-"), "+")
	return tok != "" && strings.Trim(tok, "0123456789,") == ""
}

// restAfter returns the raw text after the first n tokens of s, keeping the
// member's spacing and quotes.
func restAfter(s string, n int) string {
	s = strings.TrimSpace(s)
	for range n {
		toks, _ := Tokenize(s)
		if len(toks) == 0 {
			return ""
		}
		s = strings.TrimSpace(skipToken(s))
	}
	return s
}

// skipToken drops the first token (quoted or not) from s.
func skipToken(s string) string {
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	rs := []rune(s)
	closing := map[rune]rune{'"': '"', '\'': '\'', '“': '”', '「': '」'}
	if c, ok := closing[rs[0]]; ok {
		for i := 1; i < len(rs); i++ {
			if rs[i] == c {
				return string(rs[i+1:])
			}
		}
		return ""
	}
	i := strings.IndexFunc(s, unicode.IsSpace)
	if i < 0 {
		return ""
	}
	return s[i:]
}

// isMention reports whether tok is written as a mention: "@alice", "<@123>".
func isMention(tok string) bool { return strings.HasPrefix(tok, "@") || strings.HasPrefix(tok, "<@") }

// MaxText is the default length limit of an ArgText argument, in
// characters: reasons and notes are shown in listings that must fit a chat
// message.
const MaxText = 500

// cleanText drops what a member's text must never carry into replies and
// records: control characters other than new lines and tabs, bidirectional
// overrides that make text read backwards, and invalid UTF-8.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case unicode.IsControl(r), r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069:
			return -1
		}
		return r
	}, s)
}
