package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/loyalty/loyaltytest"
)

// TestUGC_QuotaDaysFollowTimezone: points.timezone used to reach check-ins
// only, so submission quotas counted UTC days. In Shanghai 00:30 is a new
// day for both.
func TestUGC_QuotaDaysFollowTimezone(t *testing.T) {
	cfg := testConfig(t)
	cfg.Points.Timezone = "Asia/Shanghai"
	cfg.Points.MembersMaySubmit = true
	cfg.UGC.DailyQuota = 1
	clk := loyaltytest.NewClock(time.Date(2026, 3, 10, 15, 30, 0, 0, time.UTC)) // 23:30 in Shanghai
	app, err := OpenApp(context.Background(), cfg, "admin", slog.New(slog.DiscardHandler), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	say := func(line string) string {
		var out bytes.Buffer
		if err := runShell(context.Background(), app, strings.NewReader(line+"\n"), &out, "admin"); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	if got := say("alice> /submit https://example.com/p/1"); !strings.Contains(got, "waiting for review") {
		t.Fatalf("first submission: %s", got)
	}
	clk.Advance(time.Hour) // 00:30 in Shanghai, still 16:30 on the UTC day
	if got := say("alice> /submit https://example.com/p/2"); !strings.Contains(got, "waiting for review") {
		t.Errorf("a new local day refused the submission: %s", got)
	}
	if got := say("alice> /submit https://example.com/p/3"); strings.Contains(got, "waiting for review") {
		t.Errorf("the quota of 1 a day let a second one through: %s", got)
	}
}
