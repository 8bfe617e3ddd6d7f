// Package bots is loyalbot's platform-neutral chat core: the Event and Reply
// types adapters translate to and from, the Router that dispatches commands,
// free text, joins and button presses to handlers, its middleware, argument
// parsing and the message catalogue. It imports only the standard library.
package bots

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
)

// Command declares a chat command. Its name, help key, arguments and role
// drive dispatch, argument parsing, /help and the platforms' command menus.
type Command struct {
	Name     string   // lowercase, without "/"
	Aliases  []string // other names that run it
	Help     string   // catalogue key of a one-line description
	Args     []Arg
	Role     Role      // minimum role; RoleNone lets anyone run it
	Hidden   bool      // left out of /help and command menus
	Variants []Variant // further uses for higher roles, listed in /help to those roles only
	Handler  Handler
}

// Variant documents another way to use a command that only a higher role
// may: "/erase @member [confirm]" for the owner beside a member's "/erase".
// /help lists it under its command to members with Role and above, so
// managers can discover it and members never see it. A variant only
// documents: the command's Args still parse the line, and its handler
// still checks the role.
type Variant struct {
	Args []Arg  // what follows the command name, shown as a usage line (Hidden ones are left out)
	Help string // catalogue key of a one-line description
	Role Role   // minimum role that sees it; at least the command's
}

// Usage returns the command's synopsis, such as "/give @member <amount> <reason>".
// Choices a variant documents are left to the variant's synopsis, so a
// member reads "/ambassador apply [details]" and only managers read
// "/ambassador approve|reject @member".
func (c *Command) Usage() string {
	return usage(c.Name, c.ownArgs(), func(name string) string { return name })
}

// UsageFor returns the synopsis in the event's locale: argument names come
// from the catalogue ("arg.<name>") where it has them, so a Chinese member
// reads "/history [页码]".
func (c *Command) UsageFor(ev *Event) string { return usage(c.Name, c.ownArgs(), ev.argName) }

// ownArgs returns the command's arguments without the choices its
// variants document (unless that would leave an argument none).
func (c *Command) ownArgs() []Arg {
	if len(c.Variants) == 0 {
		return c.Args
	}
	out := slices.Clone(c.Args)
	for i, a := range out {
		if len(a.Choices) == 0 {
			continue
		}
		var own []string
		for _, ch := range a.Choices {
			documented := slices.ContainsFunc(c.Variants, func(v Variant) bool {
				return slices.ContainsFunc(v.Args, func(va Arg) bool { return va.Name == a.Name && slices.Contains(va.Choices, ch) })
			})
			if !documented {
				own = append(own, ch)
			}
		}
		if len(own) > 0 {
			out[i].Choices = own
		}
	}
	return out
}

// VariantUsageFor returns the synopsis of one of the command's variants in
// the event's locale, such as "/shop unlink @成员".
func (c *Command) VariantUsageFor(ev *Event, v Variant) string {
	return usage(c.Name, v.Args, ev.argName)
}

func usage(name string, args []Arg, argName func(string) string) string {
	var b strings.Builder
	b.WriteString("/" + name)
	for _, a := range args {
		if a.Hidden {
			continue
		}
		var s string
		switch {
		case a.Kind == ArgMember:
			s = "@" + argName(a.Name)
		case len(a.Choices) > 0:
			s = strings.Join(a.Choices, "|")
		default:
			s = "<" + argName(a.Name) + ">"
		}
		if a.Optional {
			s = "[" + strings.Trim(s, "<>") + "]"
		}
		b.WriteString(" " + s)
	}
	return b.String()
}

// Router dispatches events to handlers. Register handlers before the first
// Dispatch; after that a Router is safe for concurrent use.
type Router struct {
	log      *slog.Logger
	cat      *Catalog
	timeout  time.Duration
	mentions MentionResolver

	mu      sync.RWMutex
	cmds    map[string]*Command // by name and alias
	ordered []*Command
	mw      []Middleware
	chain   Handler
	text    Handler
	join    Handler
	leave   Handler
}

// Option configures a Router.
type Option func(*Router)

// WithLogger sets the router's logger. The default discards everything.
func WithLogger(l *slog.Logger) Option { return func(r *Router) { r.log = l } }

// WithCatalog sets the message catalogue. The default is NewCatalog().
func WithCatalog(c *Catalog) Option { return func(r *Router) { r.cat = c } }

// WithTimeout bounds each dispatch. The default is 15 seconds.
func WithTimeout(d time.Duration) Option { return func(r *Router) { r.timeout = d } }

// WithMentions sets how @mention arguments resolve to members.
func WithMentions(m MentionResolver) Option { return func(r *Router) { r.mentions = m } }

// NewRouter returns a router with no commands.
func NewRouter(opts ...Option) *Router {
	r := &Router{
		log:     slog.New(slog.DiscardHandler),
		timeout: 15 * time.Second,
		cmds:    map[string]*Command{},
	}
	for _, o := range opts {
		o(r)
	}
	if r.cat == nil {
		r.cat = NewCatalog()
	}
	r.log = r.log.With("component", "router")
	r.chain = HandlerFunc(r.route)
	return r
}

// Catalog returns the router's message catalogue.
func (r *Router) Catalog() *Catalog { return r.cat }

// Use appends middleware; the first one added runs outermost.
func (r *Router) Use(mw ...Middleware) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.mw = append(r.mw, mw...)
	var h Handler = HandlerFunc(r.route)
	for i := len(r.mw) - 1; i >= 0; i-- {
		h = r.mw[i](h)
	}
	r.chain = h
}

// Handle registers a command. It panics on an empty or duplicate name or
// alias, or a missing handler, so wiring mistakes fail at start-up.
func (r *Router) Handle(c Command) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c.Name == "" || c.Handler == nil {
		panic(fmt.Sprintf("bots: command %q needs a name and a handler", c.Name))
	}
	for _, v := range c.Variants {
		if v.Help == "" || v.Role < c.Role {
			panic(fmt.Sprintf("bots: a variant of /%s needs a help key and a role of at least %s", c.Name, c.Role))
		}
	}
	cmd := &c
	for _, n := range append([]string{c.Name}, c.Aliases...) {
		if n != strings.ToLower(n) {
			panic(fmt.Sprintf("bots: command name %q must be lowercase", n))
		}
		if old, dup := r.cmds[n]; dup {
			panic(fmt.Sprintf("bots: /%s registered twice (%s and %s)", n, old.Name, c.Name))
		}
		r.cmds[n] = cmd
	}
	r.ordered = append(r.ordered, cmd)
}

// Order sets the order Commands (and so /help and the platforms' command
// menus) lists commands in: the names given first, in that order, then
// the others in registration order. How commands are grouped in code need
// not be how a member reads them.
func (r *Router) Order(names ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rank := make(map[*Command]int, len(names))
	for i, n := range names {
		if c, ok := r.cmds[n]; ok {
			if _, seen := rank[c]; !seen {
				rank[c] = i
			}
		}
	}
	slices.SortStableFunc(r.ordered, func(a, b *Command) int {
		ra, oka := rank[a]
		rb, okb := rank[b]
		switch {
		case oka && okb:
			return ra - rb
		case oka:
			return -1
		case okb:
			return 1
		}
		return 0
	})
}

// HandleText sets the handler for messages that are not commands.
func (r *Router) HandleText(h Handler) { r.set(&r.text, h) }

// HandleJoin sets the handler for members joining a chat.
func (r *Router) HandleJoin(h Handler) { r.set(&r.join, h) }

// HandleLeave sets the handler for members leaving a chat.
func (r *Router) HandleLeave(h Handler) { r.set(&r.leave, h) }

func (r *Router) set(slot *Handler, h Handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	*slot = h
}

// Commands returns the visible commands a member with role may run, in
// registration order or the one Order set, each with only the variants
// role may use.
func (r *Router) Commands(role Role) []Command {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []Command
	for _, c := range r.ordered {
		if c.Hidden || c.Role > role {
			continue
		}
		cmd := *c
		if len(cmd.Variants) > 0 {
			cmd.Variants = slices.DeleteFunc(slices.Clone(cmd.Variants), func(v Variant) bool { return v.Role > role })
		}
		out = append(out, cmd)
	}
	return out
}

// Help returns the command list for the event's role, in its locale: a
// line per command, then one per variant the role may use, marked with
// the role it needs.
func (r *Router) Help(ev *Event) string {
	lines := []string{ev.T("help.header")}
	for _, c := range r.Commands(ev.Role) {
		lines = append(lines, ev.T("help.line", c.UsageFor(ev), ev.T(c.Help)))
		for _, v := range c.Variants {
			lines = append(lines, ev.T("help.variant", c.VariantUsageFor(ev, v), ev.T(v.Help), ev.T("role."+v.Role.String())))
		}
	}
	return strings.Join(lines, "\n")
}

// Dispatch runs ev through the middleware to its handler and returns the
// replies. It never fails: errors become polite replies (and a log line
// when they are not the member's mistake).
func (r *Router) Dispatch(ctx context.Context, ev *Event) []Reply {
	ev.cat = r.cat
	if ev.Locale == "" {
		ev.Locale = LocaleFor(ev.LangCode)
		if ev.Locale == "" {
			ev.Locale = English
		}
	}
	var tokErr error
	if ev.Kind == EventMessage || ev.Kind == EventCallback {
		text := ev.Text
		if ev.Kind == EventCallback {
			text = ev.Callback
		}
		if name, bot, rest, ok := ParseCommand(text); ok {
			if bot != "" && ev.BotUsername != "" && !strings.EqualFold(bot, ev.BotUsername) {
				return nil // addressed to another bot in the group
			}
			ev.Command = name
			ev.Args, tokErr = Tokenize(rest)
			ev.rest = rest
		}
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	r.mu.RLock()
	chain := r.chain
	r.mu.RUnlock()
	if tokErr != nil {
		chain = HandlerFunc(func(context.Context, *Event) ([]Reply, error) {
			return nil, Errorf("error.bad_quotes", "/"+ev.Command+" ...")
		})
	}
	replies, err := chain.Handle(ctx, ev)
	if err != nil {
		return r.renderError(ctx, ev, err)
	}
	return replies
}

func (r *Router) route(ctx context.Context, ev *Event) ([]Reply, error) {
	r.mu.RLock()
	cmd := r.cmds[ev.Command]
	text, join, leave := r.text, r.join, r.leave
	r.mu.RUnlock()
	var h Handler
	switch {
	case ev.Command != "":
		if cmd == nil {
			return nil, Errorf("error.unknown_command", ev.Command)
		}
		ev.Command = cmd.Name // aliases run as the command they name
		if ev.Role < cmd.Role {
			return nil, Errorf("error.forbidden", cmd.Name, ev.T("role."+cmd.Role.String()))
		}
		if err := parseArgs(ctx, ev, cmd, ev.rest, r.mentions); err != nil {
			return nil, err
		}
		h = cmd.Handler
	case ev.Kind == EventJoin:
		h = join
	case ev.Kind == EventLeave:
		h = leave
	default:
		h = text
	}
	if h == nil {
		return nil, nil
	}
	return h.Handle(ctx, ev)
}

// loggedError is an internal error already logged under id.
type loggedError struct {
	id  string
	err error
}

func (e *loggedError) Error() string { return e.err.Error() }
func (e *loggedError) Unwrap() error { return e.err }

func (r *Router) renderError(ctx context.Context, ev *Event, err error) []Reply {
	var ue *UserError
	var le *loggedError
	var key string
	var args []any
	switch {
	case errors.As(err, &ue):
		key, args = ue.Key, ue.Args
		r.log.DebugContext(ctx, "user error", "platform", ev.Platform, "user", ev.UserID, "cmd", ev.Command, "err", err)
	case errors.As(err, &le):
		key, args = "error.internal", []any{le.id}
	case errors.Is(err, context.DeadlineExceeded):
		key = "error.timeout"
		r.log.WarnContext(ctx, "handler timed out", "platform", ev.Platform, "member", ev.Member, "cmd", ev.Command, "err", err)
	default:
		id := newErrorID()
		key, args = "error.internal", []any{id}
		r.log.ErrorContext(ctx, "handler failed", "platform", ev.Platform, "member", ev.Member, "cmd", ev.Command, "event_id", ev.ID, "err_id", id, "err", err)
	}
	return []Reply{{Text: ev.T(key, args...), ReplyTo: ev.MessageID}}
}

func newErrorID() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
