package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/bots/botstest"
	"github.com/loyalbot/loyalbot/loyalty"
	"github.com/loyalbot/loyalbot/loyalty/loyaltytest"
	bolt "go.etcd.io/bbolt"
)

var update = flag.Bool("update", false, "rewrite testdata/transcripts/*.golden")

var testNow = time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC)

func testConfig(t testing.TB) Config {
	t.Helper()
	cfg, err := LoadConfig("", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.DB = filepath.Join(t.TempDir(), "loyalbot.db")
	return cfg
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// TestShell_Transcripts drives whole conversations through the real
// wiring and the console adapter, compares the output with a golden file
// and checks final balances ("#= name points" lines) in the ledger.
func TestShell_Transcripts(t *testing.T) {
	files, _ := filepath.Glob("testdata/transcripts/*.txt")
	if len(files) == 0 {
		t.Fatal("no transcripts")
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".txt")
		t.Run(name, func(t *testing.T) {
			script, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			cfg := testConfig(t)
			if extra := strings.TrimSuffix(file, ".txt") + ".yaml"; fileExists(extra) { // the transcript's own settings
				db := cfg.DB
				if cfg, err = LoadConfig(extra, func(string) string { return "" }); err != nil {
					t.Fatal(err)
				}
				cfg.DB = db
			}
			cfg.couponSecret = []byte("golden transcripts")
			clk := loyaltytest.NewClock(testNow)
			app, err := OpenApp(context.Background(), cfg, "admin", slog.New(slog.DiscardHandler), clk.Now)
			if err != nil {
				t.Fatal(err)
			}
			defer app.Close()
			var out bytes.Buffer
			if err := runShell(context.Background(), app, bytes.NewReader(script), &out, "admin"); err != nil {
				t.Fatal(err)
			}
			botstest.Golden(t, strings.TrimSuffix(file, ".txt")+".golden", out.String(), *update)
			checkBalances(t, app, script)
			if err := app.Ledger.Verify(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestCLI_Shell runs `loyalbot shell` through the command line, as a
// script would, against a database that then survives a restart.
func TestCLI_Shell(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x", "loyalbot.db")
	run := func(input string) string {
		var out, errs bytes.Buffer
		root := newRootCmd(strings.NewReader(input), &out, &errs, func(string) string { return "" })
		root.SetArgs([]string{"shell", "--db", db, "--owner", "boss"})
		if err := root.ExecuteContext(context.Background()); err != nil {
			t.Fatalf("shell: %v\n%s", err, errs.String())
		}
		return out.String()
	}
	got := run("carol> /start\nboss> /give @carol 5 thanks\n")
	if !strings.Contains(got, "carol> /start\nbot> Welcome, carol!") || !strings.Contains(got, "Gave 5 points to carol") {
		t.Errorf("first run:\n%s", got)
	}
	got = run("carol> /points\nadmin> /give @carol 5 x\n")
	if !strings.Contains(got, "Balance: 105 points") || !strings.Contains(got, "/give is for managers and above") {
		t.Errorf("after restart:\n%s", got)
	}
}

func TestCLI_Errors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("points:\n  signup_bonnus: 5\n"), 0o600)
	neg := filepath.Join(dir, "neg.yaml")
	os.WriteFile(neg, []byte("rewards:\n  - {id: Bad Id, name: x, cost: -1, stock: 1}\n"), 0o600)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"shell", "--config", bad}, "field signup_bonnus not found"},
		{[]string{"shell", "--config", neg}, "reward id \"Bad Id\""},
		{[]string{"shell", "--config", filepath.Join(dir, "missing.yaml")}, "no such file"},
		{[]string{"backup"}, "accepts 1 arg"},
		{[]string{"frobnicate"}, "unknown command"},
	}
	for _, tt := range tests {
		root := newRootCmd(strings.NewReader(""), io.Discard, io.Discard, func(string) string { return "" })
		root.SetArgs(append(tt.args, "--db", filepath.Join(dir, "db")))
		err := root.ExecuteContext(context.Background())
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want %q", tt.args, err, tt.want)
		}
	}
}

func TestConfig_Env(t *testing.T) {
	env := map[string]string{"LOYALBOT_DB": "/data/lb.db", "TELEGRAM_BOT_TOKEN": "123:SECRET"}
	cfg, err := LoadConfig("", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DB != "/data/lb.db" || cfg.TelegramToken != "123:SECRET" {
		t.Errorf("env not applied: %+v", cfg)
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "token", cfg.TelegramToken)
	if strings.Contains(buf.String(), "SECRET") {
		t.Errorf("token leaked into a log line: %s", buf.String())
	}
}

// TestServe boots `loyalbot serve`, checks its health endpoints, takes a
// backup while it runs, and shuts it down with its context.
func TestServe(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "loyalbot.db")
	logs, addr, stop := runServe(t, nil, "--db", db)
	base := "http://" + addr
	waitFor(t, base+"/healthz")
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": `"db":"ok"`} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("GET %s = %d %s", path, resp.StatusCode, body)
		}
	}
	// The database is held by serve, so backup fetches it over HTTP.
	var out bytes.Buffer
	root := newRootCmd(strings.NewReader(""), &out, io.Discard, func(string) string { return "" })
	backupFile := filepath.Join(dir, "backup.db")
	root.SetArgs([]string{"backup", backupFile, "--db", db, "--http", addr})
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("backup while serving: %v", err)
	}
	bdb, err := bolt.Open(backupFile, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := bdb.View(func(tx *bolt.Tx) error {
		if tx.Bucket([]byte("loyalty.rewards")) == nil || tx.Bucket([]byte("community.members")) == nil {
			t.Error("backup lacks the ledger's or the community's buckets")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	bdb.Close()

	if err := stop(); err != nil {
		t.Errorf("serve returned %v", err)
	}
	for _, want := range []string{"no chat platform connected", "loyalbot shell", "loyalbot stopped"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %q:\n%s", want, logs.String())
		}
	}
	// serve closed the database: it opens again.
	reopened, err := openDB(db, false)
	if err != nil {
		t.Fatalf("database still held after shutdown: %v", err)
	}
	reopened.Close()
}

// runServe starts `loyalbot serve` with the environment env and args, on
// a loopback listener it opens (no port is closed and bound again). stop
// cancels it and returns what it returned; the test fails if it does not
// stop within 15 seconds.
func runServe(t *testing.T, env map[string]string, args ...string) (logs *syncWriter, addr string, stop func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	logs = &syncWriter{w: &bytes.Buffer{}}
	done := make(chan error, 1)
	go func() {
		root := newRootCmdWith(strings.NewReader(""), io.Discard, logs, func(k string) string { return env[k] },
			func(string) (net.Listener, error) { return ln, nil })
		root.SetArgs(append([]string{"serve", "--http", ln.Addr().String()}, args...))
		done <- root.ExecuteContext(ctx)
	}()
	return logs, ln.Addr().String(), func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(15 * time.Second):
			t.Fatal("serve did not stop")
			return nil
		}
	}
}

func waitFor(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s never answered", url)
}

// syncWriter lets the test read logs the server goroutine writes.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// String returns what was written so far.
func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprint(s.w)
}

// checkBalances checks the final balances a script states in "#= name
// points" lines against the ledger.
func checkBalances(t *testing.T, app *App, script []byte) {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(script))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 || f[0] != "#=" {
			continue
		}
		want, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			t.Fatalf("%q: %v", sc.Text(), err)
		}
		id, err := app.Members.LookupMention(context.Background(), bots.Console, "@"+f[1])
		if err != nil {
			t.Fatalf("%s: %v", f[1], err)
		}
		b, err := app.Ledger.Balance(context.Background(), loyalty.Member(id))
		if err != nil || b.Balance != want {
			t.Errorf("%s balance %d (%v), want %d", f[1], b.Balance, err, want)
		}
	}
}
