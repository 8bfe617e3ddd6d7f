// Package chat is loyalbot's chat surface: every command, the free-text
// handler and the join and leave handlers. Each feature parses its
// arguments, calls the community's use cases (or reads the domains) and
// renders the typed results with the catalogue into replies. It never
// writes points itself.
package chat

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/loyalbot/loyalbot/bots"

	"github.com/loyalbot/loyalbot/community"
	"github.com/loyalbot/loyalbot/community/support"
	"github.com/loyalbot/loyalbot/loyalty"
	"github.com/loyalbot/loyalbot/loyalty/orders"
	"github.com/loyalbot/loyalbot/ugc"
)

// Deps are what the chat features use: the community's use cases, and the
// domains they read. A nil optional service switches its features off.
type Deps struct {
	Config    community.Config
	Community *community.Community
	Members   *community.Members
	Ledger    *loyalty.Ledger
	UGC       *ugc.Service       // optional: the ambassador programme
	Assistant *support.Assistant // optional, with Tickets: customer service
	Tickets   *support.Tickets
	Orders    *orders.Service    // optional: the shop
	Notifier  community.Notifier // how broadcasts go out; deep links for /ref
	Log       *slog.Logger
	Now       func() time.Time
}

type handlers struct {
	cfg       community.Config
	loc       *time.Location
	community *community.Community
	members   *community.Members
	ledger    *loyalty.Ledger
	ugc       *ugc.Service
	assistant *support.Assistant
	tickets   *support.Tickets
	orders    *orders.Service
	router    *bots.Router
	log       *slog.Logger
	now       func() time.Time

	notify community.Notifier // nil: nothing is sent outside a conversation
}

// New returns the chat commands over d. Register adds them to a router.
func New(d Deps) (*handlers, error) {
	loc, err := time.LoadLocation(d.Config.Timezone)
	if err != nil {
		return nil, fmt.Errorf("points.timezone %q: %w", d.Config.Timezone, err)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &handlers{cfg: d.Config, loc: loc, community: d.Community, members: d.Members, ledger: d.Ledger, ugc: d.UGC,
		assistant: d.Assistant, tickets: d.Tickets, orders: d.Orders, notify: d.Notifier, log: d.Log.With("component", "chat"), now: d.Now}, nil
}

// Mount installs on r the middleware every chat update goes through —
// recover, then extra (such as a rate limit), then identify the member and
// pay a newcomer's signup bonus — and every chat feature. cmd/loyalbot and
// the tests wire chat through it, so both run the same stack.
func Mount(r *bots.Router, d Deps, extra ...bots.Middleware) error {
	h, err := New(d)
	if err != nil {
		return err
	}
	mw := append([]bots.Middleware{bots.Recover(h.log)}, extra...)
	r.Use(append(mw, bots.Identify(d.Members), h.Signup())...)
	h.Register(r)
	return nil
}
