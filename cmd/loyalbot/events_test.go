package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/bots/console"
	"github.com/loyalbot/loyalbot/community/campaign"
	"github.com/loyalbot/loyalbot/community/web"
	"github.com/loyalbot/loyalbot/loyalty/loyaltytest"
	"github.com/loyalbot/loyalbot/loyalty/orders"
)

// An abandoned cart posted by the shop to POST /webhooks/events becomes
// a reminder three hours later, naming the item; a redelivered event is
// recognised, a forged check-in or a bad signature is refused, and a
// customer no member linked is answered without storing anything.
func TestEventWebhook_CartReminder(t *testing.T) {
	ctx := context.Background()
	const secret = "events-secret"
	cfg := testConfig(t)
	cfg.OrdersSecret = secret
	cfg.Campaigns = []campaign.Definition{{ID: "cart", Kind: campaign.Marketing, HoldoutPct: new(int),
		Trigger: campaign.Trigger{Event: "cart_abandoned"}, Reentry: "1d",
		Steps: []campaign.Step{{Wait: campaign.Duration(3 * time.Hour)}, {If: &campaign.Condition{Happened: "order_paid"}, Then: []campaign.Step{{Exit: true}}},
			{Message: campaign.Text{"en": "🛒 {{name}}, your {{event.item}} is still in your cart."}}}}}
	clk := loyaltytest.NewClock(time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC))
	app, err := OpenApp(ctx, cfg, "admin", slog.New(slog.DiscardHandler), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	var out bytes.Buffer
	app.Hub.Add(console.New(nil, &out, console.WithClock(app.now)))
	for _, line := range []string{"/start", "/marketing on"} {
		app.Router.Dispatch(ctx, &bots.Event{ID: "console:" + line, Platform: bots.Console, ChatID: "dm-alice", UserID: "alice", Name: "alice", Text: line, Chat: bots.ChatPrivate})
	}
	alice, err := app.Members.LookupMention(ctx, bots.Console, "<@alice>")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Orders.Ingest(ctx, orders.Order{ID: "o1", Customer: "c1", Created: clk.Now(), Amount: 1000, Status: orders.Paid},
		orders.Contact{LinkCode: "K-1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Orders.Link(ctx, alice, "K-1"); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute) // the cart is abandoned after the order linked at join
	srv := web.New(app.Log, cfg.HTTPLimits, "token", app.ready)
	app.routes(srv)
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()

	post := func(body string, sign bool) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, hs.URL+"/webhooks/events", strings.NewReader(body))
		ts := clk.Now().Unix()
		req.Header.Set("X-Loyalbot-Timestamp", strconv.FormatInt(ts, 10))
		sig := web.Sign(secret, ts, []byte(body))
		if !sign {
			sig = web.Sign("wrong", ts, []byte(body))
		}
		req.Header.Set("X-Loyalbot-Signature", sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var got map[string]any
		_ = json.Unmarshal(raw, &got)
		return resp.StatusCode, got
	}
	at := clk.Now().Format(time.RFC3339)
	cart := `{"event_id":"e1","customer_id":"c1","type":"cart_abandoned","at":"` + at + `","properties":{"item":"Tie Guan Yin","value":59.9}}`
	for _, tc := range []struct {
		name, body string
		sign       bool
		code       int
		matched    any
		duplicate  any
	}{
		{"first delivery", cart, true, 200, true, false},
		{"redelivered", cart, true, 200, true, true},
		{"unlinked customer", `{"event_id":"e2","customer_id":"nobody","type":"cart_abandoned","at":"` + at + `"}`, true, 200, false, false},
		{"by platform account", `{"event_id":"e3","member":"console:alice","type":"product_viewed","at":"` + at + `"}`, true, 200, true, false},
		{"forged check-in", `{"event_id":"e4","customer_id":"c1","type":"checked_in","at":"` + at + `"}`, true, 422, nil, nil},
		{"bad signature", cart, false, 401, nil, nil},
		{"no type", `{"event_id":"e5","customer_id":"c1","at":"` + at + `"}`, true, 400, nil, nil},
		{"nested property", `{"event_id":"e6","customer_id":"c1","type":"x_y","at":"` + at + `","properties":{"a":{"b":1}}}`, true, 400, nil, nil},
		{"control character in the id", `{"event_id":"e\u0000","customer_id":"c1","type":"x_y","at":"` + at + `"}`, true, 400, nil, nil},
		{"empty property name", `{"event_id":"e7","customer_id":"c1","type":"x_y","at":"` + at + `","properties":{"":"v"}}`, true, 400, nil, nil},
		{"year 1", `{"event_id":"e8","customer_id":"c1","type":"x_y","at":"0001-01-01T00:00:00Z"}`, true, 422, nil, nil},
	} {
		code, got := post(tc.body, tc.sign)
		if code != tc.code || (tc.code == 200 && (got["matched"] != tc.matched || got["duplicate"] != tc.duplicate)) {
			t.Errorf("%s: %d %v, want %d matched=%v duplicate=%v", tc.name, code, got, tc.code, tc.matched, tc.duplicate)
		}
	}
	if err := app.runCampaigns(ctx, clk.Now()); err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Hour)
	if err := app.runCampaigns(ctx, clk.Now()); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "cart") {
		t.Fatalf("reminder before three hours:\n%s", out.String())
	}
	clk.Advance(90 * time.Minute)
	if err := app.runCampaigns(ctx, clk.Now()); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(out.String(), "🛒 alice, your Tie Guan Yin is still in your cart."); got != 1 {
		t.Fatalf("%d reminders, want 1:\n%s", got, out.String())
	}
}
