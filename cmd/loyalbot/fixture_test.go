package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/bots/botstest"
	"github.com/loyalbot/loyalbot/community"
	"github.com/loyalbot/loyalbot/loyalty/loyaltytest"
	bolt "go.etcd.io/bbolt"
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
	checkBalances(t, app, script)
	if err := app.Verify(ctx); err != nil {
		t.Errorf("verify after the session: %v", err)
	}
}

// TestFixture_MigratesToStableNames: the release before the reshape stored
// roles and chat kinds as the integers of bots' constants. Opening its
// database rewrites them as names in one transaction, records the schema
// version, and opening again changes nothing.
func TestFixture_MigratesToStableNames(t *testing.T) {
	cfg := testConfig(t)
	cfg.DB = openFixture(t, "release-1.db.gz")
	ctx := context.Background()
	snapshot := func() (schema string, members, chats map[string]string) {
		db, err := bolt.Open(cfg.DB, 0o600, &bolt.Options{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		members, chats = map[string]string{}, map[string]string{}
		err = db.View(func(tx *bolt.Tx) error {
			if b := tx.Bucket([]byte("community.meta")); b != nil {
				schema = string(b.Get([]byte("schema")))
			}
			for name, into := range map[string]map[string]string{"community.members": members, "community.chats": chats} {
				if err := tx.Bucket([]byte(name)).ForEach(func(k, v []byte) error { into[string(k)] = string(v); return nil }); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return schema, members, chats
	}
	schema, before, _ := snapshot()
	if schema != "" || !strings.Contains(strings.Join(slices.Collect(maps.Values(before)), ""), `"role":2`) {
		t.Fatalf("the fixture is not the old schema (version %q)", schema)
	}
	for range 2 {
		app, err := OpenApp(ctx, cfg, "admin", slog.New(slog.DiscardHandler), loyaltytest.NewClock(fixtureNow).Now)
		if err != nil {
			t.Fatal(err)
		}
		if err := app.Close(); err != nil {
			t.Fatal(err)
		}
	}
	schema, members, chats := snapshot()
	if schema != strconv.Itoa(community.SchemaVersion) {
		t.Errorf("schema version %q, want %d", schema, community.SchemaVersion)
	}
	roles := map[string]int{}
	for _, v := range members {
		var m struct {
			Name string `json:"name"`
			Role any    `json:"role"`
		}
		if err := json.Unmarshal([]byte(v), &m); err != nil {
			t.Fatal(err)
		}
		if r, ok := m.Role.(string); ok {
			roles[m.Name+"="+r]++
		} else if m.Role != nil {
			t.Errorf("%s's role is stored as %v", m.Name, m.Role)
		}
	}
	for _, want := range []string{"alice=ambassador", "carol=manager", "bob=member"} {
		if roles[want] != 1 {
			t.Errorf("stored roles %v lack %s", roles, want)
		}
	}
	for k, v := range chats {
		if !strings.Contains(v, `"kind":"group"`) && !strings.Contains(v, `"kind":"private"`) {
			t.Errorf("chat %q stored as %s", k, v)
		}
	}
}
