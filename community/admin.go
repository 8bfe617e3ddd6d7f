package community

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/community/support"
	"github.com/loyalbot/loyalbot/loyalty"
	"github.com/loyalbot/loyalbot/loyalty/orders"
)

// pointsArg is a point amount in a message to someone other than the
// sender of the event at hand: render shows it in the recipient's
// language ("1 point", "1,000 积分").
type pointsArg int64

func pointsN(n int64) pointsArg { return pointsArg(n) }

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

// day returns the community's current date as YYYY-MM-DD.
func (c *Community) day() string { d, _ := c.today(); return d }

// AdjustPoints gives or takes points, as a manager. It returns a
// *ForbiddenError for an actor below manager, ErrSelf for a manager
// adjusting their own points (owners may; it is audited like anything
// else), ErrNoMember for an unknown target, and the ledger's
// *InsufficientFundsError for a take above what the member has. A grant
// past the manager's daily limit waits for the owner (Result.Awaiting).
// Every call is audited; the target is told privately.
func (c *Admin) AdjustPoints(ctx context.Context, a Adjustment) (AdjustResult, error) {
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
		c.tell.managers(ctx, true, []bots.Button{{Label: "button.approve_grant", Data: "/approve-grant " + strconv.FormatUint(rec.ID, 10)},
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
		c.tell.member(ctx, loyalty.Member(target.ID), "notify."+action, pointsN(a.Amount), a.Reason)
	}
	return res, nil
}

// DecideGrant approves (paying it) or rejects a grant that waits for the
// owner. It returns a *ForbiddenError below owner and ErrNotPending for an
// id that is not a waiting grant.
func (c *Admin) DecideGrant(ctx context.Context, actor Actor, id uint64, approve bool) (AuditEntry, error) {
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
		c.tell.member(ctx, loyalty.Member(e.Target), "notify.give", pointsN(e.Amount), e.Args["reason"])
		c.tell.member(ctx, loyalty.Member(e.Actor), "notify.grant_approved", id, pointsN(e.Amount))
	} else {
		c.tell.member(ctx, loyalty.Member(e.Actor), "notify.grant_rejected", id, pointsN(e.Amount))
	}
	return e, nil
}

// SetRole changes a member's role. The owner may appoint managers;
// managers may only move members between member and ambassador. Nobody
// changes their own role or the owner's. It returns a *ForbiddenError
// otherwise, and ErrSelf for the actor's own role; the change is audited.
func (c *Admin) SetRole(ctx context.Context, actor Actor, target uint64, role bots.Role) (Member, error) {
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
func (c *Admin) Broadcast(ctx context.Context, actor Actor, text string) (sent, total int, err error) {
	if err := actor.require("broadcast", bots.RoleManager); err != nil {
		return 0, 0, err
	}
	chats, err := c.members.Chats(ctx, ChatGroup)
	if err != nil {
		return 0, 0, err
	}
	branded := c.members.HasBrandChats()
	for _, ch := range chats {
		if branded && !c.members.IsBrandChat(ch.Platform, cmp.Or(ch.Server, ch.ID)) {
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

// Setup adds the chat an owner is in to the brand chats (on), or removes
// it, audited. For a Discord channel the whole server is the brand chat.
// It returns a *ForbiddenError below owner and reports whether anything
// changed (a configured chat stays).
func (c *Admin) Setup(ctx context.Context, actor Actor, platform, id string, on bool) (bool, error) {
	if err := actor.require("setup", bots.RoleOwner); err != nil {
		return false, err
	}
	changed, err := c.members.setBrandChat(ctx, BrandChat{Platform: platform, ID: id, AddedBy: actor.Member, Added: c.now()}, on)
	if err != nil || !changed {
		return changed, err
	}
	e := actor.entry("setup", 0)
	e.Args = map[string]string{"platform": platform, "chat": id, "on": fmt.Sprint(on)}
	_, _, err = c.audit(ctx, e, 0)
	return true, err
}

// UnlinkShop removes a member's shop links, as a manager (so another
// member can link that customer), and takes back the points those
// customers' orders earned the member (orders.Service.Unlink). It returns a
// *ForbiddenError below manager. It is audited: done, with the points taken
// back as the entry's Amount and Effect, or refused when the member had no
// shop link. When taking the points back stops midway, the links are gone
// and the orders marked: the error is returned with what was done, and the
// orders' Resume finishes the rest at start-up.
func (c *Admin) UnlinkShop(ctx context.Context, actor Actor, member uint64) (orders.UnlinkResult, error) {
	if err := actor.require("shop unlink", bots.RoleManager); err != nil {
		return orders.UnlinkResult{}, err
	}
	m, err := c.members.Get(ctx, member)
	if err != nil {
		return orders.UnlinkResult{}, fmt.Errorf("shop unlink member %d: %w", member, err)
	}
	res, uerr := c.orders.Unlink(ctx, m.ID, m.Merged...)
	if uerr != nil && len(res.Customers) == 0 {
		return res, uerr
	}
	e := actor.entry("shop", m.ID)
	e.Args = map[string]string{"unlink": strings.Join(res.Customers, ",")}
	if len(res.Customers) == 0 {
		e.Outcome, e.Note = OutcomeRefused, "no shop account linked"
	} else {
		e.Amount = res.Taken
		e.Effect = fmt.Sprintf("points taken back: %d", res.Taken)
		if res.Short > 0 {
			e.Effect += fmt.Sprintf(", already spent: %d", res.Short)
		}
		if uerr != nil {
			e.Note = "interrupted while taking points back (finished at start-up): " + uerr.Error()
		}
	}
	if _, _, err := c.audit(ctx, e, 0); err != nil {
		return res, errors.Join(uerr, err)
	}
	if len(res.Customers) > 0 {
		c.tell.member(ctx, loyalty.Member(m.ID), "notify.shop_unlinked", pointsN(res.Taken))
	}
	return res, uerr
}

// CloseRedemption fulfils a redemption (the reward was handed out) or,
// with cancel, cancels it: its points and stock go back. It returns a
// *ForbiddenError below manager and the ledger's ErrNotFound and
// ErrRedemptionClosed; a redemption closed before by the same action is a
// replay (Redemption.Replay). Audited; the member is told.
func (c *Admin) CloseRedemption(ctx context.Context, actor Actor, code, note string, cancel bool, key string) (loyalty.Redemption, error) {
	op, close := "fulfil", c.ledger.Fulfil
	if cancel {
		op, close = "cancel", c.ledger.Cancel
	}
	if err := actor.require(op, bots.RoleManager); err != nil {
		return loyalty.Redemption{}, err
	}
	rd, err := close(ctx, code, note)
	if err != nil || rd.Replay {
		return rd, err
	}
	c.log.InfoContext(ctx, "redemption closed", "op", op, "manager", actor.Member, "code", rd.Code, "note", note)
	target, _ := rd.Account.MemberID()
	e := actor.entry(op, target)
	shown := loyalty.FormatCode(rd.Code)
	e.Args, e.Key = map[string]string{"code": shown, "note": note}, key
	if _, _, err := c.audit(ctx, e, 0); err != nil {
		return rd, err
	}
	c.tell.member(ctx, rd.Account, "notify."+op, shown, pointsN(rd.Cost), note)
	return rd, nil
}

// ReplyTicket adds a manager's answer to a ticket and delivers it to the
// member privately, on the platform they asked from. delivered is false
// when it could not be delivered (the answer stays on the ticket). It
// returns a *ForbiddenError below manager and support.ErrNoTicket. Audited.
func (c *Admin) ReplyTicket(ctx context.Context, actor Actor, id uint64, text, key string) (tk support.Ticket, delivered bool, err error) {
	if err := actor.require("reply", bots.RoleManager); err != nil {
		return support.Ticket{}, false, err
	}
	if tk, err = c.tickets.Reply(ctx, id, actor.Name, text); err != nil {
		return tk, false, err
	}
	e := actor.entry("reply", tk.Member)
	e.Args, e.Key = map[string]string{"ticket": strconv.FormatUint(tk.ID, 10), "text": text}, key
	if _, _, err := c.audit(ctx, e, 0); err != nil {
		return tk, false, err
	}
	if c.notify == nil {
		return tk, false, nil
	}
	locale := bots.English
	if m, err := c.members.Get(ctx, tk.Member); err == nil && m.Locale != "" {
		locale = m.Locale
	}
	reply := bots.Reply{Text: c.tell.render(locale, "support.reply", tk.ID, text), Private: true}
	if err := c.notify.Send(ctx, tk.Platform, bots.Address{UserID: tk.UserID}, reply); err != nil {
		c.log.WarnContext(ctx, "ticket reply not delivered", "ticket", tk.ID, "platform", tk.Platform, "err", err)
		return tk, false, nil
	}
	return tk, true, nil
}

// Closed is a ticket that was closed, and the FAQ entry proposed from it.
type Closed struct {
	Ticket     support.Ticket
	Suggestion *support.Suggestion // nil when no manager answered
	// Similar is the FAQ entry that already answers the suggested
	// question offline, if one does.
	Similar string
}

// CloseTicket closes a support ticket and, when a manager answered it,
// proposes an FAQ entry from it (names, order numbers and contact
// details taken out) for /faq accept. It returns a *ForbiddenError below
// manager, support.ErrNoTicket, and support.ErrClosed for a ticket closed
// before (nothing is audited then).
func (c *Admin) CloseTicket(ctx context.Context, actor Actor, id uint64, key string) (Closed, error) {
	if err := actor.require("close", bots.RoleManager); err != nil {
		return Closed{}, err
	}
	tk, s, proposed, err := c.tickets.Close(ctx, id)
	if err != nil {
		return Closed{Ticket: tk}, err
	}
	out := Closed{Ticket: tk}
	if proposed {
		out.Suggestion, out.Similar = &s, c.similar(s)
	}
	if c.assistant != nil {
		c.assistant.Forget(tk.Member) // the next ticket starts from what they ask next
	}
	e := actor.entry("close", tk.Member)
	e.Args, e.Key = map[string]string{"ticket": strconv.FormatUint(tk.ID, 10)}, key
	if _, _, err = c.audit(ctx, e, 0); err != nil {
		return out, err
	}
	c.tell.member(ctx, loyalty.Member(tk.Member), "notify.ticket_closed", tk.ID)
	return out, nil
}

// BroadcastSegment sends text privately to every member linked to a shop
// customer in an RFM segment, except those who turned marketing off. It
// returns a *ForbiddenError below manager. Audited.
func (c *Admin) BroadcastSegment(ctx context.Context, actor Actor, segment, code, text string) (sent, optedOut int, err error) {
	if err := actor.require("broadcast", bots.RoleManager); err != nil {
		return 0, 0, err
	}
	links, err := c.orders.Links(ctx)
	if err != nil {
		return 0, 0, err
	}
	a, err := c.ShopInsights(ctx)
	if err != nil {
		return 0, 0, err
	}
	for _, r := range a.RFM {
		member, ok := links[r.Customer]
		if !ok || r.Segment != segment {
			continue
		}
		m, err := c.members.Get(ctx, member)
		if err != nil || len(m.Identities) == 0 || c.notify == nil {
			continue
		}
		if m.NoMarketing || !m.Consent { // marketing needs a yes: opted out, or never answered
			optedOut++
			continue
		}
		idt := m.Identities[0]
		if err := c.notify.Send(ctx, idt.Platform, bots.Address{UserID: idt.UserID}, bots.Reply{Text: text, Private: true}); err != nil {
			c.log.WarnContext(ctx, "segment message not delivered", "member", member, "err", err)
			continue
		}
		sent++
	}
	e := actor.entry("broadcast", 0)
	e.Args = map[string]string{"segment": code, "text": text}
	if _, _, err := c.audit(ctx, e, 0); err != nil {
		return sent, optedOut, err
	}
	c.log.InfoContext(ctx, "segment broadcast", "by", actor.Member, "segment", segment, "sent", sent, "opted_out", optedOut)
	return sent, optedOut, nil
}

// DecideAmbassador approves or rejects a member's application to the
// ambassador programme; an approved member becomes an ambassador (a higher
// role stays). It returns a *ForbiddenError below manager and
// ugc.ErrNotFound when the member has no application. Audited; the member
// is told.
func (c *Admin) DecideAmbassador(ctx context.Context, actor Actor, target uint64, approve bool) error {
	decision := "reject"
	if approve {
		decision = "approve"
	}
	if err := actor.require("ambassador "+decision, bots.RoleManager); err != nil {
		return err
	}
	if _, err := c.ugc.Ambassadors().Decide(ctx, target, approve, actor.Member); err != nil {
		return err
	}
	e := actor.entry("ambassador", target)
	e.Args = map[string]string{"decision": decision}
	if _, _, err := c.audit(ctx, e, 0); err != nil {
		return err
	}
	if !approve {
		c.tell.member(ctx, loyalty.Member(target), "notify.ambassador_rejected")
		return nil
	}
	if _, err := c.members.Update(ctx, target, func(m *Member) error {
		m.Role = RoleAt(max(m.Role.Level(), bots.RoleAmbassador))
		return nil
	}); err != nil {
		return err
	}
	c.log.InfoContext(ctx, "ambassador approved", "by", actor.Member, "member", target)
	c.tell.member(ctx, loyalty.Member(target), "notify.ambassador_approved")
	return nil
}

func (c *Admin) auditEntry(ctx context.Context, id uint64) (AuditEntry, error) {
	if err := ctx.Err(); err != nil {
		return AuditEntry{}, err
	}
	var e AuditEntry
	err := c.members.store.View(ctx, func(tx ReadTx) error {
		var err error
		e, err = getAudit(tx, id)
		return err
	})
	return e, err
}

// Limits returns what managers may do without the owner.
func (c *Admin) Limits() Limits { return c.limits }
