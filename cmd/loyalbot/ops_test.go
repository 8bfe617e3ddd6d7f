package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// run runs the loyalbot command line with args and the environment env.
func run(t *testing.T, env map[string]string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	root := newRootCmd(strings.NewReader(""), &out, io.Discard, func(k string) string { return env[k] })
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

// TestBackup_RefusesTheLiveDatabase is the regression test for
// "loyalbot backup loyalbot.db" replacing the file serve writes to.
func TestBackup_RefusesTheLiveDatabase(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "loyalbot.db")
	if _, err := run(t, nil, "shell", "--db", db); err != nil {
		t.Fatal(err)
	}
	before, _ := os.Stat(db)
	if _, err := run(t, nil, "backup", db, "--db", db); err == nil || !strings.Contains(err.Error(), "is the live database") {
		t.Errorf("backup over the database itself: %v", err)
	}
	// Through another path to the same file too.
	link := filepath.Join(dir, "same.db")
	if err := os.Link(db, link); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, nil, "backup", link, "--db", db); err == nil || !strings.Contains(err.Error(), "is the live database") {
		t.Errorf("backup over a hard link to the database: %v", err)
	}
	after, _ := os.Stat(db)
	if !os.SameFile(before, after) {
		t.Error("the database file was replaced")
	}
	// Another loyalbot's open database is refused as well.
	other := filepath.Join(dir, "other.db")
	odb, err := bolt.Open(other, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer odb.Close()
	if _, err := run(t, nil, "backup", other, "--db", db); err == nil || !strings.Contains(err.Error(), "another loyalbot has open") {
		t.Errorf("backup over an open database: %v", err)
	}
	if out, err := run(t, nil, "backup", filepath.Join(dir, "copy.db"), "--db", db); err != nil || !strings.Contains(out, "backed up") {
		t.Errorf("a plain backup: %q %v", out, err)
	}
}

// TestServe_AdminNeedsToken is the regression test for /admin/backup
// trusting RemoteAddr: a same-host reverse proxy exposed the database.
func TestServe_AdminNeedsToken(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "loyalbot.db")
	_, addr, stop := runServe(t, nil, "--db", db)
	defer stop()
	base := "http://" + addr
	waitFor(t, base+"/healthz")
	for _, auth := range []string{"", "Bearer wrong", "Basic x"} {
		req, _ := http.NewRequest(http.MethodGet, base+"/admin/backup", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("/admin/backup with %q: %d, want 401", auth, resp.StatusCode)
		}
	}
	fi, err := os.Stat(adminTokenPath(db))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("admin token file: %v %v, want mode 0600", fi, err)
	}
	token, _ := os.ReadFile(adminTokenPath(db))
	req, _ := http.NewRequest(http.MethodGet, base+"/admin/backup", nil)
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || n == 0 {
		t.Errorf("/admin/backup with the token: %d, %d bytes", resp.StatusCode, n)
	}
	// The order webhook is mounted, and says it is off without a secret.
	resp, err = http.Post(base+"/webhooks/orders", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "orders webhook disabled") {
		t.Errorf("webhook without a secret: %d %s", resp.StatusCode, body)
	}
	// verify goes through the running server, with the token.
	if out, err := run(t, nil, "verify", "--db", db, "--http", addr); err != nil || !strings.Contains(out, "ok: every invariant holds") {
		t.Errorf("online verify: %q %v", out, err)
	}
}

// TestServe_SlowClientsAreCut is the regression test for connections that
// send their body slowly staying open forever.
func TestServe_SlowClientsAreCut(t *testing.T) {
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfgFile, []byte("http_limits:\n  read_timeout: 300ms\n  read_header_timeout: 300ms\n"), 0o600)
	_, addr, stop := runServe(t, map[string]string{"LOYALBOT_ORDERS_SECRET": "s"}, "--db", filepath.Join(dir, "loyalbot.db"), "--config", cfgFile)
	defer stop()
	waitFor(t, "http://"+addr+"/healthz")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// A request whose body never finishes.
	io.WriteString(c, "POST /webhooks/orders HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"order_id\":")
	c.SetReadDeadline(time.Now().Add(30 * time.Second)) // a guard against a hung test, not the bound being tested
	_, err = io.ReadAll(c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("the server kept a slow request's connection open")
	}
}

// TestVerify_NamesTheBrokenInvariant checks that verify exits 1 and names
// what is broken in a damaged database.
func TestVerify_NamesTheBrokenInvariant(t *testing.T) {
	db := filepath.Join(t.TempDir(), "loyalbot.db")
	if _, err := run(t, nil, "shell", "--db", db); err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, nil, "verify", "--db", db); err != nil || !strings.Contains(out, "ok") {
		t.Fatalf("verify of a sound database: %q %v", out, err)
	}
	// Damage it: an account whose balance no entry explains.
	bdb, err := bolt.Open(db, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	bdb.Update(func(tx *bolt.Tx) error {
		b := make([]byte, 4*8+4+12*8)
		b[7] = 42
		return tx.Bucket([]byte("loyalty.accounts")).Put([]byte("member:9"), b)
	})
	bdb.Close()
	out, err := run(t, nil, "verify", "--db", db)
	if !errors.Is(err, errVerifyFailed) || !strings.Contains(out, "broken:") || !strings.Contains(out, "member:9 balance 42, entries sum to 0") {
		t.Errorf("verify of a damaged database: %q %v", out, err)
	}
}

// TestShell_ShutdownNeverWaitsOnTheTerminal is the regression test for
// serve ignoring SIGTERM while the console waited for a line.
func TestShell_ShutdownNeverWaitsOnTheTerminal(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	blocked := make(chan struct{})
	never := make(chan struct{})
	defer close(never)
	done := make(chan error, 1)
	go func() {
		done <- consoleLoop(ctx, func() (string, error) {
			close(blocked)
			<-never // a terminal nobody types on
			return "", io.EOF
		}, func(string) { t.Error("no line was typed") })
	}()
	<-blocked
	cancel()
	if err := <-done; err != nil {
		t.Errorf("consoleLoop: %v", err)
	}
}

// TestConfig_RejectsNegativeRewards is the regression test for negative
// point rules that loaded and then broke every /start.
func TestConfig_RejectsNegativeRewards(t *testing.T) {
	dir := t.TempDir()
	for key, yaml := range map[string]string{
		"points.checkin_points":       "points:\n  checkin_points: -10\n",
		"points.signup_bonus":         "points:\n  signup_bonus: -1\n",
		"ugc.referrer_reward":         "ugc:\n  referrer_reward: -300\n",
		"orders.max_amount":           "orders:\n  max_amount: -5\n",
		"limits.manager_daily_points": "limits:\n  manager_daily_points: -1\n",
		"http_limits.read_timeout":    "http_limits:\n  read_timeout: 0s\n",
		"orders.rates.USD":            "orders:\n  rates: {USD: 0}\n",
		"points.timezone":             "points:\n  timezone: Mars/Olympus\n",
	} {
		f := filepath.Join(dir, "c.yaml")
		os.WriteFile(f, []byte(yaml), 0o600)
		if _, err := LoadConfig(f, func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s: %v, want an error naming the key", strings.TrimSpace(yaml), err)
		}
	}
	f := filepath.Join(dir, "off.yaml")
	os.WriteFile(f, []byte("points:\n  checkin_points: 0\n"), 0o600)
	cfg, err := LoadConfig(f, func(string) string { return "" })
	if err != nil || cfg.Points.CheckinPoints != 0 || cfg.Points.SignupBonus != 100 {
		t.Errorf("checkin_points 0: %+v %v, want it off and the rest default", cfg.Points, err)
	}
}
