package community

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/loyalty"
	bolt "go.etcd.io/bbolt"
)

// pointsArg is a point amount in a message to someone other than the
// sender of the event at hand: render shows it in the recipient's
// language ("1 point", "1,000 积分").
type pointsArg int64

func pointsN(n int64) pointsArg { return pointsArg(n) }

// render formats key in locale, rendering pointsArg arguments there.
func (c *Community) render(locale, key string, args ...any) string {
	cat := c.catalog
	out := make([]any, len(args))
	for i, arg := range args {
		out[i] = arg
		if p, ok := arg.(pointsArg); ok {
			out[i] = cat.Plural(locale, "n.points", int64(p), points(int64(p)))
		}
	}
	return cat.Format(locale, key, out...)
}

// Adjustment asks to give points to a member or take points from them.
type Adjustment struct {
	Actor  Actor
	Target uint64
	Amount int64 // positive
	Take   bool
	Reason string
	Key    string // idempotency key: a retried request adjusts once
}

// AdjustResult is the outcome of AdjustPoints.
type AdjustResult struct {
	Entry   loyalty.Entry
	Balance int64 // the target's balance after
	Replay  bool
	// Awaiting is set when a grant passed the manager's daily limit: it was
	// recorded for the owner to approve, and nothing was paid.
	Awaiting *AuditEntry
	Used     int64 // points the manager had given today before this one
}

// AdjustPoints gives or takes points, as a manager. It returns a
// *ForbiddenError for an actor below manager, ErrSelf for a manager
// adjusting their own points (owners may; it is audited like anything
// else), ErrNoMember for an unknown target, and the ledger's
// *InsufficientFundsError for a take above what the member has. A grant
// past the manager's daily limit waits for the owner (Result.Awaiting).
// Every call is audited; the target is told privately.
func (c *Community) AdjustPoints(ctx context.Context, a Adjustment) (AdjustResult, error) {
	action := "give"
	if a.Take {
		action = "take"
	}
	if err := a.Actor.require(action, bots.RoleManager); err != nil {
		return AdjustResult{}, err
	}
	if a.Target == a.Actor.Member && a.Actor.Role < bots.RoleOwner {
		e := a.Actor.entry(action, a.Target)
		e.Amount, e.Key, e.Args = a.Amount, a.Key, map[string]string{"reason": a.Reason}
		return AdjustResult{}, c.refuse(ctx, e, fmt.Errorf("%s: %w", action, ErrSelf))
	}
	target, err := c.members.Get(ctx, a.Target)
	if err != nil || !target.Erased.IsZero() {
		return AdjustResult{}, fmt.Errorf("%s to member %d: %w", action, a.Target, ErrNoMember)
	}
	e := a.Actor.entry(action, target.ID)
	e.Amount, e.Key, e.Effect, e.Outcome = a.Amount, a.Key, a.Key, OutcomeStarted
	e.Args = map[string]string{"reason": a.Reason}
	limit := int64(0)
	if !a.Take && a.Actor.Role < bots.RoleOwner {
		e.Day, limit = c.day(), c.limits.ManagerDailyPoints
	}
	rec, used, err := c.audit(ctx, e, limit)
	if err != nil {
		return AdjustResult{}, err
	}
	res := AdjustResult{Used: used}
	if rec.Outcome == OutcomeAwaiting {
		res.Awaiting = &rec
		c.log.InfoContext(ctx, "grant past the manager's daily limit waits for the owner", "manager", a.Actor.Member,
			"member", target.ID, "amount", a.Amount, "grant", rec.ID)
		c.tellManagers(ctx, true, []bots.Button{{Label: "button.approve_grant", Data: "/approve-grant " + strconv.FormatUint(rec.ID, 10)},
			{Label: "button.reject_grant", Data: "/reject-grant " + strconv.FormatUint(rec.ID, 10)}},
			"notify.grant_waiting", a.Actor.Name, pointsN(a.Amount), target.Name, a.Reason, rec.ID, pointsN(c.limits.ManagerDailyPoints))
		return res, nil
	}
	from, to := loyalty.AdjustmentAccount, loyalty.Member(target.ID)
	if a.Take {
		from, to = to, from
	}
	rc, err := c.ledger.Post(ctx, loyalty.Posting{Key: a.Key, From: from, To: to, Amount: a.Amount, Reason: a.Reason})
	var short *loyalty.InsufficientFundsError
	switch {
	case errors.As(err, &short):
		_, aerr := c.settleAudit(ctx, rec.ID, OutcomeRefused, fmt.Sprintf("only %d points available", short.Available))
		return AdjustResult{}, errors.Join(err, aerr)
	case err != nil:
		return AdjustResult{}, fmt.Errorf("%s %d to member %d: %w", action, a.Amount, target.ID, err)
	}
	if _, err := c.settleAudit(ctx, rec.ID, OutcomeDone, ""); err != nil {
		return AdjustResult{}, err
	}
	b, err := c.ledger.Balance(ctx, loyalty.Member(target.ID))
	if err != nil {
		return AdjustResult{}, err
	}
	res.Entry, res.Replay, res.Balance = rc.Entry, rc.Replay, b.Balance
	if !rc.Replay {
		c.log.InfoContext(ctx, "points adjusted", "manager", a.Actor.Member, "member", target.ID, "op", action, "amount", a.Amount, "entry", rc.Entry.ID)
		c.notifyMember(ctx, loyalty.Member(target.ID), "notify."+action, pointsN(a.Amount), a.Reason)
	}
	return res, nil
}

// day returns the community's current date as YYYY-MM-DD.
func (c *Community) day() string { d, _ := c.today(); return d }

// DecideGrant approves (paying it) or rejects a grant that waits for the
// owner. It returns a *ForbiddenError below owner and ErrNotPending for an
// id that is not a waiting grant.
func (c *Community) DecideGrant(ctx context.Context, actor Actor, id uint64, approve bool) (AuditEntry, error) {
	if err := actor.require("approve-grant", bots.RoleOwner); err != nil {
		return AuditEntry{}, err
	}
	var e AuditEntry
	var err error
	if e, err = c.auditEntry(ctx, id); err != nil {
		return AuditEntry{}, err
	}
	if e.Action != "give" || e.Outcome != OutcomeAwaiting {
		return e, fmt.Errorf("grant %d is %s: %w", id, e.Outcome, ErrNotPending)
	}
	decision := actor.entry("reject-grant", e.Target)
	outcome := OutcomeRejected
	if approve {
		decision.Action, outcome = "approve-grant", OutcomeApproved
		if _, err := c.ledger.Post(ctx, loyalty.Posting{Key: "grant:" + strconv.FormatUint(id, 10), From: loyalty.AdjustmentAccount,
			To: loyalty.Member(e.Target), Amount: e.Amount, Reason: e.Args["reason"]}); err != nil {
			return e, fmt.Errorf("pay grant %d: %w", id, err)
		}
	}
	decision.Amount, decision.Args = e.Amount, map[string]string{"grant": strconv.FormatUint(id, 10)}
	decision.Key = "decide-grant:" + strconv.FormatUint(id, 10)
	if _, _, err := c.audit(ctx, decision, 0); err != nil {
		return e, err
	}
	if e, err = c.settleAudit(ctx, id, outcome, ""); err != nil {
		return e, err
	}
	if approve {
		c.notifyMember(ctx, loyalty.Member(e.Target), "notify.give", pointsN(e.Amount), e.Args["reason"])
		c.notifyMember(ctx, loyalty.Member(e.Actor), "notify.grant_approved", id, pointsN(e.Amount))
	} else {
		c.notifyMember(ctx, loyalty.Member(e.Actor), "notify.grant_rejected", id, pointsN(e.Amount))
	}
	return e, nil
}

func (c *Community) auditEntry(ctx context.Context, id uint64) (AuditEntry, error) {
	if err := ctx.Err(); err != nil {
		return AuditEntry{}, err
	}
	var e AuditEntry
	err := c.members.db.View(func(tx *bolt.Tx) error {
		var err error
		e, err = getAudit(tx.Bucket(bucketAudit), id)
		return err
	})
	return e, err
}

// SetRole changes a member's role. The owner may appoint managers;
// managers may only move members between member and ambassador. Nobody
// changes their own role or the owner's. It returns a *ForbiddenError
// otherwise, and ErrSelf for the actor's own role; the change is audited.
func (c *Community) SetRole(ctx context.Context, actor Actor, target uint64, role bots.Role) (Member, error) {
	if err := actor.require("role", bots.RoleManager); err != nil {
		return Member{}, err
	}
	refused := actor.entry("role", target)
	refused.Args = map[string]string{"role": role.String()}
	if target == actor.Member {
		return Member{}, c.refuse(ctx, refused, fmt.Errorf("role: %w", ErrSelf))
	}
	if role >= bots.RoleManager && actor.Role < bots.RoleOwner {
		return Member{}, c.refuse(ctx, refused, &ForbiddenError{Action: "role " + role.String(), Need: bots.RoleOwner})
	}
	var denied error
	m, err := c.members.Update(ctx, target, func(m *Member) error {
		if cur := c.members.roleOf(*m); cur >= bots.RoleManager && actor.Role < bots.RoleOwner || cur == bots.RoleOwner {
			denied = &ForbiddenError{Action: "role", Need: bots.RoleOwner}
			return denied
		}
		m.Role = RoleAt(role)
		return nil
	})
	if denied != nil {
		return Member{}, c.refuse(ctx, refused, err)
	}
	if err != nil {
		return Member{}, err
	}
	e := actor.entry("role", target)
	e.Args = map[string]string{"role": role.String()}
	if _, _, err := c.audit(ctx, e, 0); err != nil {
		return m, err
	}
	c.log.InfoContext(ctx, "role changed", "by", actor.Member, "member", target, "role", role.String())
	return m, nil
}

// Broadcast sends text to every brand group chat (every group the bot has
// seen when no brand chat is set), audited. It returns how many chats it
// reached of how many.
func (c *Community) Broadcast(ctx context.Context, actor Actor, text string) (sent, total int, err error) {
	if err := actor.require("broadcast", bots.RoleManager); err != nil {
		return 0, 0, err
	}
	chats, err := c.members.Chats(ctx, ChatGroup)
	if err != nil {
		return 0, 0, err
	}
	branded := c.members.HasBrandChats()
	for _, ch := range chats {
		if branded && !c.members.IsBrandChat(ch.Platform, cmpOr(ch.Server, ch.ID)) {
			continue
		}
		total++
		if err := c.notify.Send(ctx, ch.Platform, bots.Address{ChatID: ch.ID}, bots.Reply{Text: text}); err != nil {
			c.log.WarnContext(ctx, "broadcast failed", "platform", ch.Platform, "chat", ch.ID, "err", err)
			continue
		}
		sent++
	}
	e := actor.entry("broadcast", 0)
	e.Args = map[string]string{"text": text, "chats": strconv.Itoa(sent)}
	if _, _, err := c.audit(ctx, e, 0); err != nil {
		return sent, total, err
	}
	c.log.InfoContext(ctx, "broadcast sent", "by", actor.Member, "chats", sent, "of", total)
	return sent, total, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// notifyMember tells a member something privately, in their language, on
// their first platform. n is a point amount the message names first.
// Failures are logged, not returned: the change the message reports has
// already happened.
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
	text := c.render(localeOr(m.Locale), key, args...)
	idt := m.Identities[0]
	if err := c.notify.Send(ctx, idt.Platform, bots.Address{UserID: idt.UserID}, bots.Reply{Text: text, Private: true}); err != nil {
		c.log.WarnContext(ctx, "notify failed", "member", id, "platform", idt.Platform, "err", err)
	}
}
