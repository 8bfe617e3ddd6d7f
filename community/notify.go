package community

import (
	"context"
	"log/slog"
	"time"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/loyalty"
)

// notices renders and delivers what the community tells members and
// managers outside a conversation, each in their own language. It is safe
// for concurrent use.
type notices struct {
	send    Notifier // nil: nothing is delivered
	catalog *bots.Catalog
	members *Members
	log     *slog.Logger
	now     func() time.Time
	alerts  alerts
}

// render formats key in locale, rendering pointsArg arguments there.
func (n *notices) render(locale, key string, args ...any) string {
	cat := n.catalog
	out := make([]any, len(args))
	for i, arg := range args {
		out[i] = arg
		if p, ok := arg.(pointsArg); ok {
			out[i] = cat.Plural(locale, "n.points", int64(p), bots.Thousands(int64(p)))
		}
	}
	return cat.Format(locale, key, out...)
}

// member tells a member something privately, in their language, on
// their first platform. n is a point amount the message names first.
// Failures are logged, not returned: the change the message reports has
// already happened.
func (n *notices) member(ctx context.Context, a loyalty.AccountID, key string, args ...any) {
	id, ok := a.MemberID()
	if !ok || n.send == nil {
		return
	}
	m, err := n.members.Get(ctx, id)
	if err != nil || len(m.Identities) == 0 {
		n.log.WarnContext(ctx, "notify: no member", "member", id, "err", err)
		return
	}
	text := n.render(localeOr(m.Locale), key, args...)
	idt := m.Identities[0]
	if err := n.send.Send(ctx, idt.Platform, bots.Address{UserID: idt.UserID}, bots.Reply{Text: text, Private: true}); err != nil {
		n.log.WarnContext(ctx, "notify failed", "member", id, "platform", idt.Platform, "err", err)
	}
}

// alert tells every manager privately about something they must
// fix, each in their language, at most once an hour per kind of alert.
func (n *notices) alert(ctx context.Context, key string, args ...any) {
	if !n.alerts.due(key, n.now()) {
		return
	}
	n.managers(ctx, false, nil, key, args...)
}

// managers sends managers (or owners only) a private message in their
// language, with buttons (labels are message keys).
func (n *notices) managers(ctx context.Context, ownersOnly bool, buttons []bots.Button, key string, args ...any) {
	if n.send == nil {
		return
	}
	rs, err := n.members.ManagerAccounts(ctx, ownersOnly)
	if err != nil {
		n.log.WarnContext(ctx, "cannot list managers to tell", "err", err)
		return
	}
	for _, r := range rs {
		loc := localeOr(r.Locale)
		reply := bots.Reply{Text: n.render(loc, key, args...), Private: true}
		if len(buttons) > 0 {
			row := make([]bots.Button, len(buttons))
			for i, b := range buttons {
				row[i] = bots.Button{Label: n.catalog.Format(loc, b.Label), Data: b.Data}
			}
			reply.Buttons = [][]bots.Button{row}
		}
		if err := n.send.Send(ctx, r.Platform, bots.Address{UserID: r.UserID}, reply); err != nil {
			n.log.DebugContext(ctx, "manager message not delivered", "platform", r.Platform, "user", r.UserID, "err", err)
		}
	}
}

func localeOr(l string) string {
	if l == "" {
		return bots.English
	}
	return l
}
