package community

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/loyalty"
)

// give grants points to a member, with a reason, audit-logged.
func (c *Community) give(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	return c.adjust(ctx, ev, loyalty.AdjustmentAccount, loyalty.Member(ev.ArgMember("member")), "give")
}

// take deducts points from a member, with a reason, audit-logged.
func (c *Community) take(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	return c.adjust(ctx, ev, loyalty.Member(ev.ArgMember("member")), loyalty.AdjustmentAccount, "take")
}

func (c *Community) adjust(ctx context.Context, ev *bots.Event, from, to loyalty.AccountID, kind string) ([]bots.Reply, error) {
	target := ev.ArgMember("member")
	names, err := c.members.Names(ctx, []uint64{target})
	if err != nil {
		return nil, err
	}
	n, reason := ev.ArgInt("amount"), ev.Arg("reason")
	rc, err := c.ledger.Post(ctx, loyalty.Posting{Key: ev.Key(kind), From: from, To: to, Amount: n,
		Reason: fmt.Sprintf("%s (by %s)", reason, ev.Name)})
	var short *loyalty.InsufficientFundsError
	switch {
	case errors.As(err, &short):
		return bots.Say(ev, "take.short", names[target], points(short.Available)), nil
	case err != nil:
		return nil, fmt.Errorf("%s %d to member %d: %w", kind, n, target, err)
	}
	b, err := c.ledger.Balance(ctx, loyalty.Member(target))
	if err != nil {
		return nil, err
	}
	if !rc.Replay {
		c.log.InfoContext(ctx, "points adjusted", "manager", ev.Member, "member", target, "op", kind, "amount", n, "reason", reason, "entry", rc.Entry.ID)
		c.notifyMember(ctx, loyalty.Member(target), "notify."+kind, points(n), reason)
	}
	return bots.Say(ev, kind+".ok", points(n), names[target], reason, points(b.Balance)), nil
}

// setRole changes a member's role. The owner may appoint managers;
// managers may only move members between member and ambassador. Nobody
// changes their own role or the owner's.
func (c *Community) setRole(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	target := ev.ArgMember("member")
	role, _ := bots.ParseRole(ev.Arg("role"))
	if target == ev.Member {
		return bots.Say(ev, "role.self"), nil
	}
	if role >= bots.RoleManager && ev.Role < bots.RoleOwner {
		return bots.Say(ev, "role.owner_only"), nil
	}
	errDenied := errors.New("denied")
	m, err := c.members.Update(ctx, target, func(m *Member) error {
		if cur := c.members.roleOf(*m); cur >= bots.RoleManager && ev.Role < bots.RoleOwner || cur == bots.RoleOwner {
			return errDenied
		}
		m.Role = role
		return nil
	})
	if errors.Is(err, errDenied) {
		return bots.Say(ev, "role.owner_only"), nil
	}
	if err != nil {
		return nil, fmt.Errorf("set role: %w", err)
	}
	c.log.InfoContext(ctx, "role changed", "by", ev.Member, "member", target, "role", role.String())
	return bots.Say(ev, "role.ok", m.Name, ev.T("role.name."+role.String())), nil
}

// broadcast sends text to every group chat the bot serves.
func (c *Community) broadcast(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	if c.notify == nil {
		return bots.Say(ev, "broadcast.none"), nil
	}
	if rest, ok := strings.CutPrefix(ev.Arg("text"), "--segment "); ok && c.orders != nil {
		return c.broadcastSegment(ctx, ev, rest)
	}
	chats, err := c.members.Chats(ctx, bots.ChatGroup)
	if err != nil {
		return nil, err
	}
	sent := 0
	for _, ch := range chats {
		if err := c.notify.Send(ctx, ch.Platform, bots.Address{ChatID: ch.ID}, bots.Reply{Text: ev.Arg("text")}); err != nil {
			c.log.WarnContext(ctx, "broadcast failed", "platform", ch.Platform, "chat", ch.ID, "err", err)
			continue
		}
		sent++
	}
	c.log.InfoContext(ctx, "broadcast sent", "by", ev.Member, "chats", sent, "of", len(chats))
	return bots.Say(ev, "broadcast.ok", sent, len(chats)), nil
}

// notifyMember sends a member a private message in their language on
// their first platform. Failures are logged, not returned: the change the
// message reports has already happened.
func (c *Community) notifyMember(ctx context.Context, a loyalty.AccountID, key string, args ...any) {
	id, ok := a.MemberID()
	if !ok || c.notify == nil {
		return
	}
	m, err := c.members.Get(ctx, id)
	if err != nil || len(m.Identities) == 0 {
		c.log.WarnContext(ctx, "notify: no member", "member", id, "err", err)
		return
	}
	locale := m.Locale
	if locale == "" {
		locale = bots.English
	}
	text := c.router.Catalog().Format(locale, key, args...)
	idt := m.Identities[0]
	if err := c.notify.Send(ctx, idt.Platform, bots.Address{UserID: idt.UserID}, bots.Reply{Text: text, Private: true}); err != nil {
		c.log.WarnContext(ctx, "notify failed", "member", id, "platform", idt.Platform, "err", err)
	}
}
