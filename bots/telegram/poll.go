package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"
)

// pollTimeout is the long-poll wait Telegram holds a getUpdates open for.
const pollTimeout = 25 * time.Second

// poll long-polls getUpdates and hands each update to a worker. Telegram
// forgets every update below the offset of a getUpdates call, so the
// offset only ever moves past updates whose handling finished — never past
// one still running: a crash loses nothing, Telegram redelivers what was
// not confirmed, and the event ids' idempotency keys absorb the repeats of
// updates handled but not yet confirmed. While updates are in flight,
// getUpdates returns them again at once; the loop skips them and waits
// for one to finish (at most a second) before asking again.
func (a *Adapter) poll(ctx context.Context, offset int64) error {
	jobs := make(chan *models.Update)
	var wg sync.WaitGroup
	for range pollWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for upd := range jobs {
				a.onUpdate(ctx, a.bot, upd)
				a.marks.done(upd.ID)
			}
		}()
	}
	defer func() {
		close(jobs)
		wg.Wait()
	}()
	dispatched := map[int64]bool{} // above the confirmed offset
	var backoff time.Duration
	for ctx.Err() == nil {
		safe := a.marks.floor()
		for id := range dispatched {
			if id <= safe {
				delete(dispatched, id)
			}
		}
		timeout := pollTimeout
		if len(dispatched) > 0 {
			timeout = 0 // those are still coming back: do not wait for new ones
		}
		updates, err := a.getUpdates(ctx, safe+1, timeout)
		if ctx.Err() != nil {
			return nil
		}
		var tooMany *retryAfterError
		switch {
		case errors.As(err, &tooMany):
			a.log.WarnContext(ctx, "telegram getUpdates rate limited; waiting", "retry_after", tooMany.seconds)
			if err := sleep(ctx, time.Duration(max(tooMany.seconds, 1))*time.Second); err != nil {
				return nil
			}
			continue
		case err != nil:
			backoff = min(max(2*backoff, 100*time.Millisecond), 5*time.Second)
			a.log.WarnContext(ctx, "telegram getUpdates failed; retrying", "in", backoff, "err", scrub(err, a.token))
			if err := sleep(ctx, backoff); err != nil {
				return nil
			}
			continue
		}
		backoff = 0
		fresh := 0
		for _, upd := range updates {
			if upd.ID <= safe || dispatched[upd.ID] {
				continue
			}
			dispatched[upd.ID] = true
			a.marks.start(upd.ID)
			fresh++
			select {
			case jobs <- upd:
			case <-ctx.Done():
				return nil // not handled and so not confirmed: Telegram keeps it
			}
		}
		if fresh == 0 && len(dispatched) > 0 {
			select {
			case <-a.marks.progress():
			case <-time.After(time.Second):
			case <-ctx.Done():
			}
		}
	}
	return nil
}

// retryAfterError is a 429 from getUpdates.
type retryAfterError struct{ seconds int }

func (e *retryAfterError) Error() string {
	return fmt.Sprintf("too many requests, retry after %d", e.seconds)
}

// getUpdates calls the Bot API's getUpdates, as multipart/form-data like
// every other call the client library makes.
func (a *Adapter) getUpdates(ctx context.Context, offset int64, timeout time.Duration) ([]*models.Update, error) {
	var body bytes.Buffer
	form := multipart.NewWriter(&body)
	allowed, _ := json.Marshal(allowedUpdates)
	for k, v := range map[string]string{"offset": strconv.FormatInt(offset, 10), "timeout": strconv.Itoa(int(timeout.Seconds())),
		"allowed_updates": string(allowed)} {
		if err := form.WriteField(k, v); err != nil {
			return nil, err
		}
	}
	if err := form.Close(); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.serverURL+"/bot"+a.token+"/getUpdates", &body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", form.FormDataContentType())
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out struct {
		OK          bool             `json:"ok"`
		Result      []*models.Update `json:"result"`
		ErrorCode   int              `json:"error_code"`
		Description string           `json:"description"`
		Parameters  struct {
			RetryAfter int `json:"retry_after"`
		} `json:"parameters"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("getUpdates: %s: %w", resp.Status, err)
	}
	switch {
	case out.OK:
		return out.Result, nil
	case out.ErrorCode == http.StatusTooManyRequests:
		return nil, &retryAfterError{seconds: out.Parameters.RetryAfter}
	}
	return nil, fmt.Errorf("getUpdates: %d %s", out.ErrorCode, out.Description)
}
