package telegram

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"github.com/loyalbot/loyalbot/bots"
	"golang.org/x/time/rate"
)

// reply sends the replies to an event: in the chat it came from, quoting
// the member's message in groups; privately when a reply asks for it. The
// first reply to a button press replaces the message that had the button.
func (a *Adapter) reply(ctx context.Context, ev *bots.Event, replies []bots.Reply) {
	chat, _ := strconv.ParseInt(ev.ChatID, 10, 64)
	for i, r := range replies {
		if r.Private && ev.Chat == bots.ChatGroup {
			user, _ := strconv.ParseInt(ev.UserID, 10, 64)
			err := a.send(ctx, user, r, 0)
			if errors.Is(err, tgbot.ErrorForbidden) { // the member never opened a private chat with the bot
				r = bots.Reply{Text: ev.T("error.dm_first", "https://t.me/"+a.botName()), ReplyTo: ev.MessageID}
				err = a.send(ctx, chat, r, replyTo(ev))
			}
			a.logSendError(ctx, user, err)
			continue
		}
		if i == 0 && ev.Kind == bots.EventCallback && ev.MessageID != "" {
			if err := a.edit(ctx, chat, ev.MessageID, r); err == nil {
				continue
			}
		}
		quote := 0
		if ev.Chat == bots.ChatGroup {
			quote = replyTo(ev)
		}
		a.logSendError(ctx, chat, a.send(ctx, chat, r, quote))
	}
}

func replyTo(ev *bots.Event) int {
	if ev.Kind != bots.EventMessage {
		return 0
	}
	id, _ := strconv.Atoi(ev.MessageID)
	return id
}

func (a *Adapter) logSendError(ctx context.Context, chat int64, err error) {
	if err != nil {
		a.log.ErrorContext(ctx, "telegram send failed", "chat", chat, "err", scrub(err, a.token))
	}
}

// Send delivers replies outside a conversation: to a chat, or privately to a user.
func (a *Adapter) Send(ctx context.Context, to bots.Address, replies ...bots.Reply) error {
	target := to.ChatID
	if to.UserID != "" {
		target = to.UserID
	}
	chat, err := strconv.ParseInt(target, 10, 64)
	if err != nil {
		return fmt.Errorf("telegram send: bad chat id %q", target)
	}
	var errs []error
	for _, r := range replies {
		errs = append(errs, a.send(ctx, chat, r, 0))
	}
	return errors.Join(errs...)
}

// send sends one reply as one or more messages: text over 4,096 characters
// is split on line breaks, and the buttons go under the last part.
func (a *Adapter) send(ctx context.Context, chat int64, r bots.Reply, quote int) error {
	markup, extra := keyboard(r)
	parts := split(renderText(r.Text+extra), maxMessage)
	for i, p := range parts {
		params := &tgbot.SendMessageParams{ChatID: chat, Text: p, ParseMode: models.ParseModeHTML,
			LinkPreviewOptions: &models.LinkPreviewOptions{IsDisabled: tgbot.True()}}
		if i == 0 && quote != 0 {
			params.ReplyParameters = &models.ReplyParameters{MessageID: quote, AllowSendingWithoutReply: true}
		}
		if i == len(parts)-1 && markup != nil {
			params.ReplyMarkup = markup
		}
		err := a.limited(ctx, chat, func() error {
			_, err := a.bot.SendMessage(ctx, params)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// edit replaces a message's text and buttons.
func (a *Adapter) edit(ctx context.Context, chat int64, messageID string, r bots.Reply) error {
	markup, extra := keyboard(r)
	text := renderText(r.Text + extra)
	id, err := strconv.Atoi(messageID)
	if err != nil || utf8.RuneCountInString(text) > maxMessage {
		return errors.New("not editable")
	}
	params := &tgbot.EditMessageTextParams{ChatID: chat, MessageID: id, Text: text, ParseMode: models.ParseModeHTML}
	if markup != nil {
		params.ReplyMarkup = markup
	}
	return a.limited(ctx, chat, func() error {
		_, err := a.bot.EditMessageText(ctx, params)
		return err
	})
}

// limited calls fn within the global and per-chat rate limits, waiting out
// a 429's retry_after and retrying network failures a few times.
func (a *Adapter) limited(ctx context.Context, chat int64, fn func() error) error {
	lim := a.chatLimiter(chat)
	var err error
	for attempt := range 5 {
		if err = lim.Wait(ctx); err != nil {
			return err
		}
		if err = a.global.Wait(ctx); err != nil {
			return err
		}
		err = fn()
		var tooMany *tgbot.TooManyRequestsError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &tooMany):
			wait := time.Duration(max(tooMany.RetryAfter, 1)) * time.Second
			a.log.WarnContext(ctx, "telegram rate limit hit; waiting", "chat", chat, "retry_after", tooMany.RetryAfter)
			if err := sleep(ctx, min(wait, time.Minute)); err != nil {
				return err
			}
		case errors.Is(err, tgbot.ErrorForbidden), errors.Is(err, tgbot.ErrorBadRequest), errors.Is(err, tgbot.ErrorUnauthorized):
			return err // retrying cannot help
		default:
			if err := sleep(ctx, time.Duration(attempt+1)*200*time.Millisecond); err != nil {
				return err
			}
		}
	}
	return err
}

// chatLimiter returns the chat's send limiter. An idle chat's limiter is
// forgotten (a new one starts full, which an idle chat's would be too).
func (a *Adapter) chatLimiter(chat int64) *rate.Limiter {
	return a.limiters.Update(chat, func(lim *rate.Limiter, found bool) *rate.Limiter {
		switch {
		case found:
			return lim
		case chat > 0: // user ids are positive, group ids negative
			return rate.NewLimiter(a.private, max(1, int(a.private)*3))
		}
		return rate.NewLimiter(a.group, a.groupBurst)
	})
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// watermark tracks which updates are finished, to confirm to Telegram (and
// save) an offset below which every update was handled. Updates run
// concurrently, so that is just below the oldest one still running.
type watermark struct {
	mu       sync.Mutex
	inflight map[int64]int
	maxDone  int64
	saved    int64
	changed  chan struct{} // closed and replaced when an update finishes
}

func (w *watermark) reset(offset int64) {
	w.mu.Lock()
	w.inflight, w.maxDone, w.saved, w.changed = map[int64]int{}, offset, offset, make(chan struct{})
	w.mu.Unlock()
}

func (w *watermark) start(id int64) {
	w.mu.Lock()
	if w.inflight == nil {
		w.inflight = map[int64]int{}
	}
	w.inflight[id]++
	w.mu.Unlock()
}

func (w *watermark) done(id int64) {
	w.mu.Lock()
	if w.inflight[id]--; w.inflight[id] <= 0 {
		delete(w.inflight, id)
	}
	w.maxDone = max(w.maxDone, id)
	if w.changed != nil {
		close(w.changed)
		w.changed = make(chan struct{})
	}
	w.mu.Unlock()
}

// progress returns a channel closed when the next update finishes.
func (w *watermark) progress() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.changed == nil {
		w.changed = make(chan struct{})
	}
	return w.changed
}

// floor returns the highest update id below which (and at which) every
// update is done.
func (w *watermark) floor() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.maxDone
	for id := range w.inflight {
		s = min(s, id-1)
	}
	return s
}

// safe returns floor, and whether it moved since the last call.
func (w *watermark) safe() (int64, bool) {
	s := w.floor()
	w.mu.Lock()
	defer w.mu.Unlock()
	if s <= w.saved {
		return w.saved, false
	}
	w.saved = s
	return s, true
}
