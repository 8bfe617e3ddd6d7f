package telegram

import (
	"html"
	"strings"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"
	"github.com/loyalbot/loyalbot/bots"
)

// maxMessage is Telegram's limit on a message's text, in characters.
const maxMessage = 4096

// maxCallbackData is Telegram's limit on a button's callback data, in bytes.
const maxCallbackData = 64

// renderText escapes text for parse_mode HTML: a member's name with "<" or
// "&" shows as typed and never breaks the markup.
func renderText(text string) string { return html.EscapeString(text) }

// split cuts (escaped) text into messages of at most limit characters, at
// line breaks where it can, and inside a line only when one line is too
// long — never inside an HTML entity such as "&amp;".
func split(text string, limit int) []string {
	var parts []string
	var cur strings.Builder
	curLen := 0
	flush := func() {
		if curLen > 0 {
			parts = append(parts, cur.String())
			cur.Reset()
			curLen = 0
		}
	}
	for _, line := range strings.SplitAfter(text, "\n") {
		n := utf8.RuneCountInString(line)
		if curLen+n > limit {
			flush()
		}
		for n > limit { // one line longer than a message
			r := []rune(line)
			cut := limit
			if amp := lastIndexRune(r[max(0, limit-5):limit], '&'); amp >= 0 && lastIndexRune(r[max(0, limit-5)+amp:limit], ';') < 0 {
				if c := max(0, limit-5) + amp; c > 0 {
					cut = c // do not split "&amp;"
				}
			}
			parts = append(parts, string(r[:cut]))
			line, n = string(r[cut:]), n-cut
		}
		cur.WriteString(line)
		curLen += n
	}
	flush()
	for i, p := range parts {
		parts[i] = strings.TrimRight(p, "\n")
	}
	if len(parts) == 0 {
		parts = []string{""}
	}
	return parts
}

func lastIndexRune(rs []rune, r rune) int {
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i] == r {
			return i
		}
	}
	return -1
}

// keyboard turns reply buttons into an inline keyboard. A button whose data
// does not fit Telegram's 64 bytes is left out and its command is shown in
// the text instead, so it still works by typing.
func keyboard(r bots.Reply) (models.ReplyMarkup, string) {
	if len(r.Buttons) == 0 {
		return nil, ""
	}
	var rows [][]models.InlineKeyboardButton
	var typed []string
	for _, row := range r.Buttons {
		var out []models.InlineKeyboardButton
		for _, b := range row {
			if len(b.Data) > maxCallbackData {
				typed = append(typed, b.Data)
				continue
			}
			out = append(out, models.InlineKeyboardButton{Text: b.Label, CallbackData: b.Data})
		}
		if len(out) > 0 {
			rows = append(rows, out)
		}
	}
	extra := ""
	if len(typed) > 0 {
		extra = "\n" + strings.Join(typed, "\n")
	}
	if len(rows) == 0 {
		return nil, extra
	}
	return &models.InlineKeyboardMarkup{InlineKeyboard: rows}, extra
}
