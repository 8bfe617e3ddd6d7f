package main

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/bots/telegram"
	"github.com/loyalbot/loyalbot/bots/telegram/telegramtest"
	"github.com/loyalbot/loyalbot/community"
	"github.com/loyalbot/loyalbot/loyalty/loyaltytest"
)

// benchMembers is how many members the campaign benchmarks make
// (LOYALBOT_BENCH_MEMBERS, default 100,000 and 2,000 queued messages).
func benchMembers(b *testing.B, def int) int {
	if v, err := strconv.Atoi(os.Getenv("LOYALBOT_BENCH_MEMBERS")); err == nil && v > 0 {
		return v
	}
	return def
}

// campaignApp opens an app with only the campaign in yaml and n members
// on Telegram, their join events already read.
func campaignApp(b *testing.B, yaml string, n int, clk *loyaltytest.Clock) *App {
	b.Helper()
	ctx := context.Background()
	dir := b.TempDir()
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		b.Fatal(err)
	}
	cfg, err := LoadConfig(path, func(string) string { return "" })
	if err != nil {
		b.Fatal(err)
	}
	cfg.DB = filepath.Join(dir, "loyalbot.db")
	app, err := OpenApp(ctx, cfg, "admin", slog.New(slog.DiscardHandler), clk.Now)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { app.Close() })
	for from := 0; from < n; from += 10_000 {
		var nms []community.NewMember
		for i := from; i < min(n, from+10_000); i++ {
			nms = append(nms, community.NewMember{Platform: bots.Telegram, UserID: strconv.Itoa(1000 + i), Name: "Member " + strconv.Itoa(i)})
		}
		if _, err := app.Members.CreateMany(ctx, nms); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := app.Lifecycle.Tick(ctx, clk.Now()); err != nil { // the join events
		b.Fatal(err)
	}
	return app
}

const noPlaybooks = `playbooks: {welcome: false, expiry: false, tier: false, birthday: false, winback: false, winback-shop: false, csat: false, nps: false}
`

// BenchmarkCampaignInactivity measures evaluating an inactivity trigger
// over 100,000 members who all became inactive: the scan of the activity
// index and the entry of every member (its first step waits, so no step
// runs). A second evaluation, with nobody new, is the steady state.
func BenchmarkCampaignInactivity(b *testing.B) {
	n := benchMembers(b, 100_000)
	clk := loyaltytest.NewClock(time.Date(2027, 3, 1, 10, 0, 0, 0, time.UTC))
	app := campaignApp(b, noPlaybooks+`campaigns:
  - id: dormant
    kind: service
    trigger: {inactive_days: 30}
    steps:
      - wait: 3d
      - message: {en: "we miss you", zh: "想你了"}
`, n, clk)
	ctx := context.Background()
	clk.Advance(31 * 24 * time.Hour)
	b.ResetTimer()
	start := time.Now()
	rep, err := app.Lifecycle.Tick(ctx, clk.Now())
	first := time.Since(start)
	if err != nil || rep.Entered != n {
		b.Fatalf("entered %d of %d: %v", rep.Entered, n, err)
	}
	clk.Advance(time.Minute)
	start = time.Now()
	if _, err := app.Lifecycle.Tick(ctx, clk.Now()); err != nil {
		b.Fatal(err)
	}
	again := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(first.Milliseconds()), "ms/first-scan")
	b.ReportMetric(float64(again.Microseconds())/1000, "ms/next-scan")
	b.ReportMetric(float64(n), "members")
}

// BenchmarkCampaignDrain queues a message to each of LOYALBOT_BENCH_MEMBERS
// members (default 2,000) and sends them through the real Telegram
// adapter to a fake Bot API — at campaign_rules.sends_per_second (20),
// within the adapter's 30 a second — while members ask /points through the
// router and get the answer through the same adapter. It reports the send
// rate and the /points latencies, answered and answered-and-sent.
func BenchmarkCampaignDrain(b *testing.B) {
	n := benchMembers(b, 2_000)
	clk := loyaltytest.NewClock(time.Date(2027, 3, 1, 10, 0, 0, 0, time.UTC))
	app := campaignApp(b, noPlaybooks+`campaign_rules: {every: 1m, quiet_hours: "", holdout_pct: 10, marketing_per_week: 2}
campaigns:
  - id: blast
    kind: service
    trigger: {event: member_joined}
    steps:
      - message: {en: "Hello {{name}}, you have {{points}}.", zh: "{{name}}，你有 {{points}}。"}
`, 0, clk)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fake := telegramtest.New(b)
	tg, err := telegram.New(telegramtest.Token, telegram.WithServerURL(fake.URL), telegram.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		b.Fatal(err)
	}
	app.Hub.Add(tg)
	var nms []community.NewMember
	for i := range n {
		nms = append(nms, community.NewMember{Platform: bots.Telegram, UserID: strconv.Itoa(1000 + i), Name: "Member " + strconv.Itoa(i)})
	}
	ms, err := app.Members.CreateMany(ctx, nms)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if _, err := app.Lifecycle.Tick(ctx, clk.Now()); err != nil {
		b.Fatal(err)
	}
	queued, _ := app.Lifecycle.Engine().Queued(ctx)
	queueTime := time.Since(start)
	if queued != n {
		b.Fatalf("%d queued, want %d", queued, n)
	}
	b.ResetTimer()
	var wg sync.WaitGroup
	var lat, sentLat []time.Duration // answered; answered and sent to Telegram
	done := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		rng := rand.New(rand.NewPCG(1, 2))
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			m := ms[rng.IntN(len(ms))]
			t0 := time.Now()
			user := m.Identities[0].UserID
			replies := app.Router.Dispatch(ctx, &bots.Event{ID: fmt.Sprintf("tg:p%d", i), Platform: bots.Telegram, ChatID: user,
				Chat: bots.ChatPrivate, UserID: user, Name: m.Name, Text: "/points"})
			lat = append(lat, time.Since(t0))
			if err := tg.Send(ctx, bots.Address{ChatID: user, UserID: user}, replies...); err != nil {
				b.Error(err)
			}
			sentLat = append(sentLat, time.Since(t0))
			time.Sleep(20 * time.Millisecond)
		}
	}()
	sendStart := time.Now()
	if err := app.drainCampaigns(ctx); err != nil {
		b.Fatal(err)
	}
	sendTime := time.Since(sendStart)
	close(done)
	wg.Wait()
	b.StopTimer()
	if got := len(fake.CallsTo("sendMessage")); got < n {
		b.Fatalf("%d messages reached Telegram, want %d", got, n)
	}
	slices.Sort(lat)
	slices.Sort(sentLat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	qs := func(p float64) float64 { return float64(sentLat[int(p*float64(len(sentLat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(float64(queueTime.Milliseconds()), "ms/queue")
	b.ReportMetric(float64(n)/sendTime.Seconds(), "msgs/s")
	b.ReportMetric(q(0.5), "points-p50-ms")
	b.ReportMetric(q(0.99), "points-p99-ms")
	b.ReportMetric(qs(0.99), "points-sent-p99-ms")
	b.ReportMetric(float64(len(lat)), "points-asked")
}
