package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/bots/console"
	"github.com/loyalbot/loyalbot/loyalty"
	"github.com/loyalbot/loyalbot/loyalty/loyaltytest"
	"github.com/loyalbot/loyalbot/loyalty/orders"
)

// session is a running loyalbot driven through the console, as the shell does.
type session struct {
	t   *testing.T
	app *App
	out bytes.Buffer
	con *console.Adapter
}

func openSession(t *testing.T, cfg Config, clk *loyaltytest.Clock) *session {
	t.Helper()
	app, err := OpenApp(context.Background(), cfg, "admin", slog.New(slog.DiscardHandler), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	s := &session{t: t, app: app}
	s.con = console.New(nil, &s.out, console.WithClock(clk.Now))
	app.Hub.Add(s.con)
	return s
}

// send feeds a console line and returns the replies.
func (s *session) send(line string) string {
	s.out.Reset()
	s.con.Handle(context.Background(), s.app.Router, line)
	return s.out.String()
}

// dispatch sends text as a Telegram user, for a second chat account.
func (s *session) dispatch(id, user, text string) string {
	var b strings.Builder
	for _, r := range s.app.Router.Dispatch(context.Background(), &bots.Event{ID: "telegram:" + id, Platform: bots.Telegram,
		ChatID: user, Chat: bots.ChatPrivate, UserID: user, Name: "TG " + user, Text: text}) {
		b.WriteString(r.Text + "\n")
	}
	return b.String()
}

func (s *session) balance(platform, user string) loyalty.Balance {
	s.t.Helper()
	id, err := s.app.Members.LookupMention(context.Background(), platform, "<@"+user+">")
	if err != nil {
		s.t.Fatalf("%s:%s: %v", platform, user, err)
	}
	b, err := s.app.Ledger.Balance(context.Background(), loyalty.Member(id))
	if err != nil {
		s.t.Fatal(err)
	}
	return b
}

var errCrash = errors.New("crash point")

// TestCrashPoints stops settle, shop unlink, link, erase and approve-then-pay at each of
// their steps, as a crash would, then reopens the database as serve does
// (which finishes the interrupted work), runs every invariant check, and
// compares the outcome with what an uninterrupted run reaches.
func TestCrashPoints(t *testing.T) {
	type scenario struct {
		op    string
		steps int
		setup func(s *session) // before the step that crashes
		act   func(s *session) // the operation that crashes
		check func(t *testing.T, s *session)
	}
	ctx := context.Background()
	scenarios := []scenario{{
		op: "settle", steps: 4,
		setup: func(s *session) {
			s.send("alice> /start")
			if _, err := s.app.Orders.Ingest(ctx, orders.Order{ID: "O1", Customer: "c1", Created: testNow, Amount: 20000, Status: orders.Paid},
				orders.Contact{LinkCode: "K1"}); err != nil {
				s.t.Fatal(err)
			}
		},
		act: func(s *session) {
			s.send("alice> /shop K1")
			s.app.Orders.Ingest(ctx, orders.Order{ID: "O1", Customer: "c1", Created: testNow, Amount: 20000, Status: orders.Refunded, Refunded: 5000}, orders.Contact{})
		},
		check: func(t *testing.T, s *session) {
			if b := s.balance(bots.Console, "alice"); b.Balance != 100+150 || b.Held != 150 {
				t.Errorf("alice %+v, want 250 with the order's 150 held", b)
			}
		},
	}, {
		op: "unlink", steps: 3,
		setup: func(s *session) {
			s.send("alice> /start")
			s.send("bob> /start")
			for _, o := range []orders.Order{
				{ID: "U1", Customer: "c-alice", Created: testNow, Amount: 20000, Status: orders.Paid},
				{ID: "U2", Customer: "c-alice", Created: testNow, Amount: 10000, Status: orders.Refunded, Refunded: 5000},
			} {
				if _, err := s.app.Orders.Ingest(ctx, o, orders.Contact{Email: "alice@example.com", EmailVerified: true}); err != nil {
					s.t.Fatal(err)
				}
			}
			s.send("bob> /shop alice@example.com")
		},
		act: func(s *session) { s.send("admin> /shop unlink @bob") },
		check: func(t *testing.T, s *session) {
			if b := s.balance(bots.Console, "bob"); b.Balance != 100 || b.Held != 0 {
				t.Errorf("bob %+v, want his 100 back without the orders' points", b)
			}
			if got := s.send("alice> /shop alice@example.com"); !strings.Contains(got, "Pending through the return window: 250 points") {
				t.Errorf("alice links: %s", got)
			}
		},
	}, {
		op: "link", steps: 3,
		setup: func(s *session) {
			s.send("alice> /start")
			s.send("admin> /give @alice 40 x")
			s.dispatch("1", "555", "/start")
			id, _ := s.app.Members.LookupMention(ctx, bots.Telegram, "<@555>")
			if _, err := s.app.Ledger.Credit(ctx, loyalty.Member(id), "checkin", 30, "tg-seed", "seed"); err != nil {
				s.t.Fatal(err)
			}
		},
		act: func(s *session) {
			code := regexp.MustCompile(`code is ([A-Z2-9]{6})`).FindStringSubmatch(s.send("alice> /link"))[1]
			s.dispatch("2", "555", "/link "+code)
		},
		check: func(t *testing.T, s *session) {
			if b := s.balance(bots.Telegram, "555"); b.Balance != 100+40+30 {
				t.Errorf("linked wallet %+v, want 170 (one signup bonus)", b)
			}
			if got := s.dispatch("3", "555", "/profile"); !strings.Contains(got, "Name: alice") {
				t.Errorf("telegram account is not alice's: %s", got)
			}
		},
	}, {
		op: "erase", steps: 3,
		setup: func(s *session) {
			s.send("alice> /start")
			s.send("admin> /give @alice 400 x")
			s.send("alice> /redeem tea-sample confirm")
		},
		act: func(s *session) { s.send("alice> /erase confirm") },
		check: func(t *testing.T, s *session) {
			if _, err := s.app.Members.LookupMention(ctx, bots.Console, "@alice"); err == nil {
				t.Error("alice is still known")
			}
			r, _ := s.app.Ledger.Reward(ctx, "tea-sample")
			if r.Stock != 50 {
				t.Errorf("tea-sample stock %d, want 50 back", r.Stock)
			}
			if got := s.send("admin> /redemptions"); !strings.Contains(got, "No pending redemptions") {
				t.Errorf("redemption left pending: %s", got)
			}
			if b, _ := s.app.Ledger.Balance(ctx, loyalty.Member(1)); b.Balance != 0 {
				t.Errorf("erased member keeps %d points", b.Balance)
			}
		},
	}, {
		op: "approve", steps: 1,
		setup: func(s *session) {
			s.send("admin> /ambassador approve") // the owner registers first
			s.send("carol> /start")
			s.send("carol> /ambassador apply hi")
			s.send("admin> /ambassador approve @carol")
			s.send("carol> /submit https://www.xiaohongshu.com/explore/66f1a2b3000000001e03c9d4")
		},
		act: func(s *session) { s.send("admin> /approve 1") },
		check: func(t *testing.T, s *session) {
			if b := s.balance(bots.Console, "carol"); b.Balance != 300 {
				t.Errorf("carol %+v, want 300 (the approval paid once)", b)
			}
			if got := s.send("admin> /approve 1"); !strings.Contains(got, "already approved (200 points, paid once)") {
				t.Errorf("approve again: %s", got)
			}
		},
	}}
	for _, sc := range scenarios {
		for step := 1; step <= sc.steps; step++ {
			t.Run(fmt.Sprintf("%s_step%d", sc.op, step), func(t *testing.T) {
				cfg := testConfig(t)
				clk := loyaltytest.NewClock(testNow)
				crash, fired := false, false
				cfg.stepHook = func(op string, n int) error {
					if crash && op == sc.op && n == step {
						crash, fired = false, true // one crash per run
						return errCrash
					}
					return nil
				}
				s := openSession(t, cfg, clk)
				sc.setup(s)
				crash = true
				sc.act(s)
				if !fired {
					t.Fatalf("the operation never reached %s step %d", sc.op, step)
				}
				s.app.Close()

				cfg.stepHook = nil
				s = openSession(t, cfg, clk) // serve's start: resume what was interrupted
				defer s.app.Close()
				rep := s.app.verifyReport(ctx)
				if !rep.OK || len(rep.Pending) > 0 {
					t.Fatalf("after reopening: %+v", rep)
				}
				sc.check(t, s)
			})
		}
	}
}
