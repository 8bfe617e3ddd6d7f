package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/community"
	"github.com/loyalbot/loyalbot/loyalty"
	"github.com/loyalbot/loyalbot/loyalty/loyaltytest"
	"github.com/loyalbot/loyalbot/loyalty/orders"
)

// scaleNow is the generated community's present: a Wednesday, so the
// week's leaderboard has entries from Monday on.
var scaleNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// generated describes a community generate built.
type generated struct {
	members     int
	orders      int
	ambassadors []uint64
}

// generate fills app with a community of n members, quickly: members in
// batches of 10,000 per transaction, their points (signup bonus, eight
// weeks of check-ins and chat points) through the ledger's bulk import,
// one ambassador in a hundred, a group chat, and shop orders (ordersPer on
// average, unlinked but for the first hundred customers) through the CSV
// importer. Everything goes through the domains' APIs, so the database is
// what real use would write. The seed makes it reproducible.
func generate(tb testing.TB, app *App, n, ordersPer int, seed uint64) generated {
	tb.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 1))
	g := generated{members: n}
	const batch = 10_000
	for from := 0; from < n; from += batch {
		var nms []community.NewMember
		for i := from; i < min(n, from+batch); i++ {
			u := "u" + strconv.Itoa(i)
			nms = append(nms, community.NewMember{Platform: bots.Telegram, UserID: u, Handle: u, Name: "Member " + strconv.Itoa(i)})
		}
		ms, err := app.Members.CreateMany(ctx, nms)
		if err != nil {
			tb.Fatal(err)
		}
		var ps []loyalty.Posting
		for _, m := range ms {
			a := loyalty.Member(m.ID)
			id := strconv.FormatUint(m.ID, 10)
			ps = append(ps, loyalty.Posting{Key: "signup:" + id, From: loyalty.Issuance("signup"), To: a, Amount: 100, Reason: "signup bonus"})
			for d := range 1 + rng.IntN(12) {
				ps = append(ps, loyalty.Posting{Key: "checkin:" + id + ":" + strconv.Itoa(d), From: loyalty.Issuance("checkin"), To: a, Amount: 10, Reason: "daily check-in"})
			}
			if rng.IntN(3) == 0 {
				ps = append(ps, loyalty.Posting{Key: "msg:" + id, From: loyalty.Issuance("message"), To: a, Amount: int64(1 + rng.IntN(40)), Reason: "chat activity"})
			}
			if m.ID%100 == 0 {
				g.ambassadors = append(g.ambassadors, m.ID)
			}
		}
		for len(ps) > 0 {
			chunk := ps[:min(len(ps), 10_000)]
			ps = ps[len(chunk):]
			if _, _, err := app.Ledger.Import(ctx, chunk); err != nil {
				tb.Fatal(err)
			}
		}
	}
	for _, id := range g.ambassadors {
		if _, err := app.Members.Update(ctx, id, func(m *community.Member) error { m.Role = community.RoleAmbassador; return nil }); err != nil {
			tb.Fatal(err)
		}
	}
	// One group chat everyone speaks in, and the owner's private chat.
	app.Router.Dispatch(ctx, &bots.Event{ID: "gen:group", Platform: bots.Telegram, ChatID: "-100", UserID: "u0", Name: "Member 0", Text: "hello everyone, nice to meet you", Time: scaleNow})
	if ordersPer > 0 {
		var csv bytes.Buffer
		csv.WriteString("order_id,customer_id,created_at,amount,currency,status,refunded_amount,email,email_verified,phone,phone_verified,link_code\n")
		customers := max(1, n*3/10) // three in ten members shop
		for c := range customers {
			for k := range 1 + rng.IntN(2*ordersPer) {
				at := scaleNow.AddDate(0, 0, -1-rng.IntN(700)).Format(time.RFC3339)
				code := ""
				if c < 100 && k == 0 {
					code = "GEN-" + strconv.Itoa(c)
				}
				fmt.Fprintf(&csv, "G%d-%d,cust-%d,%s,%d.%02d,CNY,paid,0,,,,,%s\n", c, k, c, at, 20+rng.IntN(400), rng.IntN(100), code)
				g.orders++
			}
		}
		rep, err := app.Orders.Import(ctx, &csv, orders.ImportOptions{})
		if err != nil {
			tb.Fatal(err)
		}
		if rep.Imported != g.orders {
			tb.Fatalf("imported %d of %d generated orders: %+v", rep.Imported, g.orders, rep)
		}
		for c := range min(100, customers) {
			if _, err := app.Orders.Link(ctx, uint64(c+1), "GEN-"+strconv.Itoa(c)); err != nil {
				tb.Fatal(err)
			}
		}
	}
	return g
}

func openScaleApp(tb testing.TB, path string) *App {
	tb.Helper()
	cfg := testConfig(tb)
	cfg.DB = path
	cfg.Owners = []string{"telegram:u1"}
	cfg.Telegram.Chats = []string{"-100"}
	app, err := OpenApp(context.Background(), cfg, "admin", slog.New(slog.DiscardHandler), loyaltytest.NewClock(scaleNow).Now)
	if err != nil {
		tb.Fatal(err)
	}
	return app
}

// scaleCommands are the commands the scale benchmark times: what members
// send most, and what managers run over the whole community.
var scaleCommands = []struct {
	name    string
	text    string
	manager bool
}{
	{"points", "/points", false},
	{"history", "/history", false},
	{"checkin", "/checkin", false},
	{"leaderboard_week", "/leaderboard week", false},
	{"leaderboard_all", "/leaderboard all", false},
	{"leaderboard_ambassadors", "/leaderboard ambassadors", false},
	{"export", "/export", false},
	{"shop", "/shop GEN-0", false},
	{"broadcast", "/broadcast Sale today", true},
	{"segments", "/segments", true},
	{"member", "/member @u2", true},
	{"redemptions", "/redemptions", true},
	{"tickets", "/tickets", true},
	{"review", "/review", true},
	{"ambassadors", "/ambassadors", true},
}

// dispatch sends text as member i (u<i>) in the brand group (privately for
// private commands) and fails the test on an error reply.
func dispatch(tb testing.TB, app *App, i int, text string, seq int) []bots.Reply {
	u := "u" + strconv.Itoa(i)
	ev := &bots.Event{ID: "scale:" + strconv.Itoa(seq), Platform: bots.Telegram, ChatID: "-100", UserID: u, Username: u, Name: "Member " + strconv.Itoa(i),
		Text: text, Time: scaleNow}
	rs := app.Router.Dispatch(context.Background(), ev)
	for _, r := range rs {
		if strings.Contains(r.Text, "went wrong") || strings.Contains(r.Text, "error id") {
			tb.Fatalf("%s as %s: %s", text, u, r.Text)
		}
	}
	return rs
}

// TestScale_Generator builds a small community and checks that it is
// consistent and that every timed command answers: the generator and the
// benchmark below must not rot.
func TestScale_Generator(t *testing.T) {
	path := t.TempDir() + "/scale.db"
	app := openScaleApp(t, path)
	g := generate(t, app, 600, 2, 1)
	if err := app.Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i, c := range scaleCommands {
		who := 5 + i
		if c.manager {
			who = 1 // the owner
		}
		if rs := dispatch(t, app, who, c.text, i); len(rs) == 0 {
			t.Errorf("%s: no reply", c.text)
		}
	}
	b, err := app.Ledger.Balance(context.Background(), loyalty.Member(3))
	if err != nil || b.Balance < 100 {
		t.Errorf("member 3's balance %d (%v), want the generated points", b.Balance, err)
	}
	if g.orders == 0 || len(g.ambassadors) != 6 {
		t.Errorf("generated %+v", g)
	}
	app.Close()
}

// BenchmarkScale generates a community (LOYALBOT_SCALE_MEMBERS members,
// default 2,000; the figures in the notes use 300,000) once, then times
// each command as a different member each iteration, the start-up (open
// to ready) and memory, and reports bytes per member:
//
//	LOYALBOT_SCALE_MEMBERS=300000 go test -run '^$' -bench Scale -benchtime 50x ./cmd/loyalbot
func BenchmarkScale(b *testing.B) {
	n := 2000
	if v, err := strconv.Atoi(os.Getenv("LOYALBOT_SCALE_MEMBERS")); err == nil && v > 0 {
		n = v
	}
	path := b.TempDir() + "/scale.db"
	app := openScaleApp(b, path)
	start := time.Now()
	g := generate(b, app, n, 2, 1)
	b.Logf("generated %d members, %d orders in %s", g.members, g.orders, time.Since(start).Round(time.Millisecond))
	app.Close()
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("open", func(b *testing.B) {
		for range b.N {
			a := openScaleApp(b, path)
			a.Close()
		}
	})
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	opened := time.Now()
	app = openScaleApp(b, path)
	ready := time.Since(opened)
	defer app.Close()
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	// The first run of each command is cold: nothing cached yet.
	cold := map[string]time.Duration{}
	seq := 0
	for i, c := range scaleCommands {
		who := 2 + (i*104729)%(n-2)
		if c.manager {
			who = 1
		}
		seq++
		t0 := time.Now()
		dispatch(b, app, who, c.text, seq)
		cold[c.name] = time.Since(t0)
	}
	b.Run("size", func(b *testing.B) {
		for range b.N {
		}
		b.ReportMetric(float64(fi.Size())/float64(n), "bytes/member")
		b.ReportMetric(float64(after.HeapInuse-min(after.HeapInuse, before.HeapInuse))/1e6, "MB-heap-after-open")
		b.ReportMetric(float64(ready.Microseconds())/1000, "ms-to-ready")
		for name, d := range cold {
			b.ReportMetric(float64(d.Microseconds())/1000, name+"-cold-ms")
		}
	})
	for _, c := range scaleCommands {
		b.Run(c.name, func(b *testing.B) {
			for i := range b.N {
				who := 2 + (i*7919)%(n-2) // a different member each time
				if c.manager {
					who = 1
				}
				seq++
				dispatch(b, app, who, c.text, seq)
			}
		})
	}
}
