package chat

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/community"
	"github.com/loyalbot/loyalbot/loyalty"
)

// pts renders a point amount in the event's language: "1 point", "12,345 points", "10 积分".
func pts(ev *bots.Event, n int64) string { return ev.TN("n.points", n, points(n)) }

// give grants points to a member, with a reason, audit-logged.
func (c *handlers) give(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	return c.adjust(ctx, ev, false)
}

// take deducts points from a member, with a reason, audit-logged.
func (c *handlers) take(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	return c.adjust(ctx, ev, true)
}

func (c *handlers) adjust(ctx context.Context, ev *bots.Event, take bool) ([]bots.Reply, error) {
	kind := "give"
	if take {
		kind = "take"
	}
	target := ev.ArgMember("member")
	n, reason := ev.ArgInt("amount"), ev.Arg("reason")
	res, err := c.community.AdjustPoints(ctx, community.Adjustment{Actor: community.ActorOf(ev), Target: target, Amount: n, Take: take, Reason: reason, Key: ev.Key(kind)})
	names, nerr := c.members.Names(ctx, []uint64{target})
	if nerr != nil {
		return nil, nerr
	}
	var short *loyalty.InsufficientFundsError
	switch {
	case errors.As(err, &short):
		return bots.Say(ev, "take.short", names[target], pts(ev, short.Available)), nil
	case errors.Is(err, community.ErrSelf):
		return bots.Say(ev, "adjust.self"), nil
	case errors.Is(err, community.ErrNoMember):
		return nil, bots.Errorf("error.unknown_member", "#"+strconv.FormatUint(target, 10))
	case err != nil:
		return nil, err
	case res.Awaiting != nil:
		return bots.Say(ev, "give.awaiting", pts(ev, n), names[target], pts(ev, c.community.Limits().ManagerDailyPoints), pts(ev, res.Used), res.Awaiting.ID), nil
	}
	return bots.Say(ev, kind+".ok", pts(ev, n), names[target], reason, pts(ev, res.Balance)), nil
}

func (c *handlers) approveGrant(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	return c.decideGrant(ctx, ev, true)
}

func (c *handlers) rejectGrant(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	return c.decideGrant(ctx, ev, false)
}

func (c *handlers) decideGrant(ctx context.Context, ev *bots.Event, approve bool) ([]bots.Reply, error) {
	id := uint64(ev.ArgInt("grant"))
	e, err := c.community.DecideGrant(ctx, community.ActorOf(ev), id, approve)
	if errors.Is(err, community.ErrNotPending) {
		return bots.Say(ev, "grant.not_pending", id), nil
	}
	if err != nil {
		return nil, err
	}
	names, err := c.members.Names(ctx, []uint64{e.Target})
	if err != nil {
		return nil, err
	}
	if approve {
		return bots.Say(ev, "grant.approved", id, pts(ev, e.Amount), names[e.Target]), nil
	}
	return bots.Say(ev, "grant.rejected", id), nil
}

// grants lists the grants waiting for the owner.
func (c *handlers) grants(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	es, err := c.community.AuditLog(ctx, 0, 10_000)
	if err != nil {
		return nil, err
	}
	var out []bots.Reply
	for _, e := range es {
		if e.Action != "give" || e.Outcome != community.OutcomeAwaiting {
			continue
		}
		names, err := c.members.Names(ctx, []uint64{e.Actor, e.Target})
		if err != nil {
			return nil, err
		}
		id := strconv.FormatUint(e.ID, 10)
		out = append(out, bots.Reply{Text: ev.T("grants.item", e.ID, names[e.Actor], pts(ev, e.Amount), names[e.Target], e.Args["reason"], date(e.Time, c.loc)),
			Buttons: [][]bots.Button{{{Label: ev.T("button.approve_grant"), Data: "/approve-grant " + id}, {Label: ev.T("button.reject_grant"), Data: "/reject-grant " + id}}}})
	}
	if len(out) == 0 {
		return bots.Say(ev, "grants.empty"), nil
	}
	return out, nil
}

// setRole is the /role command.
func (c *handlers) setRole(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	role, _ := bots.ParseRole(ev.Arg("role"))
	m, err := c.community.SetRole(ctx, community.ActorOf(ev), ev.ArgMember("member"), role)
	switch {
	case errors.Is(err, community.ErrSelf):
		return bots.Say(ev, "role.self"), nil
	case errors.Is(err, community.ErrForbidden):
		return bots.Say(ev, "role.owner_only"), nil
	case err != nil:
		return nil, fmt.Errorf("set role: %w", err)
	}
	return bots.Say(ev, "role.ok", m.Name, ev.T("role.name."+role.String())), nil
}

// broadcast sends text to every brand group chat, or with --segment to
// the members of one RFM segment privately.
func (c *handlers) broadcast(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	if c.notify == nil {
		return bots.Say(ev, "broadcast.none"), nil
	}
	text := ev.Arg("text")
	if first, rest, _ := strings.Cut(strings.TrimSpace(text), " "); first == "--segment" {
		if c.orders == nil {
			return bots.Say(ev, "segment.no_shop"), nil
		}
		return c.broadcastSegment(ctx, ev, rest)
	}
	sent, total, err := c.community.Broadcast(ctx, community.ActorOf(ev), text)
	if err != nil {
		return nil, err
	}
	if total == 0 {
		return bots.Say(ev, "broadcast.none"), nil
	}
	return []bots.Reply{{Text: ev.TN("broadcast.ok", int64(total), sent, total)}}, nil
}
