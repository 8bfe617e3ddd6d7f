// Package botstest helps test chat adapters and conversations: a
// recording dispatcher, a way to run an adapter for one test, and golden
// transcripts.
package botstest

import (
	"context"
	"os"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/bots"
)

// Recorder is a Dispatcher that records the events it dispatched and the
// replies they got. It embeds the router, so an adapter still finds its
// command list.
type Recorder struct {
	*bots.Router

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every record
	events  []Dispatched
}

// Dispatched is one recorded event and its replies.
type Dispatched struct {
	Event   bots.Event
	Replies []bots.Reply
}

// NewRecorder returns a Recorder dispatching through r.
func NewRecorder(r *bots.Router) *Recorder {
	return &Recorder{Router: r, changed: make(chan struct{})}
}

// Dispatch dispatches through the router and records the event once the
// router has answered.
func (c *Recorder) Dispatch(ctx context.Context, ev *bots.Event) []bots.Reply {
	replies := c.Router.Dispatch(ctx, ev)
	c.mu.Lock()
	c.events = append(c.events, Dispatched{Event: *ev, Replies: replies})
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
	return replies
}

// Count returns how many events were dispatched.
func (c *Recorder) Count() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return int64(len(c.events))
}

// Events returns the events dispatched so far, in order.
func (c *Recorder) Events() []Dispatched {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Dispatched(nil), c.events...)
}

// Wait returns the dispatched events once there are at least n. It fails
// the test if they do not come within ten seconds (a hung adapter, not a
// slow one: nothing here measures time).
func (c *Recorder) Wait(tb testing.TB, n int) []Dispatched {
	tb.Helper()
	timeout := time.After(10 * time.Second)
	for {
		c.mu.Lock()
		got, changed := len(c.events), c.changed
		c.mu.Unlock()
		if got >= n {
			return c.Events()
		}
		select {
		case <-changed:
		case <-timeout:
			tb.Fatalf("%d events dispatched, want %d", got, n)
		}
	}
}

// Run runs adapter a with dispatcher d until the test ends, or until the
// returned stop is called, and fails the test if Run returns an error.
func Run(tb testing.TB, a bots.Adapter, d bots.Dispatcher) (stop func()) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, d) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				tb.Errorf("%s adapter: Run: %v", a.Platform(), err)
			}
		})
	}
	tb.Cleanup(stop)
	return stop
}

// Masks hide what is random in a conversation: redemption codes, button
// nonces and link codes.
var masks = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\b[A-Z2-9]{4}-[A-Z2-9]{4}\b`), "XXXX-XXXX"},
	{regexp.MustCompile(`(/fulfil|/cancel) [A-Z2-9]{8}\b`), "$1 XXXXXXXX"},
	{regexp.MustCompile(`confirm [0-9a-f]{8}\b`), "confirm NONCE"},
}

// Normalize masks the random parts of a transcript.
func Normalize(s string) string {
	for _, m := range masks {
		s = m.re.ReplaceAllString(s, m.with)
	}
	return s
}

// Golden compares a transcript, normalized, with the golden file; with
// update set it first rewrites the file.
func Golden(tb testing.TB, path, got string, update bool) {
	tb.Helper()
	got = Normalize(got)
	if update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		tb.Errorf("transcript differs from %s (go test -update rewrites it)\n--- got ---\n%s", path, got)
	}
}
