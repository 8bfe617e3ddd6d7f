package main

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/loyalty"
	"github.com/loyalbot/loyalbot/loyalty/loyaltytest"
)

// A campaign config that would mislead members is refused at load, with
// the campaign and the step named.
func TestConfig_RefusesBadCampaigns(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"English only", `campaigns: [{id: a, kind: service, trigger: {event: x}, steps: [{message: {en: "hi"}}]}]`, "campaign a: step 1 message needs en and zh texts"},
		{"unknown reward", `campaigns: [{id: b, kind: marketing, trigger: {event: x}, steps: [{offer: {reward: nope, free: true}}]}]`, `reward "nope"`},
		{"holdout on a service", `campaigns: [{id: c, kind: service, holdout_pct: 10, trigger: {event: x}, steps: [{exit: true}]}]`, "only marketing campaigns"},
		{"unknown playbook", `playbooks: {wellcome: false}`, "playbooks.wellcome: no such playbook"},
		{"bad quiet hours", `campaign_rules: {quiet_hours: "late"}`, "campaign_rules.quiet_hours"},
		{"misspelt variable", `campaigns: [{id: d, kind: service, trigger: {event: x}, steps: [{message: {en: "{{nmae}}", zh: "{{nmae}}"}}]}]`, "unknown variable {{nmae}}"},
		{"webhook without secret", `webhooks: [{url: "https://x.example/h", secret_env: NOT_SET}]`, "secret_env"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.yaml")
			if err := os.WriteFile(path, []byte(tc.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadConfig(path, func(string) string { return "" })
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("LoadConfig: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// dmApp opens an app on a test clock at start, and returns how a console
// user speaks to it privately (the replies' texts) and reads a balance.
func dmApp(t *testing.T, start time.Time) (app *App, clk *loyaltytest.Clock, say func(user, text string) string, balance func(user string) int64) {
	t.Helper()
	ctx := context.Background()
	clk = loyaltytest.NewClock(start)
	app, err := OpenApp(ctx, testConfig(t), "admin", slog.New(slog.DiscardHandler), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	say = func(user, text string) string {
		var b strings.Builder
		for _, r := range app.Router.Dispatch(ctx, &bots.Event{ID: "console:" + user + text + clk.Now().String(), Platform: bots.Console,
			ChatID: "dm-" + user, Chat: bots.ChatPrivate, UserID: user, Name: user, Text: text}) {
			b.WriteString(r.Text + "\n")
		}
		return b.String()
	}
	balance = func(user string) int64 {
		id, err := app.Members.LookupMention(ctx, bots.Console, "<@"+user+">")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := app.Ledger.Balance(ctx, loyalty.Member(id))
		return b.Balance
	}
	return app, clk, say, balance
}

// TestLink_OneBirthdayGift: two accounts of one person each got this
// year's birthday gift; linking them kept both.
func TestLink_OneBirthdayGift(t *testing.T) {
	ctx := context.Background()
	app, clk, say, balance := dmApp(t, time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	for _, u := range []string{"ann", "ann2"} {
		say(u, "/start")
		say(u, "/birthday 12-20")
	}
	clk.Advance(24 * time.Hour)
	if err := app.runCampaigns(ctx, clk.Now()); err != nil {
		t.Fatal(err)
	}
	if a, b := balance("ann"), balance("ann2"); a != 300 || b != 300 {
		t.Fatalf("before linking: %d and %d, want 300 each (100 signup + 200 birthday)", a, b)
	}
	code := regexp.MustCompile(`code is ([A-Z2-9]{6})`).FindStringSubmatch(say("ann", "/link"))
	if code == nil || !strings.Contains(say("ann2", "/link "+code[1]), "Linked!") {
		t.Fatal("link failed")
	}
	if got := balance("ann"); got != 300 {
		t.Fatalf("after linking: %d, want 300 (one signup bonus, one birthday gift)", got)
	}
}

// TestBirthday_NotAgainAfterErasing: erasing and rejoining paid this
// year's birthday gift a second time.
func TestBirthday_NotAgainAfterErasing(t *testing.T) {
	ctx := context.Background()
	app, clk, say, balance := dmApp(t, time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	tick := func() {
		clk.Advance(24 * time.Hour)
		if err := app.runCampaigns(ctx, clk.Now()); err != nil {
			t.Fatal(err)
		}
	}
	say("ann", "/start")
	say("ann", "/birthday 12-20")
	tick()
	if got := balance("ann"); got != 300 {
		t.Fatalf("first gift: %d, want 300", got)
	}
	say("ann", "/erase")
	say("ann", "/erase confirm")
	say("ann", "/start")
	say("ann", "/birthday 12-20")
	before := balance("ann")
	tick()
	if got := balance("ann"); got != before {
		t.Fatalf("after erasing and rejoining: %d, want %d (no second gift this year)", got, before)
	}
}
