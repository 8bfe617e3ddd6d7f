package main

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/bots/console"
	"github.com/loyalbot/loyalbot/community"
	"github.com/loyalbot/loyalbot/loyalty"
)

const campaignChildEnv = "LOYALBOT_CAMPAIGN_CHILD"

// killConfig is the campaign TestCampaigns_Kill9 runs: three grants and
// three messages per member, waits between, no playbooks and no quiet
// hours.
const killConfig = `
playbooks: {welcome: false, expiry: false, tier: false, birthday: false, winback: false, winback-shop: false, csat: false, nps: false}
campaign_rules: {every: 20ms, quiet_hours: "", holdout_pct: 10, marketing_per_week: 2, sends_per_second: 100000}
campaigns:
  - id: flow
    kind: service
    trigger: {event: member_joined}
    steps:
      - grant: 10
      - message: {en: "one {{name}}", zh: "一 {{name}}"}
      - wait: 2s
      - grant: 5
      - message: {en: "two {{name}}", zh: "二 {{name}}"}
      - wait: 2s
      - grant: 1
      - message: {en: "three {{name}}", zh: "三 {{name}}"}
`

// TestCampaigns_Kill9 kills a loyalbot running campaigns for 1,000
// members with SIGKILL again and again mid-flow, then restarts it until
// every run is done, and counts by key: each grant is in the ledger once,
// and no message was delivered twice. A message being handed to the
// platform at the kill is not sent again (at most once); those are
// counted, and there is at most one per kill.
func TestCampaigns_Kill9(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	ctx := context.Background()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(killConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(cfgPath, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.DB = filepath.Join(dir, "loyalbot.db")
	app, err := OpenApp(ctx, cfg, "admin", slog.New(slog.DiscardHandler), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	const members = 1000
	nms := make([]community.NewMember, members)
	for i := range nms {
		nms[i] = community.NewMember{Platform: bots.Console, UserID: fmt.Sprintf("m%d", i+1), Name: fmt.Sprintf("m%d", i+1)}
	}
	ms, err := app.Members.CreateMany(ctx, nms)
	if err != nil {
		t.Fatal(err)
	}
	app.Close()

	sent := filepath.Join(dir, "sent.txt")
	logs := filepath.Join(dir, "child.log")
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 15))
	const kills = 10
	var progress []string
	for range kills {
		child := exec.Command(os.Args[0], "-test.run=^TestCampaignChild$", "-test.v=false")
		child.Env = append(os.Environ(), campaignChildEnv+"="+cfg.DB, "LOYALBOT_KILL_CONFIG="+cfgPath, "LOYALBOT_KILL_SENT="+sent, "LOYALBOT_KILL_LOG="+logs)
		if err := child.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(900+rng.IntN(1200)) * time.Millisecond)
		child.Process.Signal(syscall.SIGKILL)
		child.Wait()
		raw, _ := os.ReadFile(sent)
		progress = append(progress, strconv.Itoa(strings.Count(string(raw), "\n")))
	}
	t.Logf("messages delivered after each kill: %s", strings.Join(progress, ", "))

	// The last restart runs until nothing is due or queued.
	app, err = OpenApp(ctx, cfg, "admin", slog.New(slog.DiscardHandler), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	f, err := os.OpenFile(sent, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	app.Hub.Add(console.New(nil, f))
	for deadline := time.Now().Add(2 * time.Minute); ; {
		if err := app.runCampaigns(ctx, time.Now()); err != nil {
			t.Fatal(err)
		}
		_, due, _ := app.Lifecycle.Engine().NextDue(ctx)
		queued, _ := app.Lifecycle.Engine().Queued(ctx)
		if !due && queued == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("campaigns still running after two minutes: due %v, %d queued", due, queued)
		}
		time.Sleep(50 * time.Millisecond)
	}
	ss, err := app.Lifecycle.Engine().Report(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st := ss[0].Stats; st.Entered != members || st.Done != members {
		t.Fatalf("stats %+v, want %d entered and done", st, members)
	}

	// Grants: each key once, every member 15 points.
	dupGrants := 0
	for _, m := range ms {
		keys := map[string]int{}
		page, _, err := app.Ledger.History(ctx, loyalty.Member(m.ID), 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page {
			keys[e.Key]++
		}
		b, _ := app.Ledger.Balance(ctx, loyalty.Member(m.ID))
		for _, pc := range []string{"0", "3", "6"} {
			k := "campaign:flow:" + strconv.FormatUint(m.ID, 10) + ":" + pc
			if keys[k] != 1 {
				dupGrants++
				t.Errorf("member %d: grant %s in the ledger %d times", m.ID, k, keys[k])
			}
		}
		if b.Balance != 16 {
			t.Errorf("member %d has %d points, want 16", m.ID, b.Balance)
		}
	}
	// Messages: none twice; the missing ones were in flight at a kill.
	counts := map[string]int{}
	fr, err := os.Open(sent)
	if err != nil {
		t.Fatal(err)
	}
	defer fr.Close()
	sc := bufio.NewScanner(fr)
	for sc.Scan() {
		if _, text, ok := strings.Cut(sc.Text(), "privately) "); ok {
			counts[text]++
		}
	}
	dup, missing := 0, 0
	for _, m := range ms {
		for _, text := range []string{"one " + m.Name, "two " + m.Name, "three " + m.Name} {
			switch n := counts[text]; {
			case n > 1:
				dup++
				t.Errorf("%q delivered %d times", text, n)
			case n == 0:
				missing++
			}
		}
	}
	raw, _ := os.ReadFile(logs)
	inFlight := strings.Count(string(raw), "not sent again")
	t.Logf("%d kills, %d members: %d grants once each (%d duplicated), %d messages delivered once, %d duplicated, %d in flight at a kill and not sent again (%d logged)",
		kills, members, 3*members-dupGrants, dupGrants, len(counts)-dup, dup, missing, inFlight)
	if missing > kills || missing > inFlight {
		t.Errorf("%d messages missing, but %d kills and %d logged as in flight", missing, kills, inFlight)
	}
}

// TestCampaignChild is the process TestCampaigns_Kill9 kills: loyalbot's
// campaigns job in a loop, delivering to a console whose output is a file
// written through (O_SYNC), so what was delivered survives the kill.
func TestCampaignChild(t *testing.T) {
	db := os.Getenv(campaignChildEnv)
	if db == "" {
		t.Skip("run by TestCampaigns_Kill9")
	}
	ctx := context.Background()
	cfg, err := LoadConfig(os.Getenv("LOYALBOT_KILL_CONFIG"), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.DB = db
	lf, err := os.OpenFile(os.Getenv("LOYALBOT_KILL_LOG"), os.O_APPEND|os.O_CREATE|os.O_WRONLY|os.O_SYNC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	app, err := OpenApp(ctx, cfg, "admin", slog.New(slog.NewTextHandler(lf, nil)), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(os.Getenv("LOYALBOT_KILL_SENT"), os.O_APPEND|os.O_CREATE|os.O_WRONLY|os.O_SYNC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	app.Hub.Add(console.New(nil, f))
	for {
		if err := app.runCampaigns(ctx, time.Now()); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
