package bots

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Locales loyalbot ships.
const (
	English = "en"
	Chinese = "zh"
)

// Locales returns the supported locales; English, the fallback, first.
func Locales() []string { return []string{English, Chinese} }

// LocaleFor maps a platform language code ("zh-hans", "zh-CN", "en-US") to a
// supported locale, or "" when none fits.
func LocaleFor(code string) string {
	code = strings.ToLower(code)
	switch {
	case strings.HasPrefix(code, "zh"):
		return Chinese
	case strings.HasPrefix(code, "en"):
		return English
	}
	return ""
}

// Catalog holds every user-facing message in every locale. Messages are
// fmt formats; translations may reorder arguments with %[n]d. It is safe
// for concurrent use.
type Catalog struct {
	mu   sync.RWMutex
	msgs map[string]map[string]string // locale → key → format
}

// NewCatalog returns a catalogue holding the router's own messages.
func NewCatalog() *Catalog {
	c := &Catalog{msgs: map[string]map[string]string{}}
	c.Add(English, coreEnglish)
	c.Add(Chinese, coreChinese)
	return c
}

// Add adds messages for a locale. It panics when a key is added twice, so
// two features cannot silently fight over one message.
func (c *Catalog) Add(locale string, msgs map[string]string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.msgs[locale]
	if m == nil {
		m = map[string]string{}
		c.msgs[locale] = m
	}
	for k, v := range msgs {
		if _, dup := m[k]; dup {
			panic(fmt.Sprintf("bots: message %q added twice for %s", k, locale))
		}
		m[k] = v
	}
}

// Format formats key in locale, falling back to English, then to the key itself.
func (c *Catalog) Format(locale, key string, args ...any) string {
	c.mu.RLock()
	f, ok := c.msgs[locale][key]
	if !ok {
		f, ok = c.msgs[English][key]
	}
	c.mu.RUnlock()
	if !ok {
		return key
	}
	if len(args) == 0 {
		return f
	}
	return fmt.Sprintf(f, args...)
}

// Plural formats the form of key that fits count n in locale: key+"#one"
// or key+"#other" (CLDR categories; English has both, Chinese only other),
// falling back to key+"#other" and then to key itself.
func (c *Catalog) Plural(locale, key string, n int64, args ...any) string {
	form := pluralForm(locale, n)
	for _, k := range []string{key + "#" + form, key + "#other"} {
		if c.Has(locale, k) || c.Has(English, k) {
			return c.Format(locale, k, args...)
		}
	}
	return c.Format(locale, key, args...)
}

// pluralForm is the CLDR plural category of integer n in locale.
func pluralForm(locale string, n int64) string {
	if locale == English && (n == 1 || n == -1) {
		return "one"
	}
	return "other"
}

// Has reports whether key exists in locale.
func (c *Catalog) Has(locale, key string) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	_, ok := c.msgs[locale][key]
	return ok
}

// Missing returns "locale: key" for every key some locale has and another lacks.
func (c *Catalog) Missing() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	all := map[string]bool{}
	for _, m := range c.msgs {
		for k := range m {
			all[k] = true
		}
	}
	var out []string
	for _, loc := range Locales() {
		for k := range all {
			if strings.HasSuffix(k, "#one") && pluralForm(loc, 1) != "one" {
				continue // a locale without the category needs no such form
			}
			if _, ok := c.msgs[loc][k]; !ok {
				out = append(out, loc+": "+k)
			}
		}
	}
	slices.Sort(out)
	return out
}

var coreEnglish = map[string]string{
	"error.internal":        "Sorry, something went wrong on our side. Please try again in a moment. (ref %s)",
	"error.timeout":         "Sorry, that took too long. Please try again.",
	"error.unknown_command": "I don't know /%s. Send /help to see what I can do.",
	"error.forbidden":       "Sorry, /%s is for %s and above.",
	"error.rate_limited":    "Easy there! You're sending commands too fast. Please wait a few seconds.",
	"error.missing_arg":     "/%s needs <%s>. Usage: %s",
	"error.bad_number":      "<%s> must be a whole number, not %q. Usage: %s",
	"error.out_of_range":    "<%s> must be between %d and %d. Usage: %s",
	"error.bad_choice":      "<%s> must be one of: %s. Usage: %s",
	"error.bad_mention":     "<%s> must mention a member, like @alice. Usage: %s",
	"error.unknown_member":  "I don't know %s yet. They need to say hello to the bot first.",
	"error.too_many_args":   "Too many arguments. Usage: %s",
	"error.text_too_long":   "Your <%s> is too long: at most %d characters. Usage: %s",
	"error.bad_quotes":      "A quote is not closed. Usage: %s",
	"error.dm_first":        "I'd like to answer you privately, but you need to open a chat with me first: %s",
	"console.too_long":      "that line is longer than %d KiB and was not sent.",
	"console.bad_name":      "a name before \">\" may only hold letters, digits, _ . and - (at most 32); the line was not sent.",
	"help.header":           "Here is what I can do:",
	"help.line":             "%s — %s",
	"help.variant":          "%s — %s (for %s)",
	"role.member":           "members",
	"role.ambassador":       "ambassadors",
	"role.manager":          "managers",
	"role.owner":            "the owner",
}

var coreChinese = map[string]string{
	"error.internal":        "抱歉，系统出了点问题，请稍后再试。（编号 %s）",
	"error.timeout":         "抱歉，处理超时了，请再试一次。",
	"error.unknown_command": "我不认识 /%s。发送 /help 查看可用命令。",
	"error.forbidden":       "抱歉，/%s 仅限%s及以上使用。",
	"error.rate_limited":    "慢一点～命令发得太快了，请稍等几秒。",
	"error.missing_arg":     "/%s 需要 <%s>。用法：%s",
	"error.bad_number":      "<%s> 必须是整数，而不是 %q。用法：%s",
	"error.out_of_range":    "<%s> 必须在 %d 到 %d 之间。用法：%s",
	"error.bad_choice":      "<%s> 只能是：%s。用法：%s",
	"error.bad_mention":     "<%s> 需要 @ 一位成员，例如 @alice。用法：%s",
	"error.unknown_member":  "我还不认识 %s，请对方先和机器人打个招呼。",
	"error.too_many_args":   "参数太多了。用法：%s",
	"error.text_too_long":   "<%s> 太长了：最多 %d 个字符。用法：%s",
	"error.bad_quotes":      "引号没有闭合。用法：%s",
	"error.dm_first":        "我想私信回复你，但需要你先打开和我的私聊：%s",
	"console.too_long":      "这一行超过 %d KiB，没有发送。",
	"console.bad_name":      "\">\" 前的名字只能包含字母、数字、_ . 和 -（最多 32 个），这一行没有发送。",
	"help.header":           "我可以帮你做这些：",
	"help.line":             "%s — %s",
	"help.variant":          "%s — %s（限%s）",
	"role.member":           "成员",
	"role.ambassador":       "大使",
	"role.manager":          "管理员",
	"role.owner":            "创建者",
}

// Thousands formats n with thousands separators, as point amounts are
// shown in both languages: 12,345.
func Thousands(n int64) string {
	neg := n < 0
	if neg {
		n = -n
	}
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}
