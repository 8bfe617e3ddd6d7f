package communitytest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/loyalty/bolt/bolttest"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/community"
	"github.com/loyalbot/loyalbot/loyalty"
	"github.com/loyalbot/loyalbot/loyalty/loyaltytest"
)

// Reopener is a Store that can be closed and opened again over the same
// data, as a restart does. The suite's crash cases reopen a Store that
// implements it; with one that does not, they go on with the same Store
// under new Members and a new Community (all a crash loses of the
// community itself).
type Reopener interface {
	community.Store
	// Reopen closes the store and returns a new one over the same data;
	// the old one is not used again.
	Reopen(t *testing.T) community.Store
}

// The accounts an Env configures.
const (
	// Owner is the console user id the Env's config makes an owner.
	Owner = "owner"
	// BrandGuild is the Discord guild the Env's config makes a brand chat.
	BrandGuild = "guild-1"
)

// Env is a community on a Store under test, with a real ledger on its own
// database and a settable clock, and without chat: the use cases called
// directly. Managers may give ManagerLimit points a day.
type Env struct {
	Store     community.Store
	Members   *community.Members
	Community *community.Community
	Admin     *community.Admin
	Ledger    *loyalty.Ledger
	Clock     *loyaltytest.Clock
	Config    community.Config

	// Crash, when set, is called between the steps of /link and /erase;
	// its error stops the operation there, as a crash would. Set it only
	// while no use case runs.
	Crash func(op string, step int) error

	verified bool
}

// ManagerLimit is the points a manager gives a day in an Env.
const ManagerLimit = 1000

// NewEnv builds an Env on store with DefaultConfig changed by set (which
// may be nil). When the test ends it fails the test if the members'
// Verify finds a broken invariant.
func NewEnv(tb testing.TB, store community.Store, set func(*community.Config)) *Env {
	tb.Helper()
	clk := loyaltytest.NewClock(Start)
	cfg := Config(set)
	zone, err := time.LoadLocation(cfg.Timezone)
	if err != nil {
		tb.Fatal(err)
	}
	e := &Env{Store: store, Clock: clk, Config: cfg, Ledger: bolttest.OpenLedger(tb, loyalty.Config{Now: clk.Now, Zone: zone})}
	e.build(tb)
	tb.Cleanup(func() { e.verify(tb) })
	return e
}

// build makes the Members and the Community on e.Store.
func (e *Env) build(tb testing.TB) {
	tb.Helper()
	var err error
	e.Members, err = community.NewMembers(e.Store, []string{bots.Console + ":" + Owner}, e.Clock.Now,
		community.WithBrandChats(bots.Discord, BrandGuild))
	if err != nil {
		tb.Fatal(err)
	}
	e.Community, err = community.New(e.Config, e.Members, e.Ledger, community.WithClock(e.Clock.Now),
		community.WithLimits(community.Limits{ManagerDailyPoints: ManagerLimit}),
		community.WithStepHook(func(op string, step int) error {
			if e.Crash != nil {
				return e.Crash(op, step)
			}
			return nil
		}))
	if err != nil {
		tb.Fatal(err)
	}
	e.Admin = e.Community.Admin()
}

// verify runs Verify once, at the first cleanup that calls it: the one
// registered after the store last (re)opened, so before it closes.
func (e *Env) verify(tb testing.TB) {
	tb.Helper()
	if e.verified {
		return
	}
	e.verified = true
	if err := e.Members.Verify(context.Background()); err != nil {
		tb.Errorf("community invariants: %v", err)
	}
}

// Restart is a restart after a crash: the store reopened when it is a
// Reopener, and new Members and a new Community on it (the ledger stays:
// it is another domain, with its own durability). It does not Resume.
func (e *Env) Restart(t *testing.T) {
	t.Helper()
	if r, ok := e.Store.(Reopener); ok {
		e.Store = r.Reopen(t)
		t.Cleanup(func() { e.verify(t) })
	}
	e.build(t)
}

// Join creates the console member user (handle and name user too).
func (e *Env) Join(tb testing.TB, user string) community.Member {
	tb.Helper()
	return e.JoinOn(tb, bots.Console, user)
}

// JoinOn creates the member of a platform account (handle and name user).
func (e *Env) JoinOn(tb testing.TB, platform, user string) community.Member {
	tb.Helper()
	m, _, err := e.Members.Create(context.Background(), community.NewMember{Platform: platform, UserID: user, Handle: user, Name: user})
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// As is the actor m acting from its first account with role.
func As(m community.Member, role bots.Role) community.Actor {
	a := community.Actor{Member: m.ID, Role: role, Name: m.Name}
	if len(m.Identities) > 0 {
		a.Platform, a.UserID = m.Identities[0].Platform, m.Identities[0].UserID
	}
	return a
}

// Balance returns a member's balance.
func (e *Env) Balance(tb testing.TB, member uint64) int64 {
	tb.Helper()
	b, err := e.Ledger.Balance(context.Background(), loyalty.Member(member))
	if err != nil {
		tb.Fatal(err)
	}
	return b.Balance
}

// Credit pays member amount under key.
func (e *Env) Credit(tb testing.TB, member uint64, amount int64, key string) {
	tb.Helper()
	if _, err := e.Ledger.Credit(context.Background(), loyalty.Member(member), "checkin", amount, key, "test"); err != nil {
		tb.Fatal(err)
	}
}

// Lookup returns the member an account speaks as, or 0 when none.
func (e *Env) Lookup(tb testing.TB, platform, user string) uint64 {
	tb.Helper()
	id, err := e.Members.LookupMention(context.Background(), platform, "<@"+user+">")
	switch {
	case errors.Is(err, bots.ErrUnknownMember):
		return 0
	case err != nil:
		tb.Fatal(err)
	}
	return id
}

// PendingJobs returns how many recorded operations wait for Resume.
func (e *Env) PendingJobs(tb testing.TB) int {
	tb.Helper()
	n, err := e.Community.PendingJobs(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return n
}
