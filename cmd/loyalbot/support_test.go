package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/community"
	"github.com/loyalbot/loyalbot/community/support"
	"github.com/loyalbot/loyalbot/community/support/supporttest"
	"github.com/loyalbot/loyalbot/loyalty/loyaltytest"
)

// TestWatchFAQ: a changed FAQ file is picked up; a broken one is refused
// with its line while the previous knowledge base keeps serving.
func TestWatchFAQ(t *testing.T) {
	dir := t.TempDir()
	faq := filepath.Join(dir, "faq.yaml")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(faq, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		future := time.Now().Add(time.Duration(len(s)) * time.Second) // a new mtime even within one clock tick
		os.Chtimes(faq, future, future)
	}
	entry := func(id, q, a string) string {
		return "brand: T\nentries:\n  - id: " + id + "\n    questions: {en: [\"" + q + "\"]}\n    answer: {en: \"" + a + "\"}\n"
	}
	write(entry("hours", "When are you open?", "Nine to five."))
	cfg := testConfig(t)
	cfg.Support.FAQ = faq
	logs := &syncWriter{w: &bytes.Buffer{}}
	clk := loyaltytest.NewClock(testNow)
	app, err := OpenApp(context.Background(), cfg, "admin", slog.New(slog.NewTextHandler(logs, nil)), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	ctx := context.Background()
	app.Scheduler.RunDue(ctx)                                          // everything is due at start; nothing changed yet
	write("brand: T\nentries:\n  - id: x\n    questions: {en: [q]}\n") // no answer
	if ran := app.Scheduler.RunDue(ctx); len(ran) != 0 {
		t.Errorf("ran %v before the FAQ check was due", ran)
	}
	clk.Advance(faqCheck)
	if ran := app.Scheduler.RunDue(ctx); !slices.Contains(ran, "reload-faq") {
		t.Fatalf("ran %v, want reload-faq", ran)
	}
	if !strings.Contains(logs.String(), "FAQ not reloaded") || !strings.Contains(logs.String(), "line 3") || app.Assistant.KB().Entries[0].ID != "hours" {
		t.Errorf("bad file: KB %s, logs %s", app.Assistant.KB().Entries[0].ID, logs.String())
	}
	write(entry("shipping", "How long is shipping?", "Two days."))
	clk.Advance(faqCheck)
	app.Scheduler.RunDue(ctx)
	if id := app.Assistant.KB().Entries[0].ID; id != "shipping" {
		t.Errorf("after the reload the FAQ starts with %s", id)
	}
}

// TestFAQEval_Command: "loyalbot faq eval" reads a JSON Lines set, answers
// it with the FAQ named by --faq, and prints the counts; a bad line is an
// error naming it.
func TestFAQEval_Command(t *testing.T) {
	dir := t.TempDir()
	set := filepath.Join(dir, "set.jsonl")
	if err := os.WriteFile(set, []byte(`{"q": "How long does shipping take?", "lang": "en", "expect": "shipping-time"}
{"q": "qwzx vbnm", "lang": "en", "expect": null}
{"q": "zzzz yyyy", "lang": "en", "expect": "returns-policy"}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	root := newRootCmd(strings.NewReader(""), &out, io.Discard, func(string) string { return "" })
	root.SetArgs([]string{"faq", "eval", set, "--faq", "../../community/support/testdata/lumen-tea.yaml", "--db", filepath.Join(dir, "x.db")})
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "all  in scope   2: right   1  50.0%") || !strings.Contains(out.String(), "out of scope   1: declined   1 100.0%") ||
		!strings.Contains(out.String(), "declined although the FAQ answers them (expected):\n  [en] returns-policy: zzzz yyyy") {
		t.Errorf("faq eval printed:\n%s", out.String())
	}
	if err := os.WriteFile(set, []byte(`{"q": "How long does shipping take?", "lang": "en", "expect": "shiping-time"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	root = newRootCmd(strings.NewReader(""), io.Discard, io.Discard, func(string) string { return "" })
	root.SetArgs([]string{"faq", "eval", set, "--faq", "../../community/support/testdata/lumen-tea.yaml"})
	if err := root.ExecuteContext(context.Background()); err == nil || !strings.Contains(err.Error(), `the FAQ has no entry "shiping-time"`) {
		t.Errorf("a misspelt entry id: %v", err)
	}
	if err := os.WriteFile(set, []byte("{\"q\": \"x\", \"lang\": \"de\"}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	root = newRootCmd(strings.NewReader(""), io.Discard, io.Discard, func(string) string { return "" })
	root.SetArgs([]string{"faq", "eval", set, "--faq", "../../community/support/testdata/lumen-tea.yaml"})
	if err := root.ExecuteContext(context.Background()); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("a bad line: %v", err)
	}
}

// shellOn opens the app on cfg with clk (closed when t ends) and returns a
// function that runs a shell script as the console owner "admin" and
// returns the transcript.
func shellOn(t *testing.T, cfg Config, clk *loyaltytest.Clock) func(script string) string {
	t.Helper()
	app, err := OpenApp(context.Background(), cfg, "admin", slog.New(slog.DiscardHandler), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	return func(script string) string {
		t.Helper()
		var out bytes.Buffer
		if err := runShell(context.Background(), app, strings.NewReader(script), &out, "admin"); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
}

// TestOfficeHours_HumanSaysWhenToExpectAReply: with support.office_hours
// set, /human outside them tells the member when people are back, in the
// office hours' zone and the member's language; inside them it does not.
func TestOfficeHours_HumanSaysWhenToExpectAReply(t *testing.T) {
	cfg := testConfig(t)
	cfg.Support.OfficeHours, cfg.Support.Timezone = "Mon-Fri 09:00-18:00", "Asia/Shanghai"
	clk := loyaltytest.NewClock(time.Date(2026, 12, 5, 4, 0, 0, 0, time.UTC)) // Saturday noon in Shanghai
	run := shellOn(t, cfg, clk)
	got := run("alice> /start\ndm alice> /human my parcel never came\nbob> /start\ndm bob> /lang zh\ndm bob> /human 包裹没收到\n")
	for _, want := range []string{
		"Our team is offline now; expect a reply from 2026-12-07 09:00 (Asia/Shanghai).",
		"客服现在不在线，预计 2026-12-07 09:00（Asia/Shanghai）起回复你。",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("want %q in:\n%s", want, got)
		}
	}
	clk.Set(time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)) // Monday 10:00 in Shanghai
	if got := run("carol> /start\ndm carol> /human where is my refund\n"); !strings.Contains(got, "ticket #") || strings.Contains(got, "offline") {
		t.Errorf("inside office hours:\n%s", got)
	}
	cfg.Support.OfficeHours = "weekdays 9-5"
	if err := cfg.validate(); err == nil || !strings.Contains(err.Error(), "support.office_hours") {
		t.Errorf("a bad office_hours: %v", err)
	}
}

// TestTicketDigest_ManagersHearOncePerInterval: tickets opened are sent to
// managers privately in one digest when support.notify_every comes round,
// each ticket once.
func TestTicketDigest_ManagersHearOncePerInterval(t *testing.T) {
	cfg := testConfig(t)
	cfg.Support.NotifyEvery = 5 * time.Minute
	clk := loyaltytest.NewClock(time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC))
	run := shellOn(t, cfg, clk)
	run("admin> /start\n!clock +1m\n") // the scheduler's first round, at start: nothing new
	got := run("alice> /start\ndm alice> /human my parcel never came\nbob> /start\ndm bob> /human wrong tea in the box\n!clock +5m\n")
	if !strings.Contains(got, "New requests for a person (2):") || !strings.Contains(got, "#1 alice: my parcel never came") || !strings.Contains(got, "#2 bob: wrong tea in the box") {
		t.Errorf("no digest of the two tickets:\n%s", got)
	}
	if got := run("!clock +5m\n"); strings.Contains(got, "New requests") {
		t.Errorf("the same tickets again:\n%s", got)
	}
}

// TestLearnedFAQ_KeptAcrossRestartAndReload: an FAQ entry accepted from a
// ticket is answered after a restart and after the FAQ file is reloaded.
func TestLearnedFAQ_KeptAcrossRestartAndReload(t *testing.T) {
	dir := t.TempDir()
	faq := filepath.Join(dir, "faq.yaml")
	body := "brand: T\nentries:\n  - id: hours\n    questions: {en: [\"When are you open?\"]}\n    answer: {en: \"Nine to five.\"}\n"
	if err := os.WriteFile(faq, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t)
	cfg.Support.FAQ = faq
	ctx := context.Background()
	clk := loyaltytest.NewClock(testNow)
	open := func() *App {
		t.Helper()
		app, err := OpenApp(ctx, cfg, "admin", slog.New(slog.DiscardHandler), clk.Now)
		if err != nil {
			t.Fatal(err)
		}
		return app
	}
	const q = "can my dog come into the tea house with me"
	answer := func(app *App) string { return support.Offline(app.Assistant.KB(), q).Text }

	app := open()
	_, tickets := app.Community.Support()
	tk, _, err := tickets.Open(ctx, support.Ticket{Member: 1, Name: "Bob", Platform: bots.Console, UserID: "bob", Turns: []support.Turn{{From: "member", Text: q}}})
	if err != nil {
		t.Fatal(err)
	}
	owner := community.Actor{Member: 2, Role: bots.RoleOwner, Name: "admin"}
	admin := app.Community.Admin()
	if _, _, err := admin.ReplyTicket(ctx, owner, tk.ID, "Hi Bob, dogs on a lead are welcome.", "k1"); err != nil {
		t.Fatal(err)
	}
	cl, err := admin.CloseTicket(ctx, owner, tk.ID, "k2")
	if err != nil || cl.Suggestion == nil {
		t.Fatalf("close: %+v %v", cl, err)
	}
	if got := answer(app); got != "" {
		t.Fatalf("answered %q before the suggestion was accepted", got)
	}
	if _, err := admin.DecideFAQ(ctx, owner, cl.Suggestion.ID, true, "", "k3"); err != nil {
		t.Fatal(err)
	}
	if got := answer(app); got != "dogs on a lead are welcome." {
		t.Fatalf("after accepting: %q", got)
	}
	app.Close()

	// faq eval --learned measures the learned entries too (read-only, with serve stopped).
	set := filepath.Join(dir, "set.jsonl")
	os.WriteFile(set, []byte(`{"q": "`+q+`", "lang": "en", "expect": "learned-1"}`+"\n"), 0o600)
	conf := filepath.Join(dir, "loyalbot.yaml")
	os.WriteFile(conf, []byte("db: "+cfg.DB+"\n"), 0o600)
	if out, err := run(t, nil, "faq", "eval", set, "--config", conf, "--faq", faq, "--learned"); err != nil || !strings.Contains(out, "all  in scope   1: right   1 100.0%") {
		t.Errorf("faq eval --learned: %v\n%s", err, out)
	}
	if _, err := run(t, nil, "faq", "eval", set, "--config", conf, "--faq", faq); err == nil || !strings.Contains(err.Error(), `no entry "learned-1"`) {
		t.Errorf("faq eval without --learned: %v", err)
	}

	app = open()
	defer app.Close()
	if got := answer(app); got != "dogs on a lead are welcome." {
		t.Errorf("after a restart: %q", got)
	}
	if err := os.WriteFile(faq, []byte(strings.Replace(body, "Nine to five.", "Ten to six.", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	future := time.Now().Add(time.Hour)
	os.Chtimes(faq, future, future)
	clk.Advance(faqCheck)
	app.Scheduler.RunDue(ctx)
	kb := app.Assistant.KB()
	if got := support.Offline(kb, "When are you open?").Text; got != "Ten to six." {
		t.Errorf("the file was not reloaded: %q", got)
	}
	if got := answer(app); got != "dogs on a lead are welcome." {
		t.Errorf("after reloading the FAQ file: %q", got)
	}
}

// TestEmbeddings_ThroughChat: with support.embeddings_model set, serve's
// start indexes the FAQ through the endpoint, and a member's question in
// words the FAQ does not use is answered from the entry nearest in
// meaning; "loyalbot faq eval" measures the same path.
func TestEmbeddings_ThroughChat(t *testing.T) {
	f := supporttest.NewFakeEmbeddings(t)
	cfg := testConfig(t)
	cfg.Support.FAQ = "../../community/support/testdata/lumen-tea.yaml"
	cfg.Support.EmbeddingsModel, cfg.Support.EmbeddingsURL, cfg.Support.APIKey = supporttest.FakeEmbeddingsModel, f.URL, "test-key"
	cfg.Support.EmbeddingsThreshold = 0.8
	ctx := context.Background()
	app, err := OpenApp(ctx, cfg, "admin", slog.New(slog.DiscardHandler), loyaltytest.NewClock(testNow).Now)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	const q = "what perks come with each level"
	shell := func() string {
		t.Helper()
		var out bytes.Buffer
		if err := runShell(ctx, app, strings.NewReader("dm alice> "+q+"\n"), &out, "admin"); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	if got := shell(); !strings.Contains(got, "I'm not sure") {
		t.Fatalf("answered before the FAQ was embedded: %s", got)
	}
	app.Scheduler.RunDue(ctx) // everything is due at start
	if f.Embedded() == 0 {
		t.Fatal("start embedded nothing")
	}
	if got := shell(); !strings.Contains(got, "Leaf: standard 1× purchase points") {
		t.Errorf("with embeddings: %s", got)
	}

	dir := t.TempDir()
	conf, set := filepath.Join(dir, "loyalbot.yaml"), filepath.Join(dir, "set.jsonl")
	os.WriteFile(conf, []byte("support:\n  embeddings_model: "+supporttest.FakeEmbeddingsModel+"\n  embeddings_base_url: "+f.URL+"\n  embeddings_threshold: 0.8\n"), 0o600)
	os.WriteFile(set, []byte(`{"q": "`+q+`", "lang": "en", "expect": "tier-benefits"}`+"\n"), 0o600)
	out, err := run(t, map[string]string{"OPENAI_API_KEY": "test-key"}, "faq", "eval", set, "--config", conf, "--faq", cfg.Support.FAQ)
	if err != nil || !strings.Contains(out, "embeddings: fake-embed; the nearest entry is answered alone from cosine 0.800") || !strings.Contains(out, "right   1 100.0%") {
		t.Errorf("faq eval with embeddings: %v\n%s", err, out)
	}
}

// TestFAQ_QuotesTheConfiguration: the built-in FAQ's answers say what the
// configuration pays, and an FAQ file naming a setting that does not
// exist is refused with its line.
func TestFAQ_QuotesTheConfiguration(t *testing.T) {
	cfg := testConfig(t)
	cfg.Points.CheckinPoints = 25
	cfg.Loyalty.Tiers = cfg.Loyalty.Tiers[:2]
	ctx := context.Background()
	app, err := OpenApp(ctx, cfg, "admin", slog.New(slog.DiscardHandler), loyaltytest.NewClock(testNow).Now)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	kb := app.Assistant.KB()
	if got := support.Offline(kb, "How do I earn points?").Text; !strings.Contains(got, "/checkin (25 points, plus 50 for every 7 days in a row)") {
		t.Errorf("earning: %q", got)
	}
	if got := support.Offline(kb, "会员等级有哪些？").Text; !strings.Contains(got, "青叶（0）、新芽（1000），赚取积分分别为基础积分的 100%、110%。") {
		t.Errorf("tiers: %q", got)
	}
	for _, e := range kb.Entries {
		for _, a := range e.Answer {
			if strings.Contains(a, "{{") {
				t.Errorf("entry %s keeps a placeholder: %q", e.ID, a)
			}
		}
	}
	// A setting switched off is not quoted.
	cfg.Points.SignupBonus, cfg.Points.StreakBonus, cfg.Loyalty.ExpiryDays = 0, 0, -1
	cfg.DB = filepath.Join(t.TempDir(), "off.db")
	off, err := OpenApp(ctx, cfg, "admin", slog.New(slog.DiscardHandler), loyaltytest.NewClock(testNow).Now)
	if err != nil {
		t.Fatal(err)
	}
	defer off.Close()
	kb = off.Assistant.KB()
	if got := support.Offline(kb, "How do I earn points?").Text; !strings.HasPrefix(got, "You earn points by checking in every day with /checkin (25 points), chatting") {
		t.Errorf("earning with no signup or streak bonus: %q", got)
	}
	for q, want := range map[string]string{"Do points expire?": "Points never expire.", "积分会过期吗？": "积分永久有效。"} {
		if got := support.Offline(kb, q).Text; !strings.HasPrefix(got, want) {
			t.Errorf("%s with expiry off: %q", q, got)
		}
	}
	bad := filepath.Join(t.TempDir(), "faq.yaml")
	os.WriteFile(bad, []byte("brand: T\nentries:\n  - id: x\n    questions: {en: [q]}\n    answer:\n      en: \"You get {{points.chekin_points}}.\"\n"), 0o600)
	cfg.Support.FAQ = bad
	cfg.DB = filepath.Join(t.TempDir(), "other.db")
	if _, err := OpenApp(ctx, cfg, "admin", slog.New(slog.DiscardHandler), loyaltytest.NewClock(testNow).Now); err == nil ||
		!strings.Contains(err.Error(), "line 6") || !strings.Contains(err.Error(), "{{points.chekin_points}} names no setting (did you mean {{points.checkin_points}}?)") {
		t.Errorf("a misspelt setting: %v", err)
	}
}
