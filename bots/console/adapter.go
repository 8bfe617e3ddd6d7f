// Package console is a terminal adapter: every loyalbot command works here
// with no tokens. It powers `loyalbot shell` and the end-to-end tests.
//
// Input lines are "name> text" (sent as console user name, who becomes the
// current user), or plain "text" (sent as the current user). A line that
// starts with "dm " is a private chat with the bot; otherwise the chat is
// the console's group. "!join [invite]" and "!leave" make the user join or
// leave the group. Each reply is printed starting with "bot> ".
package console

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/loyalbot/loyalbot/bots"
)

// GroupChat is the chat id of the console's group chat.
const GroupChat = "group"

// Adapter reads console lines and prints the bot's replies. It is safe for
// concurrent use: Send may run while Run is dispatching.
type Adapter struct {
	in   io.Reader
	out  io.Writer
	log  *slog.Logger
	now  func() time.Time
	echo bool
	user string
	run  string // distinguishes event ids across runs, so idempotency keys never collide

	mu  sync.Mutex // serialises output
	seq int

	directives map[string]Directive
}

// Directive handles a console line "!name args" that is not chat: the
// shell's "!clock +1d" moves time. It returns the text to print.
type Directive func(ctx context.Context, args string) string

// Option configures an Adapter.
type Option func(*Adapter)

// WithUser sets the user plain lines are sent as. The default is "admin".
func WithUser(name string) Option { return func(a *Adapter) { a.user = name } }

// WithLogger sets the adapter's logger. The default discards everything.
func WithLogger(l *slog.Logger) Option { return func(a *Adapter) { a.log = l } }

// WithClock sets the clock stamped on events. The default is time.Now.
func WithClock(now func() time.Time) Option { return func(a *Adapter) { a.now = now } }

// WithDirective makes lines starting with "!name" call fn instead of
// being sent to the bot.
func WithDirective(name string, fn Directive) Option {
	return func(a *Adapter) {
		if a.directives == nil {
			a.directives = map[string]Directive{}
		}
		a.directives["!"+name] = fn
	}
}

// WithEcho sets whether each input line is printed before its replies, as
// a transcript shows it. The default is true; a terminal already shows it.
func WithEcho(on bool) Option { return func(a *Adapter) { a.echo = on } }

// New returns an adapter reading lines from in and writing to out.
func New(in io.Reader, out io.Writer, opts ...Option) *Adapter {
	var b [3]byte
	_, _ = rand.Read(b[:])
	a := &Adapter{in: in, out: out, log: slog.New(slog.DiscardHandler), now: time.Now, echo: true, user: "admin", run: hex.EncodeToString(b[:])}
	for _, o := range opts {
		o(a)
	}
	return a
}

// Platform returns bots.Console.
func (a *Adapter) Platform() string { return bots.Console }

// MaxLine is the longest input line the console takes; a longer one is
// refused with a message and the shell goes on.
const MaxLine = 1 << 20

// Run dispatches each input line and prints its replies before reading the
// next. It returns nil at the end of input, or ctx's error.
func (a *Adapter) Run(ctx context.Context, d bots.Dispatcher) error {
	type line struct {
		text    string
		tooLong bool
	}
	lines := make(chan line)
	errc := make(chan error, 1)
	go func() {
		defer close(lines)
		br := bufio.NewReaderSize(a.in, 64*1024)
		for {
			text, tooLong, err := readLine(br, MaxLine)
			if err != nil {
				if !errors.Is(err, io.EOF) {
					errc <- err
				}
				return
			}
			select {
			case lines <- line{text, tooLong}:
			case <-ctx.Done():
				return
			}
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case l, ok := <-lines:
			if !ok {
				select {
				case err := <-errc:
					return err
				default:
					return nil
				}
			}
			if l.tooLong {
				a.notice(d, "console.too_long", MaxLine/1024)
				continue
			}
			a.Handle(ctx, d, l.text)
		}
	}
}

// readLine reads one line of at most limit bytes. A longer line is read to
// its end and discarded, with tooLong set. The last line may lack "\n".
func readLine(br *bufio.Reader, limit int) (line string, tooLong bool, err error) {
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(buf)+len(chunk) > limit {
			tooLong, buf = true, buf[:0]
		} else if !tooLong {
			buf = append(buf, chunk...)
		}
		switch {
		case err == nil:
			return strings.TrimSuffix(string(buf), "\n"), tooLong, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && (len(buf) > 0 || tooLong):
			return string(buf), tooLong, nil
		default:
			return "", false, err
		}
	}
}

// namePrefix matches "name> text"; speaker matches anything written in that
// place, so a name with characters names may not hold is refused rather
// than taken as the current user's text.
var (
	namePrefix = regexp.MustCompile(`^([\p{L}\p{N}_.-]{1,32})>\s?(.*)$`)
	speaker    = regexp.MustCompile(`^(\S{1,64})>(\s|$)`)
)

// notice prints a message about the console itself (not the bot's reply)
// through the dispatcher's catalogue, when it has one.
func (a *Adapter) notice(d bots.Dispatcher, key string, args ...any) {
	text := key
	if c, ok := d.(interface{ Catalog() *bots.Catalog }); ok {
		text = c.Catalog().Format(bots.English, key, args...)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	fmt.Fprintf(a.out, "console: %s\n", text)
}

// Handle dispatches one console line and prints its replies.
func (a *Adapter) Handle(ctx context.Context, d bots.Dispatcher, line string) {
	line = strings.TrimRight(line, "\r")
	if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
		return
	}
	if name, args, _ := strings.Cut(strings.TrimSpace(line), " "); a.directives[name] != nil {
		if a.echo {
			a.mu.Lock()
			fmt.Fprintln(a.out, strings.TrimSpace(line))
			a.mu.Unlock()
		}
		text := a.directives[name](ctx, strings.TrimSpace(args))
		a.mu.Lock()
		fmt.Fprintf(a.out, "console: %s\n", text)
		a.mu.Unlock()
		return
	}
	private := false
	if rest, ok := strings.CutPrefix(line, "dm "); ok {
		private, line = true, rest
	}
	m := namePrefix.FindStringSubmatch(line)
	if m == nil && speaker.MatchString(line) {
		a.notice(d, "console.bad_name")
		return
	}
	a.mu.Lock()
	if m != nil {
		a.user, line = m[1], m[2]
	}
	a.seq++
	user, seq := a.user, a.seq
	if a.echo {
		prefix := ""
		if private {
			prefix = "dm "
		}
		fmt.Fprintf(a.out, "%s%s> %s\n", prefix, user, line)
	}
	a.mu.Unlock()

	ev := &bots.Event{
		ID:          fmt.Sprintf("console:%s:%d", a.run, seq),
		Platform:    bots.Console,
		Kind:        bots.EventMessage,
		ChatID:      GroupChat,
		MessageID:   strconv.Itoa(seq),
		UserID:      user,
		Name:        user,
		Username:    user,
		Text:        line,
		BotUsername: "loyalbot",
		Time:        a.now(),
	}
	if private {
		ev.Chat, ev.ChatID, ev.Mentioned = bots.ChatPrivate, "dm:"+user, true
	}
	ev.Mentioned = ev.Mentioned || strings.Contains(strings.ToLower(line), "@loyalbot")
	switch fields := strings.Fields(line); {
	case len(fields) > 0 && fields[0] == "!join":
		ev.Kind, ev.Text = bots.EventJoin, ""
		if len(fields) > 1 {
			ev.Invite = fields[1]
		}
	case len(fields) > 0 && fields[0] == "!leave":
		ev.Kind, ev.Text = bots.EventLeave, ""
	}
	replies := d.Dispatch(ctx, ev)
	a.print(user, private, replies)
}

// User returns the current console user.
func (a *Adapter) User() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.user
}

// Send prints replies addressed outside the current conversation.
func (a *Adapter) Send(_ context.Context, to bots.Address, replies ...bots.Reply) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, r := range replies {
		target := "to " + to.ChatID
		if to.UserID != "" {
			target = "to " + to.UserID + ", privately"
		}
		a.writeReply("("+target+") ", r)
	}
	return nil
}

func (a *Adapter) print(user string, private bool, replies []bots.Reply) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, r := range replies {
		tag := ""
		if r.Private && !private {
			tag = "(to " + user + ", privately) "
		}
		a.writeReply(tag, r)
	}
}

// writeReply prints "bot> " and the text, continuation lines indented, then
// each button as the command it runs. The caller holds a.mu.
func (a *Adapter) writeReply(tag string, r bots.Reply) {
	lines := strings.Split(r.Text, "\n")
	fmt.Fprintf(a.out, "bot> %s%s\n", tag, lines[0])
	for _, l := range lines[1:] {
		fmt.Fprintln(a.out, strings.TrimRight("     "+l, " "))
	}
	for _, row := range r.Buttons {
		var cells []string
		for _, b := range row {
			cells = append(cells, "["+b.Label+": "+b.Data+"]")
		}
		fmt.Fprintf(a.out, "     %s\n", strings.Join(cells, " "))
	}
}

var _ bots.Adapter = (*Adapter)(nil)
