// Package chat is loyalbot's chat surface: every command, the free-text
// handler and the join and leave handlers. Each feature parses its
// arguments, calls the community's use cases (or reads the domains) and
// renders the typed results with the catalogue into replies. It never
// writes points itself.
package chat

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
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
	// OfficeHours are when people answer tickets; nil: always.
	OfficeHours *support.OfficeHours
	Orders      *orders.Service      // optional: the shop
	Lifecycle   *community.Lifecycle // optional: campaigns, consent, surveys
	Notifier    community.Notifier   // how broadcasts go out; deep links for /ref
	Log         *slog.Logger
	Now         func() time.Time
}

// base is what every feature shares: the dependencies and the renderers.
type base struct {
	cfg       community.Config
	loc       *time.Location
	community *community.Community // the members' use cases
	admin     *community.Admin     // the managers'
	members   *community.Members
	ledger    *loyalty.Ledger
	ugc       *ugc.Service
	assistant *support.Assistant
	tickets   *support.Tickets
	hours     *support.OfficeHours // nil: always open
	orders    *orders.Service
	lifecycle *community.Lifecycle // nil: no campaigns
	router    *bots.Router
	log       *slog.Logger
	now       func() time.Time

	notify community.Notifier // nil: nothing is sent outside a conversation

	consentChecked sync.Map // member ids whose consent question was looked at this run
}

// Feature is one chat feature: it adds its commands to a router.
type Feature interface {
	Register(r *bots.Router)
}

// Features returns the chat features over d, in the order they register:
// the ones whose service d lacks (the ambassador programme, customer
// service, the shop) are left out.
func Features(d Deps) ([]Feature, error) {
	b, err := newBase(d)
	if err != nil {
		return nil, err
	}
	fs := []Feature{&Start{b}, &Points{b}, &Checkin{b}, &Leaderboard{b}, &Rewards{b}, &Link{b}, &Privacy{b}, &Admin{b}, &Broadcast{b}}
	if d.UGC != nil {
		fs = append(fs, &Submissions{b}, &Referrals{b}, &Ambassadors{b})
	}
	if d.Assistant != nil {
		fs = append(fs, &Helpdesk{b})
	}
	if d.Orders != nil {
		fs = append(fs, &Shop{b})
	}
	if d.Lifecycle != nil {
		fs = append(fs, &Campaigns{b})
	}
	return fs, nil
}

// helpOrder is the order /help and the platforms' command menus list
// commands in: a member's everyday commands first, then the managers' and
// the owners' tools, then the optional programmes.
var helpOrder = []string{
	"start", "help", "points", "history", "checkin", "leaderboard", "rewards", "redeem", "link", "lang", "profile", "export", "erase",
	"give", "take", "role", "redemptions", "fulfil", "cancel", "broadcast", "grants", "approve-grant", "reject-grant", "audit", "setup",
	"submit", "submissions", "ref", "referrals", "ambassador", "review", "approve", "reject", "feature", "ambassadors",
	"human", "tickets", "reply", "close", "faq", "shop", "segments", "marketing", "member",
	"notifications", "birthday", "email", "comment", "campaigns", "campaign", "survey", "coupon", "webhooks",
}

// Mount installs on r the middleware every chat update goes through —
// recover, then extra (such as a rate limit), then identify the member and
// pay a newcomer's signup bonus — every chat feature and their messages,
// and the handler for text that is not a command (message points and
// answers to questions). cmd/loyalbot and the tests wire chat through it,
// so both run the same stack.
func Mount(r *bots.Router, d Deps, extra ...bots.Middleware) error {
	fs, err := Features(d)
	if err != nil {
		return err
	}
	b := fs[0].(*Start).base
	mw := append([]bots.Middleware{bots.Recover(b.log)}, extra...)
	r.Use(append(mw, bots.Identify(d.Members), b.Signup())...)
	commonMessages.addTo(r)
	for _, f := range fs {
		f.Register(r)
	}
	r.Order(helpOrder...)
	text := freeText{base: b}
	for _, f := range fs {
		if h, ok := f.(*Helpdesk); ok {
			text.helpdesk = h
		}
	}
	r.HandleText(text)
	b.router = r
	return nil
}

func newBase(d Deps) (*base, error) {
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
	return &base{cfg: d.Config, loc: loc, community: d.Community, admin: d.Community.Admin(), members: d.Members, ledger: d.Ledger, ugc: d.UGC,
		assistant: d.Assistant, tickets: d.Tickets, hours: d.OfficeHours, orders: d.Orders, lifecycle: d.Lifecycle, notify: d.Notifier, log: d.Log.With("component", "chat"), now: d.Now}, nil
}

// freeText handles messages that are not commands: activity points for
// group messages, and customer service's answer for questions asked
// privately or by mentioning the bot.
type freeText struct {
	*base
	helpdesk *Helpdesk // nil without customer service
}

// Handle implements bots.Handler.
func (t freeText) Handle(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	if err := t.activityPoints(ctx, ev); err != nil {
		return nil, err
	}
	if t.helpdesk != nil && ev.Member != 0 && (ev.Private() || ev.Mentioned || t.cfg.AnswerGroupQuestions && isQuestion(ev.Text)) {
		return t.helpdesk.answer(ctx, ev)
	}
	return nil, nil
}
