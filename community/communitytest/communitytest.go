// Package communitytest wires the community the way cmd/loyalbot does —
// ledger, members, router with its middleware — on a temporary database,
// for tests of the community and of the chat adapters; and StoreSuite,
// the conformance suite any community.Store must pass.
package communitytest

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/community"
	communitybolt "github.com/loyalbot/loyalbot/community/bolt"
	"github.com/loyalbot/loyalbot/community/chat"
	"github.com/loyalbot/loyalbot/community/support"
	supportbolt "github.com/loyalbot/loyalbot/community/support/bolt"
	"github.com/loyalbot/loyalbot/loyalty"
	"github.com/loyalbot/loyalbot/loyalty/bolt/bolttest"
	"github.com/loyalbot/loyalbot/loyalty/loyaltytest"
	"github.com/loyalbot/loyalbot/loyalty/orders"
	ordersbolt "github.com/loyalbot/loyalbot/loyalty/orders/bolt"
	"github.com/loyalbot/loyalbot/ugc"
	ugcbolt "github.com/loyalbot/loyalbot/ugc/bolt"
)

// Start is the clock's time when a Stack is built: a Tuesday morning.
var Start = time.Date(2026, 3, 10, 9, 30, 0, 0, time.UTC)

// Stack is a wired community.
type Stack struct {
	Clock     *loyaltytest.Clock
	Store     community.Store // the members' store, on the stack's database
	Ledger    *loyalty.Ledger
	Members   *community.Members
	Community *community.Community
	Router    *bots.Router
	Hub       *bots.Hub
	UGC       *ugc.Service
	Orders    *orders.Service
	Tickets   *support.Tickets // set by an extra option that wires customer service

	ticketStore func() (*supportbolt.Store, error) // opens tickets on the stack's database
}

// Config returns the default point rules changed by set, for a Stack.
func Config(set func(*community.Config)) community.Config {
	c := community.DefaultConfig()
	if set != nil {
		set(&c)
	}
	return c
}

// Rewards are the catalogue every Stack starts with.
var Rewards = []loyalty.Reward{
	{ID: "sticker", Name: "Sticker", NameZH: "贴纸", Cost: 50, Stock: loyalty.Unlimited},
	{ID: "mug", Name: "Mug", NameZH: "马克杯", Cost: 300, Stock: 1},
}

// New builds a Stack with cfg; owners are "platform:user id" accounts.
// The ledger's invariants are checked when the test ends.
func New(tb testing.TB, cfg community.Config, owners ...string) *Stack {
	tb.Helper()
	return NewWith(tb, cfg, owners, nil)
}

// NewWith is New with more community options, built by extra from the
// stack so far (its store, ledger and members are ready), and members
// options such as community.WithBrandChats.
func NewWith(tb testing.TB, cfg community.Config, owners []string, extra func(*Stack) []community.Option, mopts ...community.MembersOption) *Stack {
	tb.Helper()
	clk := loyaltytest.NewClock(Start)
	db := bolttest.OpenDB(tb)
	st := &Stack{Clock: clk, ticketStore: func() (*supportbolt.Store, error) { return supportbolt.Open(db) }}
	zone, err := time.LoadLocation(cfg.Timezone)
	if err != nil {
		tb.Fatal(err)
	}
	l := bolttest.OpenLedgerOn(tb, db, loyalty.Config{Now: clk.Now, Zone: zone, OnTierChange: func(ctx context.Context, tc loyalty.TierChange) {
		if st.Community != nil {
			st.Community.TierChanged(ctx, tc)
		}
	}})
	for _, r := range Rewards {
		if err := l.PutReward(context.Background(), r); err != nil {
			tb.Fatal(err)
		}
	}
	cstore, err := communitybolt.Open(db)
	if err != nil {
		tb.Fatal(err)
	}
	st.Store = cstore
	members, err := community.NewMembers(cstore, owners, clk.Now, mopts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { // before the database closes
		if err := members.Verify(context.Background()); err != nil {
			tb.Errorf("community invariants: %v", err)
		}
	})
	hub := bots.NewHub()
	ustore, err := ugcbolt.Open(db)
	if err != nil {
		tb.Fatal(err)
	}
	u := ugc.New(ustore, l, ugc.DefaultConfig(), clk.Now, nil)
	st.Ledger, st.Members, st.Hub, st.UGC = l, members, hub, u
	ostore, err := ordersbolt.Open(db)
	if err != nil {
		tb.Fatal(err)
	}
	os, err := orders.New(ostore, l, orders.Config{Salt: "test", Now: clk.Now}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	st.Orders = os
	log := slog.New(slog.NewTextHandler(tbWriter{tb}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	r := bots.NewRouter(bots.WithMentions(members), bots.WithLogger(log))
	opts := []community.Option{community.WithClock(clk.Now), community.WithNotifier(hub), community.WithUGC(u), community.WithOrders(os),
		community.WithCatalog(r.Catalog())}
	if extra != nil {
		opts = append(opts, extra(st)...)
	}
	c, err := community.New(cfg, members, l, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	st.Community, st.Router = c, r
	assistant, tickets := c.Support()
	if err := chat.Mount(r, chat.Deps{Config: cfg, Community: c, Members: members, Ledger: l, UGC: u, Assistant: assistant, Tickets: tickets,
		Orders: os, Notifier: hub, Log: log, Now: clk.Now}); err != nil {
		tb.Fatal(err)
	}
	return st
}

// Balance returns the balance of the member behind a platform account.
func (s *Stack) Balance(tb testing.TB, platform, user string) int64 {
	tb.Helper()
	id, err := s.Members.LookupMention(context.Background(), platform, "<@"+user+">")
	if err != nil {
		tb.Fatalf("member %s:%s: %v", platform, user, err)
	}
	b, err := s.Ledger.Balance(context.Background(), loyalty.Member(id))
	if err != nil {
		tb.Fatal(err)
	}
	return b.Balance
}

// OpenTickets opens customer-service tickets on the stack's database, on
// its clock, and sets s.Tickets to them.
func (s *Stack) OpenTickets(tb testing.TB) *support.Tickets {
	tb.Helper()
	store, err := s.ticketStore()
	if err != nil {
		tb.Fatal(err)
	}
	s.Tickets = support.NewTickets(store, s.Clock.Now)
	return s.Tickets
}

type tbWriter struct{ tb testing.TB }

func (w tbWriter) Write(p []byte) (int, error) {
	w.tb.Log(string(p))
	return len(p), nil
}
