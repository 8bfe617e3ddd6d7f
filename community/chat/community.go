package chat

import (
	"context"
	"strings"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/loyalty"
)

// Register adds every community command, the free-text handler and the
// join/leave handlers to r, and the community's messages to its catalogue.
func (c *handlers) Register(r *bots.Router) {
	c.router = r
	r.Catalog().Add(bots.English, english)
	r.Catalog().Add(bots.Chinese, chinese)
	word := func(name string) bots.Arg { return bots.Arg{Name: name} }
	member := bots.Arg{Name: "member", Kind: bots.ArgMember}
	amount := bots.Arg{Name: "amount", Kind: bots.ArgInt, Min: 1, Max: 1_000_000}
	reason := bots.Arg{Name: "reason", Kind: bots.ArgText}
	grant := bots.Arg{Name: "grant", Kind: bots.ArgInt, Min: 1, Max: 1 << 53}
	periods := []string{"week", "month", "all"}
	if c.ugc != nil {
		periods = append(periods, "ambassadors")
	}
	for _, cmd := range []bots.Command{
		{Name: "start", Help: "cmd.start", Args: []bots.Arg{{Name: "payload", Optional: true, Hidden: true}}, Handler: bots.HandlerFunc(c.start)},
		{Name: "help", Help: "cmd.help", Handler: bots.HandlerFunc(c.help)},
		{Name: "points", Aliases: []string{"balance", "积分"}, Help: "cmd.points", Role: bots.RoleMember, Handler: bots.HandlerFunc(c.points)},
		{Name: "history", Help: "cmd.history", Role: bots.RoleMember, Args: []bots.Arg{{Name: "page", Kind: bots.ArgInt, Min: 1, Max: 1000, Optional: true}}, Handler: bots.HandlerFunc(c.history)},
		{Name: "checkin", Aliases: []string{"签到"}, Help: "cmd.checkin", Role: bots.RoleMember, Handler: bots.HandlerFunc(c.checkin)},
		{Name: "leaderboard", Aliases: []string{"top"}, Help: "cmd.leaderboard", Role: bots.RoleMember, Args: []bots.Arg{{Name: "period", Choices: periods, Optional: true}}, Handler: bots.HandlerFunc(c.leaderboard)},
		{Name: "rewards", Help: "cmd.rewards", Role: bots.RoleMember, Handler: bots.HandlerFunc(c.rewards)},
		{Name: "redeem", Help: "cmd.redeem", Role: bots.RoleMember, Args: []bots.Arg{word("item"), {Name: "action", Choices: []string{"confirm", "cancel"}, Optional: true}, {Name: "nonce", Optional: true, Hidden: true}}, Handler: bots.HandlerFunc(c.redeem)},
		{Name: "link", Help: "cmd.link", Role: bots.RoleMember, Args: []bots.Arg{{Name: "code", Optional: true}}, Handler: bots.HandlerFunc(c.link)},
		{Name: "lang", Help: "cmd.lang", Role: bots.RoleMember, Args: []bots.Arg{{Name: "language", Choices: []string{"en", "zh"}}}, Handler: bots.HandlerFunc(c.lang)},
		{Name: "profile", Help: "cmd.profile", Role: bots.RoleMember, Handler: bots.HandlerFunc(c.profile)},
		{Name: "export", Help: "cmd.export", Role: bots.RoleMember, Handler: bots.HandlerFunc(c.export)},
		{Name: "erase", Help: "cmd.erase", Role: bots.RoleMember, Args: []bots.Arg{{Name: "member", Kind: bots.ArgMember, Optional: true, Hidden: true}, {Name: "confirm", Choices: []string{"confirm"}, Optional: true, Hidden: true}}, Handler: bots.HandlerFunc(c.erase)},
		{Name: "give", Help: "cmd.give", Role: bots.RoleManager, Args: []bots.Arg{member, amount, reason}, Handler: bots.HandlerFunc(c.give)},
		{Name: "take", Help: "cmd.take", Role: bots.RoleManager, Args: []bots.Arg{member, amount, reason}, Handler: bots.HandlerFunc(c.take)},
		{Name: "role", Help: "cmd.role", Role: bots.RoleManager, Args: []bots.Arg{member, {Name: "role", Choices: []string{"member", "ambassador", "manager"}}}, Handler: bots.HandlerFunc(c.setRole)},
		{Name: "redemptions", Help: "cmd.redemptions", Role: bots.RoleManager, Handler: bots.HandlerFunc(c.redemptions)},
		{Name: "fulfil", Aliases: []string{"fulfill"}, Help: "cmd.fulfil", Role: bots.RoleManager, Args: []bots.Arg{word("code"), {Name: "note", Kind: bots.ArgText, Optional: true}}, Handler: bots.HandlerFunc(c.fulfil)},
		{Name: "cancel", Help: "cmd.cancel", Role: bots.RoleManager, Args: []bots.Arg{word("code"), {Name: "reason", Kind: bots.ArgText, Optional: true}}, Handler: bots.HandlerFunc(c.cancel)},
		{Name: "broadcast", Help: "cmd.broadcast", Role: bots.RoleManager, Args: []bots.Arg{{Name: "text", Kind: bots.ArgText, Max: 3500}}, Handler: bots.HandlerFunc(c.broadcast)},
		{Name: "grants", Help: "cmd.grants", Role: bots.RoleOwner, Handler: bots.HandlerFunc(c.grants)},
		{Name: "approve-grant", Help: "cmd.approve_grant", Role: bots.RoleOwner, Args: []bots.Arg{grant}, Handler: bots.HandlerFunc(c.approveGrant)},
		{Name: "reject-grant", Help: "cmd.reject_grant", Role: bots.RoleOwner, Args: []bots.Arg{grant}, Handler: bots.HandlerFunc(c.rejectGrant)},
		{Name: "audit", Help: "cmd.audit", Role: bots.RoleOwner, Args: []bots.Arg{{Name: "member", Kind: bots.ArgMember, Optional: true}}, Handler: bots.HandlerFunc(c.auditLog)},
		{Name: "setup", Help: "cmd.setup", Role: bots.RoleOwner, Args: []bots.Arg{{Name: "setting", Choices: []string{"off"}, Optional: true}}, Handler: bots.HandlerFunc(c.setup)},
	} {
		r.Handle(cmd)
	}
	if c.ugc != nil {
		c.registerUGC(r)
	}
	if c.assistant != nil {
		c.registerSupport(r)
	}
	if c.orders != nil {
		c.registerShop(r)
	}
	r.HandleText(bots.HandlerFunc(c.message))
	r.HandleJoin(bots.HandlerFunc(c.join))
	r.HandleLeave(bots.HandlerFunc(c.leave))
}

// Signup returns middleware that pays the signup bonus to members the
// event registered. Install it after bots.Identify.
func (c *handlers) Signup() bots.Middleware {
	return func(next bots.Handler) bots.Handler {
		return bots.HandlerFunc(func(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
			// A newcomer linking to an existing wallet is not a new member:
			// no second signup bonus (a failed link pays it on /start).
			if ev.NewMember && !linking(ev) {
				if _, err := c.community.Signup(ctx, ev.Member); err != nil {
					return nil, err
				}
			}
			return next.Handle(ctx, ev)
		})
	}
}

// linking reports whether ev links this account to another wallet:
// "/link <code>", or "/start link_<code>" from a Telegram deep link.
func linking(ev *bots.Event) bool {
	switch {
	case ev.Command == "link" && len(ev.Args) > 0:
		return true
	case ev.Command == "start" && len(ev.Args) > 0:
		return strings.HasPrefix(ev.Args[0], "link_")
	}
	return false
}

// personal marks replies private when configured to keep personal data out of groups.
func (c *handlers) personal(ev *bots.Event, rs []bots.Reply) []bots.Reply {
	if c.cfg.PrivateReplies && !ev.Private() {
		for i := range rs {
			rs[i].Private = true
		}
	}
	return rs
}

func acct(ev *bots.Event) loyalty.AccountID { return loyalty.Member(ev.Member) }
