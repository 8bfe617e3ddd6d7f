package community

import (
	"context"
	"strconv"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/community/support"
	"github.com/loyalbot/loyalbot/loyalty"
	"github.com/loyalbot/loyalbot/ugc"
)

// CloseRedemption fulfils a redemption (the reward was handed out) or,
// with cancel, cancels it: its points and stock go back. It returns a
// *ForbiddenError below manager and the ledger's ErrNotFound and
// ErrRedemptionClosed; a redemption closed before by the same action is a
// replay (Redemption.Replay). Audited; the member is told.
func (c *Community) CloseRedemption(ctx context.Context, actor Actor, code, note string, cancel bool, key string) (loyalty.Redemption, error) {
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
	c.notifyMember(ctx, rd.Account, "notify."+op, shown, pointsN(rd.Cost), note)
	return rd, nil
}

// ReplyTicket adds a manager's answer to a ticket and delivers it to the
// member privately, on the platform they asked from. delivered is false
// when it could not be delivered (the answer stays on the ticket). It
// returns a *ForbiddenError below manager and support.ErrNoTicket. Audited.
func (c *Community) ReplyTicket(ctx context.Context, actor Actor, id uint64, text, key string) (tk support.Ticket, delivered bool, err error) {
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
	reply := bots.Reply{Text: c.render(locale, "support.reply", tk.ID, text), Private: true}
	if err := c.notify.Send(ctx, tk.Platform, bots.Address{UserID: tk.UserID}, reply); err != nil {
		c.log.WarnContext(ctx, "ticket reply not delivered", "ticket", tk.ID, "platform", tk.Platform, "err", err)
		return tk, false, nil
	}
	return tk, true, nil
}

// CloseTicket closes a support ticket. It returns a *ForbiddenError below
// manager, support.ErrNoTicket, and support.ErrClosed for a ticket closed
// before (nothing is audited then).
func (c *Community) CloseTicket(ctx context.Context, actor Actor, id uint64, key string) (support.Ticket, error) {
	if err := actor.require("close", bots.RoleManager); err != nil {
		return support.Ticket{}, err
	}
	tk, err := c.tickets.Close(ctx, id)
	if err != nil {
		return tk, err
	}
	e := actor.entry("close", tk.Member)
	e.Args, e.Key = map[string]string{"ticket": strconv.FormatUint(tk.ID, 10)}, key
	_, _, err = c.audit(ctx, e, 0)
	return tk, err
}

// BroadcastSegment sends text privately to every member linked to a shop
// customer in an RFM segment, except those who turned marketing off. It
// returns a *ForbiddenError below manager. Audited.
func (c *Community) BroadcastSegment(ctx context.Context, actor Actor, segment, code, text string) (sent, optedOut int, err error) {
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
		if m.NoMarketing {
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

// QualifyReferral pays a pending referral of member once they checked in
// for the first time, and tells the referrer (name is how the newcomer is
// called). paid reports whether this call paid it.
func (c *Community) QualifyReferral(ctx context.Context, member uint64, name string) (ref ugc.Referral, paid bool, err error) {
	if c.ugc == nil {
		return ugc.Referral{}, false, nil
	}
	ref, paid, err = c.ugc.Qualify(ctx, member)
	if err != nil || !paid {
		return ref, paid, err
	}
	c.log.InfoContext(ctx, "referral qualified", "referrer", ref.Referrer, "referee", ref.Referee, "paid", ref.Paid)
	c.notifyMember(ctx, loyalty.Member(ref.Referrer), "notify.referral", name, pointsN(ref.Paid))
	return ref, true, nil
}

// DecideAmbassador approves or rejects a member's application to the
// ambassador programme; an approved member becomes an ambassador (a higher
// role stays). It returns a *ForbiddenError below manager and
// ugc.ErrNotFound when the member has no application. Audited; the member
// is told.
func (c *Community) DecideAmbassador(ctx context.Context, actor Actor, target uint64, approve bool) error {
	decision := "reject"
	if approve {
		decision = "approve"
	}
	if err := actor.require("ambassador "+decision, bots.RoleManager); err != nil {
		return err
	}
	if _, err := c.ugc.Decide(ctx, target, approve, actor.Member); err != nil {
		return err
	}
	e := actor.entry("ambassador", target)
	e.Args = map[string]string{"decision": decision}
	if _, _, err := c.audit(ctx, e, 0); err != nil {
		return err
	}
	if !approve {
		c.notifyMember(ctx, loyalty.Member(target), "notify.ambassador_rejected")
		return nil
	}
	if _, err := c.members.Update(ctx, target, func(m *Member) error {
		m.Role = RoleAt(max(m.Role.Level(), bots.RoleAmbassador))
		return nil
	}); err != nil {
		return err
	}
	c.log.InfoContext(ctx, "ambassador approved", "by", actor.Member, "member", target)
	c.notifyMember(ctx, loyalty.Member(target), "notify.ambassador_approved")
	return nil
}

// Limits returns what managers may do without the owner.
func (c *Community) Limits() Limits { return c.limits }

// Support returns the customer service the community was given (nil
// without WithSupport), for the chat surface that answers questions.
func (c *Community) Support() (*support.Assistant, *support.Tickets) { return c.assistant, c.tickets }
