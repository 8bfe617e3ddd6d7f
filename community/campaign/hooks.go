package campaign

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/loyalbot/loyalbot/internal/outbox"
)

// Webhook is an outbound webhook: the domain events of the listed types
// (all when none) POSTed to URL, signed with Secret.
type Webhook struct {
	URL    string
	Secret string
	Events []string
}

// ID names the webhook in the store: a hash of its URL.
func (w Webhook) ID() string {
	sum := sha256.Sum256([]byte(w.URL))
	return hex.EncodeToString(sum[:6])
}

// HookState is what is stored of a webhook: how far it delivered, and its
// failures.
type HookState struct {
	Delivered    int       `json:"delivered"`
	Failures     int       `json:"failures,omitempty"`     // in a row
	FirstFailure time.Time `json:"first_failure,omitzero"` // of the current run of failures
	NextTry      time.Time `json:"next_try,omitzero"`
	LastError    string    `json:"last_error,omitempty"`
	Disabled     bool      `json:"disabled,omitempty"` // failing for a day: resumed with /webhooks resume
	Started      bool      `json:"started,omitempty"`  // its cursors were set to where the events stood when it was added
	// Sent are the events of the page being delivered that the endpoint
	// took before a failure: the retry does not POST them again.
	Sent []string `json:"sent,omitempty"`
}

// Hooks delivers the domain events to outbound webhooks. Each webhook
// reads the events in order from its own cursors and moves them only past
// what its endpoint acknowledged (2xx), recording each event taken, so
// each is POSTed once — again only when an answer is lost, which the
// event id lets the receiver recognise. A failure is retried with exponential backoff (from
// a minute to an hour); after a day of failures the webhook is disabled
// and the managers are told.
type Hooks struct {
	store  Store
	points Points
	hooks  []Webhook
	client *http.Client
	now    func() time.Time
	log    *slog.Logger
	alert  func(ctx context.Context, url, reason string)
}

// Retry bounds.
const (
	hookFirstRetry = time.Minute
	hookMaxRetry   = time.Hour
	hookGiveUp     = 24 * time.Hour
)

// NewHooks returns the deliverer of hooks over the engine's store and
// ledger. alert tells the managers a webhook was disabled.
func NewHooks(e *Engine, hooks []Webhook, client *http.Client, alert func(ctx context.Context, url, reason string)) *Hooks {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &Hooks{store: e.store, points: e.points, hooks: hooks, client: client, now: e.cfg.Now, log: e.cfg.Log, alert: alert}
}

// hookPayload is the JSON body of one delivery.
type hookPayload struct {
	EventID string            `json:"event_id"`
	Type    string            `json:"type"`
	Member  uint64            `json:"member"`
	At      time.Time         `json:"at"`
	Props   map[string]string `json:"properties,omitempty"`
}

// Tick delivers what each enabled webhook has not delivered yet, when its
// next try is due.
func (h *Hooks) Tick(ctx context.Context) error {
	for _, w := range h.hooks {
		if err := h.run(ctx, w); err != nil {
			return fmt.Errorf("webhook %s: %w", w.URL, err)
		}
	}
	return nil
}

func (h *Hooks) run(ctx context.Context, w Webhook) error {
	id := w.ID()
	ledger, ob := "hook:"+id+":ledger", "hook:"+id+":outbox"
	for {
		var st HookState
		if err := h.store.View(ctx, func(tx ReadTx) error {
			var err error
			st, err = tx.HookState(id)
			return err
		}); err != nil {
			return err
		}
		now := h.now()
		if st.Disabled || now.Before(st.NextTry) {
			return nil
		}
		if !st.Started { // a new webhook gets the events from now on, not the history
			if err := h.start(ctx, id, ledger, ob, st); err != nil {
				return err
			}
			continue
		}
		p, err := readFeed(ctx, h.store, h.points, ledger, ob)
		if err != nil || !p.moved {
			return err
		}
		sent := 0
		var failure error
		for _, ev := range p.events {
			if (len(w.Events) > 0 && !slices.Contains(w.Events, ev.Type)) || slices.Contains(st.Sent, ev.Key) {
				continue
			}
			if failure = h.post(ctx, w, ev, now); failure != nil {
				break
			}
			st.Sent = append(st.Sent, ev.Key)
			sent++
		}
		err = h.store.Update(ctx, func(tx Tx) error {
			st.Delivered += sent
			if failure == nil {
				st.Failures, st.FirstFailure, st.NextTry, st.LastError, st.Sent = 0, time.Time{}, time.Time{}, "", nil
				if err := tx.PutCursor(ledger, p.ledgerTo); err != nil {
					return err
				}
				if err := tx.PutCursor(ob, p.outboxTo); err != nil {
					return err
				}
				return tx.PutHookState(id, st)
			}
			// The page is tried again from its start, but for what it
			// delivered before the failure (st.Sent).
			if st.Failures == 0 {
				st.FirstFailure = now
			}
			st.Failures++
			st.LastError = failure.Error()
			st.NextTry = now.Add(min(hookFirstRetry<<min(st.Failures-1, 10), hookMaxRetry))
			st.Disabled = now.Sub(st.FirstFailure) >= hookGiveUp
			return tx.PutHookState(id, st)
		})
		if err != nil {
			return err
		}
		if failure != nil {
			h.log.WarnContext(ctx, "webhook delivery failed", "url", w.URL, "failures", st.Failures, "next_try", st.NextTry, "err", failure)
			if st.Disabled && h.alert != nil {
				h.alert(ctx, w.URL, failure.Error())
			}
			return nil
		}
		if !p.more {
			return nil
		}
	}
}

// post delivers one event: 2xx is success.
func (h *Hooks) post(ctx context.Context, w Webhook, ev outbox.Event, now time.Time) error {
	body, err := json.Marshal(hookPayload{EventID: ev.Key, Type: ev.Type, Member: ev.Member, At: ev.At, Props: ev.Props})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	ts := now.Unix()
	m := hmac.New(sha256.New, []byte(w.Secret))
	fmt.Fprintf(m, "%d.", ts)
	m.Write(body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Loyalbot-Event-Id", ev.Key)
	req.Header.Set("X-Loyalbot-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("X-Loyalbot-Signature", hex.EncodeToString(m.Sum(nil)))
	resp, err := h.client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("answered %s", resp.Status)
	}
	return nil
}

// Status returns each webhook's state, in config order.
func (h *Hooks) Status(ctx context.Context) ([]HookState, error) {
	out := make([]HookState, len(h.hooks))
	err := h.store.View(ctx, func(tx ReadTx) error {
		for i, w := range h.hooks {
			var err error
			if out[i], err = tx.HookState(w.ID()); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// URLs returns the webhooks' URLs, in config order.
func (h *Hooks) URLs() []string {
	out := make([]string, len(h.hooks))
	for i, w := range h.hooks {
		out[i] = w.URL
	}
	return out
}

// Resume enables webhook i (0-based) again and tries it at the next tick.
func (h *Hooks) Resume(ctx context.Context, i int) error {
	if i < 0 || i >= len(h.hooks) {
		return fmt.Errorf("webhook %d: %w", i+1, ErrUnknown)
	}
	id := h.hooks[i].ID()
	return h.store.Update(ctx, func(tx Tx) error {
		st, err := tx.HookState(id)
		if err != nil {
			return err
		}
		st.Disabled, st.Failures, st.FirstFailure, st.NextTry = false, 0, time.Time{}, time.Time{}
		return tx.PutHookState(id, st)
	})
}

// outboxKeep is how long handled events stay in the outbox.
const outboxKeep = 30 * 24 * time.Hour

// TrimOutbox deletes the outbox events that campaigns and every webhook
// have handled and that are older than 30 days, and returns how many.
// (Their keys stay: a redelivered inbound event is still recognised.)
func (h *Hooks) TrimOutbox(ctx context.Context, now time.Time) (int, error) {
	n := 0
	err := h.store.Update(ctx, func(tx Tx) error {
		upTo, err := tx.Cursor(cursorOutbox)
		if err != nil {
			return err
		}
		for _, w := range h.hooks {
			c, err := tx.Cursor("hook:" + w.ID() + ":outbox")
			if err != nil {
				return err
			}
			upTo = min(upTo, c)
		}
		n, err = tx.TrimEvents(upTo, now.Add(-outboxKeep))
		return err
	})
	return n, err
}

// start sets a new webhook's cursors to the newest ledger entry and
// outbox event: it is sent what happens from now on.
func (h *Hooks) start(ctx context.Context, id, ledger, ob string, st HookState) error {
	last, err := h.points.LastEntry(ctx)
	if err != nil {
		return err
	}
	return h.store.Update(ctx, func(tx Tx) error {
		var seq uint64
		if err := tx.Events(0, func(ev outbox.Event) error { seq = ev.Seq; return nil }); err != nil {
			return err
		}
		st.Started = true
		if err := tx.PutCursor(ledger, last); err != nil {
			return err
		}
		if err := tx.PutCursor(ob, seq); err != nil {
			return err
		}
		return tx.PutHookState(id, st)
	})
}
