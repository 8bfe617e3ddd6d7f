package community_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/bots/console"
	"github.com/loyalbot/loyalbot/community"
	"github.com/loyalbot/loyalbot/loyalty"
	"github.com/loyalbot/loyalbot/loyalty/loyaltytest"
)

// harness is the community wired as cmd/loyalbot wires it, driven through
// the console adapter: a chat line in, the printed replies out.
type harness struct {
	t       testing.TB
	clock   *loyaltytest.Clock
	ledger  *loyalty.Ledger
	members *community.Members
	router  *bots.Router
	console *console.Adapter
	out     *bytes.Buffer
}

var t0 = time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC)

func newHarness(t testing.TB, cfg community.Config) *harness {
	t.Helper()
	clk := loyaltytest.NewClock(t0)
	db := loyaltytest.OpenDB(t)
	l := loyaltytest.OpenLedgerOn(t, db, loyalty.Config{Now: clk.Now})
	for _, r := range []loyalty.Reward{
		{ID: "sticker", Name: "Sticker", NameZH: "贴纸", Cost: 50, Stock: loyalty.Unlimited},
		{ID: "mug", Name: "Mug", NameZH: "马克杯", Cost: 300, Stock: 1},
	} {
		if err := l.PutReward(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	members, err := community.NewMembers(db, []string{"console:admin"}, clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	hub := bots.NewHub()
	c, err := community.New(cfg, members, l, community.WithClock(clk.Now), community.WithNotifier(hub))
	if err != nil {
		t.Fatal(err)
	}
	r := bots.NewRouter(bots.WithMentions(members))
	r.Use(bots.Recover(testLogger(t)), bots.Identify(members), c.Signup())
	c.Register(r)
	var out bytes.Buffer
	a := console.New(nil, &out, console.WithClock(clk.Now))
	hub.Add(a)
	return &harness{t: t, clock: clk, ledger: l, members: members, router: r, console: a, out: &out}
}

// send feeds one console line ("alice> /points") and returns what the bot
// printed for it, without the echoed line.
func (h *harness) send(line string) string {
	h.t.Helper()
	h.out.Reset()
	h.console.Handle(context.Background(), h.router, line)
	_, replies, _ := strings.Cut(h.out.String(), "\n")
	return replies
}

// expect sends line and fails unless the replies contain every want.
func (h *harness) expect(line string, want ...string) string {
	h.t.Helper()
	got := h.send(line)
	for _, w := range want {
		if !strings.Contains(got, w) {
			h.t.Errorf("%s\n got: %s\nwant: %q", line, got, w)
		}
	}
	return got
}

// balance returns the ledger balance of the console user name.
func (h *harness) balance(name string) int64 {
	h.t.Helper()
	id, err := h.members.LookupMention(context.Background(), bots.Console, "@"+name)
	if err != nil {
		h.t.Fatalf("member %s: %v", name, err)
	}
	b, err := h.ledger.Balance(context.Background(), loyalty.Member(id))
	if err != nil {
		h.t.Fatal(err)
	}
	return b.Balance
}

func (h *harness) wantBalance(name string, want int64) {
	h.t.Helper()
	if got := h.balance(name); got != want {
		h.t.Errorf("%s balance %d, want %d", name, got, want)
	}
}
