package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"math"
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

// `loyalbot experiment analyze --csv` through the command line: the JSON
// has the keys the README names, with the values SciPy computed
// (loyalty/insights/testdata/experiment), and bad input is refused with
// its line.
func TestCLI_ExperimentAnalyze(t *testing.T) {
	const data = "../../loyalty/insights/testdata/experiment/"
	out, err := run(t, nil, "experiment", "analyze", "--csv", data+"three-arm.csv", "--control", "control", "--weights", "control=40,bonus=30,copy=30", "--json")
	if err != nil {
		t.Fatal(err, out)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err, out)
	}
	raw, _ := os.ReadFile(data + "three-arm.expected.json")
	var want map[string]any
	json.Unmarshal(raw, &want)
	cs, wcs := got["comparisons"].([]any), want["comparisons"].([]any)
	for _, key := range []string{"variant", "lift", "ci_low", "ci_high", "p_value", "cuped_lift", "cuped_ci_low", "cuped_ci_high", "cuped_p_value"} {
		g, w := cs[0].(map[string]any)[key], wcs[0].(map[string]any)[key]
		if gf, ok := g.(float64); ok {
			if wf := w.(float64); math.Abs(gf-wf) > 1e-9 {
				t.Errorf("%s = %v, want %v", key, gf, wf)
			}
		} else if g != w {
			t.Errorf("%s = %v, want %v", key, g, w)
		}
	}
	for _, key := range []string{"srm_p", "srm_warning", "variants"} {
		if _, ok := got[key]; !ok {
			t.Errorf("no %s in %s", key, out)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("unit,variant,value\nu1,a,1\nu2,b,x\n"), 0o600)
	if out, err := run(t, nil, "experiment", "analyze", "--csv", bad); err == nil || !strings.Contains(out+err.Error(), `line 3: value "x" is not a number`) {
		t.Errorf("bad value: %q %v", out, err)
	}
}
