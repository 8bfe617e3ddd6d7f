package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/bots/botstest"
	"github.com/loyalbot/loyalbot/loyalty"
	"github.com/loyalbot/loyalbot/loyalty/loyaltytest"
)

// fixtureNow is the day after testdata/fixture/release-1.db.gz was made.
var fixtureNow = time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)

// openFixture copies a gzipped fixture database into a temporary
// directory and returns its path.
func openFixture(t *testing.T, name string) string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "fixture", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "loyalbot.db")
	out, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, zr); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestFixture_Release1 opens a database written by the release before the
// reshape (testdata/fixture/make.sh tells how) and checks that balances,
// tiers, roles, languages, pending redemptions, submissions, referrals,
// tickets and orders all read and work as they did: the transcript's
// golden file was recorded with that release's code.
func TestFixture_Release1(t *testing.T) {
	cfg := testConfig(t)
	cfg.DB = openFixture(t, "release-1.db.gz")
	ctx := context.Background()
	clk := loyaltytest.NewClock(fixtureNow)
	app, err := OpenApp(ctx, cfg, "admin", slog.New(slog.DiscardHandler), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	if err := app.Verify(ctx); err != nil {
		t.Fatalf("verify the fixture: %v", err)
	}
	script, err := os.ReadFile("testdata/fixture/release-1.txt")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := runShell(ctx, app, bytes.NewReader(script), &out, "admin"); err != nil {
		t.Fatal(err)
	}
	botstest.Golden(t, "testdata/fixture/release-1.golden", out.String(), *update)
	for _, line := range strings.Split(string(script), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 || f[0] != "#=" {
			continue
		}
		id, err := app.Members.LookupMention(ctx, bots.Console, "@"+f[1])
		if err != nil {
			t.Fatalf("%s: %v", f[1], err)
		}
		b, err := app.Ledger.Balance(ctx, loyalty.Member(id))
		if err != nil || b.Balance != mustInt(t, f[2]) {
			t.Errorf("%s balance %d (%v), want %s", f[1], b.Balance, err, f[2])
		}
	}
	if err := app.Verify(ctx); err != nil {
		t.Errorf("verify after the session: %v", err)
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
