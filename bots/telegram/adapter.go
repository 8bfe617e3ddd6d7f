// Package telegram connects loyalbot to Telegram through go-telegram/bot:
// long polling or a webhook, commands and their menus in English and
// Chinese, inline keyboards, deep links, joins, group administrators as
// managers, and outgoing rate limits.
package telegram

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"github.com/loyalbot/loyalbot/bots"
	"golang.org/x/time/rate"
)

// Offsets persists the polling offset, so a restart neither loses nor
// (beyond what idempotency absorbs) replays updates.
type Offsets interface {
	LoadOffset(ctx context.Context) (int64, error)
	SaveOffset(ctx context.Context, updateID int64) error
}

// commandLister is what setMyCommands needs from the dispatcher; *bots.Router has it.
type commandLister interface {
	Commands(role bots.Role) []bots.Command
	Catalog() *bots.Catalog
}

// allowedUpdates are the update types loyalbot asks Telegram for.
var allowedUpdates = []string{"message", "callback_query", "chat_member", "my_chat_member"}

// Adapter is the Telegram adapter. It is safe for concurrent use.
type Adapter struct {
	token      string
	serverURL  string
	webhookURL string
	secret     string
	log        *slog.Logger
	offsets    Offsets
	client     *http.Client
	roleTTL    time.Duration
	global     *rate.Limiter
	private    rate.Limit
	group      rate.Limit
	groupBurst int

	bot *tgbot.Bot

	roles    *bots.Cache[string, bots.Role]    // chat:user → administrator or not, for roleTTL
	limiters *bots.Cache[int64, *rate.Limiter] // per-chat send limits, forgotten when idle
	joins    *bots.Cache[string, struct{}]     // recent joins, as Telegram reports one join twice
	marks    watermark

	mu       sync.Mutex
	name     string // the bot's username, from getMe
	d        bots.Dispatcher
	inflight sync.WaitGroup
}

// Bounds of the adapter's per-chat and per-user state.
const (
	maxCached   = 10_000           // roles, limiters and joins each remember at most this many
	limiterIdle = 10 * time.Minute // a chat's send limiter is forgotten after this long unused
	pollWorkers = 16               // updates handled at once
)

// Option configures an Adapter.
type Option func(*Adapter)

// WithServerURL points the adapter at another Bot API server: a
// self-hosted telegram-bot-api, or a test fake.
func WithServerURL(u string) Option { return func(a *Adapter) { a.serverURL = u } }

// WithWebhook receives updates on a webhook at url instead of long polling.
// secret is the X-Telegram-Bot-Api-Secret-Token Telegram must send; empty
// generates one per start.
func WithWebhook(url, secret string) Option {
	return func(a *Adapter) { a.webhookURL, a.secret = url, secret }
}

// WithLogger sets the adapter's logger. The default discards everything.
func WithLogger(l *slog.Logger) Option { return func(a *Adapter) { a.log = l } }

// WithOffsets persists the polling offset.
func WithOffsets(o Offsets) Option { return func(a *Adapter) { a.offsets = o } }

// WithHTTPClient sets the HTTP client for Bot API calls.
func WithHTTPClient(c *http.Client) Option { return func(a *Adapter) { a.client = c } }

// WithRateLimits sets the outgoing limits: messages per second overall, per
// private chat and per group (Telegram's guidance is about 30, 1 and 1/3).
func WithRateLimits(global, private, group rate.Limit) Option {
	return func(a *Adapter) {
		a.global = rate.NewLimiter(global, max(1, int(global)))
		a.private, a.group = private, group
	}
}

// New returns an adapter for the bot with token. It does no network I/O;
// Run does. It returns an error for an empty token.
func New(token string, opts ...Option) (*Adapter, error) {
	if token == "" {
		return nil, errors.New("telegram: empty bot token")
	}
	a := &Adapter{
		token:      token,
		serverURL:  "https://api.telegram.org",
		log:        slog.New(slog.DiscardHandler),
		client:     &http.Client{Timeout: 70 * time.Second},
		roleTTL:    5 * time.Minute,
		global:     rate.NewLimiter(30, 30),
		private:    1,
		group:      rate.Every(3 * time.Second),
		groupBurst: 5,
	}
	for _, o := range opts {
		o(a)
	}
	a.roles = bots.NewCache[string, bots.Role](maxCached, a.roleTTL, nil)
	a.limiters = bots.NewCache[int64, *rate.Limiter](maxCached, limiterIdle, nil)
	a.joins = bots.NewCache[string, struct{}](maxCached, time.Minute, nil)
	a.log = a.log.With("component", "telegram")
	if a.webhookURL != "" && a.secret == "" {
		var b [24]byte
		_, _ = rand.Read(b[:])
		a.secret = hex.EncodeToString(b[:])
	}
	var err error
	a.bot, err = tgbot.New(token,
		tgbot.WithSkipGetMe(),
		tgbot.WithServerURL(a.serverURL),
		tgbot.WithHTTPClient(time.Minute, a.client),
		tgbot.WithDefaultHandler(a.onUpdate),
		tgbot.WithNotAsyncHandlers(),
		tgbot.WithAllowedUpdates(allowedUpdates),
		tgbot.WithErrorsHandler(func(err error) { a.log.Warn("bot api", "err", scrub(err, token)) }),
	)
	if err != nil {
		return nil, fmt.Errorf("telegram: %w", err)
	}
	return a, nil
}

// Platform returns bots.Telegram.
func (a *Adapter) Platform() string { return bots.Telegram }

func (a *Adapter) botName() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.name
}

// Run connects to Telegram and dispatches updates until ctx ends, then
// waits for in-flight updates and their replies and returns. In polling
// mode the offset is saved as updates finish; in webhook mode updates
// arrive through WebhookHandler.
func (a *Adapter) Run(ctx context.Context, d bots.Dispatcher) error {
	err := a.run(ctx, d)
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return nil // stopped while starting: a shutdown, not a failure
	}
	return err
}

func (a *Adapter) run(ctx context.Context, d bots.Dispatcher) error {
	me, err := a.bot.GetMe(ctx)
	if err != nil {
		return fmt.Errorf("telegram getMe (is TELEGRAM_BOT_TOKEN right?): %w", scrub(err, a.token))
	}
	a.mu.Lock()
	a.name, a.d = me.Username, d
	a.mu.Unlock()
	a.log.Info("telegram connected", "bot", me.Username)
	if cl, ok := d.(commandLister); ok {
		if err := a.setCommands(ctx, cl); err != nil {
			a.log.Warn("setMyCommands failed; the command menu may be stale", "err", scrub(err, a.token))
		}
	}
	if a.webhookURL != "" {
		_, err := a.bot.SetWebhook(ctx, &tgbot.SetWebhookParams{URL: a.webhookURL, SecretToken: a.secret, AllowedUpdates: allowedUpdates})
		if err != nil {
			return fmt.Errorf("telegram setWebhook: %w", scrub(err, a.token))
		}
		a.log.Info("telegram webhook set", "url", a.webhookURL)
		<-ctx.Done()
		a.inflight.Wait()
		return nil
	}
	if _, err := a.bot.DeleteWebhook(ctx, &tgbot.DeleteWebhookParams{}); err != nil {
		return fmt.Errorf("telegram deleteWebhook: %w", scrub(err, a.token))
	}
	var offset int64
	if a.offsets != nil {
		if offset, err = a.offsets.LoadOffset(ctx); err != nil {
			return fmt.Errorf("telegram offset: %w", err)
		}
	}
	a.marks.reset(offset)
	stop := make(chan struct{})
	saved := make(chan struct{})
	go func() { // persist the offset every second, and once more at the end
		defer close(saved)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				a.saveOffset()
			case <-stop:
				a.saveOffset()
				return
			}
		}
	}()
	a.log.Info("telegram polling", "offset", offset)
	err = a.poll(ctx, offset)
	a.inflight.Wait()
	close(stop)
	<-saved
	return err
}

func (a *Adapter) saveOffset() {
	if a.offsets == nil {
		return
	}
	if id, changed := a.marks.safe(); changed {
		if err := a.offsets.SaveOffset(context.Background(), id); err != nil {
			a.log.Error("save telegram offset", "update_id", id, "err", err)
		}
	}
}

// WebhookHandler serves Telegram's webhook calls: a request without the
// right secret token gets 401, a malformed body 400. The update is handled
// before the answer, so Telegram redelivers it if loyalbot dies mid-way.
func (a *Adapter) WebhookHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := r.Header.Get("X-Telegram-Bot-Api-Secret-Token")
		if subtle.ConstantTimeCompare([]byte(got), []byte(a.secret)) != 1 {
			a.log.Warn("webhook call with a wrong secret token", "remote", r.RemoteAddr)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		a.mu.Lock()
		ready := a.d != nil
		a.mu.Unlock()
		if !ready { // a webhook left from an earlier run: Telegram retries later
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		var upd models.Update
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&upd); err != nil {
			a.log.Warn("webhook body is not an update", "err", err)
			http.Error(w, "bad update: "+err.Error(), http.StatusBadRequest)
			return
		}
		a.onUpdate(r.Context(), a.bot, &upd)
		w.WriteHeader(http.StatusOK)
	})
}

// DeepLink returns https://t.me/<bot>?start=<payload>, or "" before Run
// has learned the bot's name.
func (a *Adapter) DeepLink(payload string) string {
	if name := a.botName(); name != "" {
		return "https://t.me/" + name + "?start=" + url.QueryEscape(payload)
	}
	return ""
}

// WebhookPath returns the URL path the webhook is served on, "" in polling mode.
func (a *Adapter) WebhookPath() string {
	if a.webhookURL == "" {
		return ""
	}
	u, err := url.Parse(a.webhookURL)
	if err != nil || u.Path == "" {
		return "/"
	}
	return u.Path
}

// onUpdate handles one update: it turns it into events, dispatches them and
// sends the replies. Replies are sent even when ctx ends meanwhile, so
// shutting down drains what is in flight.
func (a *Adapter) onUpdate(ctx context.Context, _ *tgbot.Bot, upd *models.Update) {
	a.inflight.Add(1)
	defer a.inflight.Done()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	a.mu.Lock()
	d := a.d
	a.mu.Unlock()
	if d == nil {
		a.log.Warn("update before Run", "update_id", upd.ID)
		return
	}
	if upd.CallbackQuery != nil { // always answered, so the button stops spinning
		if _, err := a.bot.AnswerCallbackQuery(ctx, &tgbot.AnswerCallbackQueryParams{CallbackQueryID: upd.CallbackQuery.ID}); err != nil {
			a.log.Warn("answerCallbackQuery", "err", scrub(err, a.token))
		}
	}
	if m := upd.MyChatMember; m != nil {
		a.log.InfoContext(ctx, "bot membership changed", "chat", m.Chat.ID, "title", m.Chat.Title, "status", m.NewChatMember.Type)
	}
	evs := a.events(upd)
	if len(evs) == 0 {
		a.log.Debug("update skipped", "update_id", upd.ID)
		return
	}
	for _, ev := range evs {
		if (ev.Kind == bots.EventJoin || ev.Kind == bots.EventLeave) && a.seenJoin(ev) {
			continue
		}
		if ev.Chat == bots.ChatGroup && (ev.Kind == bots.EventCallback || len(ev.Text) > 1 && ev.Text[0] == '/') {
			ev.PlatformRole = a.platformRole(ctx, ev)
		}
		replies := d.Dispatch(ctx, ev)
		a.reply(ctx, ev, replies)
	}
}

// seenJoin reports whether this join (or leave) was already handled: a
// link join arrives both as chat_member and as a new_chat_members message.
func (a *Adapter) seenJoin(ev *bots.Event) bool {
	key := strconv.Itoa(int(ev.Kind)) + ":" + ev.ChatID + ":" + ev.UserID
	seen := true
	a.joins.Update(key, func(_ struct{}, found bool) struct{} {
		seen = found
		return struct{}{}
	})
	return seen
}

// platformRole asks Telegram whether the sender administers the group,
// caching the answer for a few minutes.
func (a *Adapter) platformRole(ctx context.Context, ev *bots.Event) bots.Role {
	key := ev.ChatID + ":" + ev.UserID
	if role, ok := a.roles.Get(key); ok {
		return role
	}
	chat, _ := strconv.ParseInt(ev.ChatID, 10, 64)
	user, _ := strconv.ParseInt(ev.UserID, 10, 64)
	cm, err := a.bot.GetChatMember(ctx, &tgbot.GetChatMemberParams{ChatID: chat, UserID: user})
	if err != nil {
		a.log.Warn("getChatMember", "chat", ev.ChatID, "user", ev.UserID, "err", scrub(err, a.token))
		return bots.RoleNone
	}
	role := roleOf(cm)
	a.roles.Put(key, role)
	return role
}

// setCommands publishes the command menu: member commands for private
// chats and groups, in English and (language_code zh) Chinese.
func (a *Adapter) setCommands(ctx context.Context, cl commandLister) error {
	cmds := cl.Commands(bots.RoleMember)
	for _, scope := range []models.BotCommandScope{&models.BotCommandScopeAllPrivateChats{}, &models.BotCommandScopeAllGroupChats{}} {
		for _, loc := range bots.Locales() {
			var list []models.BotCommand
			for _, c := range cmds {
				desc := cl.Catalog().Format(loc, c.Help)
				if len([]rune(desc)) > 256 {
					desc = string([]rune(desc)[:256])
				}
				list = append(list, models.BotCommand{Command: c.Name, Description: desc})
			}
			params := &tgbot.SetMyCommandsParams{Commands: list, Scope: scope}
			if loc != bots.English {
				params.LanguageCode = loc
			}
			if _, err := a.bot.SetMyCommands(ctx, params); err != nil {
				return err
			}
		}
	}
	_, err := a.bot.SetChatMenuButton(ctx, &tgbot.SetChatMenuButtonParams{MenuButton: models.MenuButtonCommands{Type: models.MenuButtonTypeCommands}})
	return err
}

// scrub removes the token from an error's text.
func scrub(err error, token string) error {
	if err == nil {
		return nil
	}
	return scrubbed{err: err, token: token}
}

type scrubbed struct {
	err   error
	token string
}

func (s scrubbed) Error() string { return strings.ReplaceAll(s.err.Error(), s.token, "***") }

func (s scrubbed) Unwrap() error { return s.err }

var (
	_ bots.Adapter    = (*Adapter)(nil)
	_ bots.DeepLinker = (*Adapter)(nil)
)
