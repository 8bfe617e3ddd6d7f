package campaign_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/community/campaign"
	"github.com/loyalbot/loyalbot/internal/outbox"
	"github.com/loyalbot/loyalbot/loyalty/bolt/bolttest"
)

// endpoint is a webhook receiver that checks signatures, fails the first
// fail calls with 500 and records the event ids it took.
type endpoint struct {
	mu     sync.Mutex
	secret string
	fail   int
	calls  int
	took   []string
	types  []string
	badSig int
}

func (e *endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls++
	m := hmac.New(sha256.New, []byte(e.secret))
	m.Write([]byte(r.Header.Get("X-Loyalbot-Timestamp") + "."))
	m.Write(body)
	if !hmac.Equal([]byte(hex.EncodeToString(m.Sum(nil))), []byte(r.Header.Get("X-Loyalbot-Signature"))) {
		e.badSig++
		http.Error(w, "bad signature", 401)
		return
	}
	if e.calls <= e.fail {
		http.Error(w, "down", 500)
		return
	}
	var p struct {
		EventID string `json:"event_id"`
		Type    string `json:"type"`
	}
	json.Unmarshal(body, &p)
	if p.EventID != r.Header.Get("X-Loyalbot-Event-Id") {
		http.Error(w, "event id header differs", 400)
		return
	}
	e.took, e.types = append(e.took, p.EventID), append(e.types, p.Type)
}

// Outbound webhooks: signed, retried with backoff after a 500 without
// POSTing again what was taken, filtered by type, and disabled with an
// alert after a day of failures.
func TestHooks_RetryDedupDisable(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	for id := uint64(1); id <= 3; id++ {
		w.add(id, true)
	}
	e := engine(t, bolttest.OpenDB(t), w, campaign.Config{})
	flaky := &endpoint{secret: "s1", fail: 2}
	down := &endpoint{secret: "s2", fail: 1 << 30}
	fs, ds := httptest.NewServer(flaky), httptest.NewServer(down)
	defer fs.Close()
	defer ds.Close()
	var alerts []string
	hooks := campaign.NewHooks(e, []campaign.Webhook{
		{URL: fs.URL, Secret: "s1", Events: []string{outbox.MemberJoined, outbox.CheckedIn}},
		{URL: ds.URL, Secret: "s2"},
	}, nil, func(_ context.Context, url, reason string) { alerts = append(alerts, url+": "+reason) })
	tick := func() {
		t.Helper()
		if err := hooks.Tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	w.checkIn(3) // before the webhooks were added: not sent
	tick()
	if flaky.calls != 0 {
		t.Fatalf("%d calls for what happened before the webhook was added", flaky.calls)
	}
	publish(t, e, w, 1, 2, 3)
	w.checkIn(2)
	if _, err := e.Publish(ctx, outbox.Event{Key: "inbound:x", Type: "cart_abandoned", Member: 1, At: w.clock()}); err != nil {
		t.Fatal(err)
	}
	tick() // the first call fails
	w.advance(30 * time.Second)
	tick() // before the next try: nothing
	if flaky.calls != 1 {
		t.Fatalf("%d calls, want 1 (the retry waits a minute)", flaky.calls)
	}
	w.advance(31 * time.Second)
	tick() // fails again; the next waits two minutes
	w.advance(2 * time.Minute)
	tick()
	want := []string{"joined:1", "joined:2", "joined:3"} // then member 2's check-in
	if len(flaky.took) != 4 || flaky.took[0] != want[0] || flaky.took[2] != want[2] || flaky.types[3] != outbox.CheckedIn || flaky.badSig != 0 {
		t.Fatalf("took %v (%v), %d bad signatures; want the joins and the check-in, in order, once", flaky.took, flaky.types, flaky.badSig)
	}
	if flaky.calls != 6 {
		t.Fatalf("%d calls, want 6: two failures and each of four events once", flaky.calls)
	}
	tick()
	if flaky.calls != 6 {
		t.Fatalf("%d calls after everything was taken, want 6", flaky.calls)
	}
	// The endpoint that is always down: backoff to an hour, off after a day.
	for range 40 {
		w.advance(time.Hour)
		tick()
	}
	st, err := hooks.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !st[1].Disabled || len(alerts) != 1 || st[0].Disabled || st[0].Delivered != 4 {
		t.Fatalf("status %+v, alerts %v; want the second disabled with one alert", st, alerts)
	}
	calls := down.calls
	w.advance(time.Hour)
	tick()
	if down.calls != calls {
		t.Fatal("a disabled webhook was called")
	}
	if err := hooks.Resume(ctx, 1); err != nil {
		t.Fatal(err)
	}
	tick()
	if down.calls != calls+1 {
		t.Fatalf("resumed webhook: %d calls, want %d", down.calls, calls+1)
	}
	t.Logf("flaky endpoint: %d calls for %d events; down endpoint: %d calls before it was switched off", flaky.calls, len(flaky.took), calls)
}

// Handled events older than 30 days leave the outbox; their keys stay, so
// a redelivered inbound event is still recognised. Events a webhook has
// not taken stay.
func TestHooks_TrimOutbox(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	w.add(1, true)
	e := engine(t, bolttest.OpenDB(t), w, campaign.Config{})
	down := &endpoint{secret: "s", fail: 1 << 30}
	ds := httptest.NewServer(down)
	defer ds.Close()
	ev := outbox.Event{Key: "inbound:e1", Type: "cart_abandoned", Member: 1, At: w.clock()}
	if _, err := e.Publish(ctx, ev); err != nil {
		t.Fatal(err)
	}
	tick(t, e, w) // campaigns handle it
	blocked := campaign.NewHooks(e, []campaign.Webhook{{URL: ds.URL, Secret: "s"}}, nil, nil)
	w.advance(31 * 24 * time.Hour)
	if n, err := blocked.TrimOutbox(ctx, w.clock()); err != nil || n != 0 {
		t.Fatalf("trimmed %d (%v) while a webhook had not taken it", n, err)
	}
	free := campaign.NewHooks(e, nil, nil, nil)
	if n, err := free.TrimOutbox(ctx, w.clock()); err != nil || n != 1 {
		t.Fatalf("trimmed %d (%v), want 1", n, err)
	}
	if added, err := e.Publish(ctx, ev); err != nil || added {
		t.Fatalf("redelivered after the trim: added %v (%v), want recognised", added, err)
	}
}
