package bots

import (
	"strconv"
	"time"
)

// Platforms loyalbot speaks.
const (
	Console  = "console"
	Telegram = "telegram"
	Discord  = "discord"
)

// ChatKind says whether a chat is a group or a private chat with the bot.
type ChatKind int

// Chat kinds.
const (
	ChatGroup ChatKind = iota
	ChatPrivate
)

// EventKind says what happened.
type EventKind int

// Event kinds.
const (
	// EventMessage is a text message; a command when it starts with "/".
	EventMessage EventKind = iota
	// EventCallback is a button press; Callback holds the button's Data.
	EventCallback
	// EventJoin is a member joining the chat.
	EventJoin
	// EventLeave is a member leaving the chat.
	EventLeave
)

// Event is one platform update in platform-neutral form. Adapters fill the
// first group of fields; the router and its middleware fill the rest.
type Event struct {
	// ID is unique per platform update ("telegram:8812931"); a redelivered
	// update keeps its ID, which is what idempotency keys derive from.
	ID       string
	Platform string
	Kind     EventKind
	ChatID   string
	Chat     ChatKind
	// Server is the server the chat belongs to where the platform groups
	// chats into one (a Discord guild id); "" where a chat stands alone.
	Server    string
	MessageID string
	ReplyTo   string // id of the message this one replies to
	UserID    string // platform user id
	Name      string // display name
	Username  string // platform handle without "@", if any
	LangCode  string // the platform's language code, such as "zh-hans" or "en"
	Text      string
	Callback  string // button data, for EventCallback
	Invite    string // invite link name (or code) a joining member used, if known
	Inviter   string // platform user id of who made that invite, if known
	// PlatformRole is the role the platform itself grants, such as
	// RoleManager for a group administrator. It counts only in a brand
	// chat (see BrandChat).
	PlatformRole Role
	// BotUsername is the bot's own handle, so "/points@otherbot" is ignored.
	BotUsername string
	// Mentioned is true when the message mentions or replies to the bot.
	Mentioned bool
	Time      time.Time

	// Command is the lowercase command name without "/" or "@bot".
	Command string
	// Args are the command's arguments, tokenized (quotes respected).
	Args []string
	// Member is loyalbot's member id for the sender (0 if unknown).
	Member uint64
	// Role is the sender's effective role: loyalbot's, raised to the
	// platform's only inside a brand chat.
	Role Role
	// BrandChat is true when the event came from a chat that belongs to the
	// community (a configured or /setup chat or server).
	BrandChat bool
	// Locale is "en" or "zh": the language replies use.
	Locale string
	// NewMember is true when this event registered the sender.
	NewMember bool

	rest   string // the raw text after the command
	values map[string]value
	cat    *Catalog
}

type value struct {
	text   string
	num    int64
	member uint64
}

// Arg returns the text of the named argument, "" when absent.
func (ev *Event) Arg(name string) string { return ev.values[name].text }

// ArgInt returns the named integer argument, 0 when absent.
func (ev *Event) ArgInt(name string) int64 { return ev.values[name].num }

// ArgMember returns the member id the named @mention resolved to, 0 when absent.
func (ev *Event) ArgMember(name string) uint64 { return ev.values[name].member }

// HasArg reports whether the named argument was given.
func (ev *Event) HasArg(name string) bool {
	_, ok := ev.values[name]
	return ok
}

// T formats a message from the catalogue in the event's locale.
func (ev *Event) T(key string, args ...any) string {
	if ev.cat == nil {
		return key
	}
	return ev.cat.Format(ev.Locale, key, args...)
}

// TN formats the plural form of key that fits n in the event's locale
// ("1 point", "2 points"; Chinese has one form). args are the format's
// arguments, usually n among them.
func (ev *Event) TN(key string, n int64, args ...any) string {
	if ev.cat == nil {
		return key
	}
	return ev.cat.Plural(ev.Locale, key, n, args...)
}

// argName returns an argument's name in the event's locale ("arg.<name>"),
// or the name itself.
func (ev *Event) argName(name string) string {
	if ev.cat != nil && ev.cat.Has(ev.Locale, "arg."+name) {
		return ev.cat.Format(ev.Locale, "arg."+name)
	}
	return name
}

// HasMessage reports whether the catalogue has key in the event's locale.
func (ev *Event) HasMessage(key string) bool { return ev.cat != nil && ev.cat.Has(ev.Locale, key) }

// Private reports whether the event came from a private chat with the bot.
func (ev *Event) Private() bool { return ev.Chat == ChatPrivate }

// Key returns an idempotency key for a write this event causes: kind, then
// the event id, so a redelivered update maps to the same key.
func (ev *Event) Key(kind string) string { return kind + ":" + ev.ID }

// MemberKey returns "kind:<member>:<suffix>", for writes keyed by member.
func (ev *Event) MemberKey(kind, suffix string) string {
	return kind + ":" + strconv.FormatUint(ev.Member, 10) + ":" + suffix
}
