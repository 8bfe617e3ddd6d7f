package chat

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/community"
	"github.com/loyalbot/loyalbot/loyalty"
)

// Admin is the tools of managers and owners: /give, /take, /role, grants past the daily limit, /audit and /setup.
type Admin struct{ *base }

// Register adds the commands to r.
func (c *Admin) Register(r *bots.Router) {
	adminMessages.addTo(r)
	member := bots.Arg{Name: "member", Kind: bots.ArgMember}
	amount := bots.Arg{Name: "amount", Kind: bots.ArgInt, Min: 1, Max: 1_000_000}
	reason := bots.Arg{Name: "reason", Kind: bots.ArgText}
	grant := bots.Arg{Name: "grant", Kind: bots.ArgInt, Min: 1, Max: 1 << 53}
	r.Handle(bots.Command{Name: "give", Help: "cmd.give", Role: bots.RoleManager, Args: []bots.Arg{member, amount, reason}, Handler: bots.HandlerFunc(c.give)})
	r.Handle(bots.Command{Name: "take", Help: "cmd.take", Role: bots.RoleManager, Args: []bots.Arg{member, amount, reason}, Handler: bots.HandlerFunc(c.take)})
	r.Handle(bots.Command{Name: "role", Help: "cmd.role", Role: bots.RoleManager, Args: []bots.Arg{member, {Name: "role", Choices: []string{"member", "ambassador", "manager"}}}, Handler: bots.HandlerFunc(c.setRole)})
	r.Handle(bots.Command{Name: "grants", Help: "cmd.grants", Role: bots.RoleOwner, Handler: bots.HandlerFunc(c.grants)})
	r.Handle(bots.Command{Name: "approve-grant", Help: "cmd.approve_grant", Role: bots.RoleOwner, Args: []bots.Arg{grant}, Handler: bots.HandlerFunc(c.approveGrant)})
	r.Handle(bots.Command{Name: "reject-grant", Help: "cmd.reject_grant", Role: bots.RoleOwner, Args: []bots.Arg{grant}, Handler: bots.HandlerFunc(c.rejectGrant)})
	r.Handle(bots.Command{Name: "audit", Help: "cmd.audit", Role: bots.RoleOwner, Args: []bots.Arg{{Name: "member", Kind: bots.ArgMember, Optional: true}}, Handler: bots.HandlerFunc(c.auditLog)})
	r.Handle(bots.Command{Name: "setup", Help: "cmd.setup", Role: bots.RoleOwner, Args: []bots.Arg{{Name: "setting", Choices: []string{"off"}, Optional: true}}, Handler: bots.HandlerFunc(c.setup)})
}

// give grants points to a member, with a reason, audit-logged.
func (c *Admin) give(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	return c.adjust(ctx, ev, false)
}

// take deducts points from a member, with a reason, audit-logged.
func (c *Admin) take(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	return c.adjust(ctx, ev, true)
}

func (c *Admin) adjust(ctx context.Context, ev *bots.Event, take bool) ([]bots.Reply, error) {
	kind := "give"
	if take {
		kind = "take"
	}
	target := ev.ArgMember("member")
	n, reason := ev.ArgInt("amount"), ev.Arg("reason")
	res, err := c.admin.AdjustPoints(ctx, community.Adjustment{Actor: community.ActorOf(ev), Target: target, Amount: n, Take: take, Reason: reason, Key: ev.Key(kind)})
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
		return bots.Say(ev, "give.awaiting", pts(ev, n), names[target], pts(ev, c.admin.Limits().ManagerDailyPoints), pts(ev, res.Used), res.Awaiting.ID), nil
	}
	return bots.Say(ev, kind+".ok", pts(ev, n), names[target], reason, pts(ev, res.Balance)), nil
}

func (c *Admin) approveGrant(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	return c.decideGrant(ctx, ev, true)
}

func (c *Admin) rejectGrant(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	return c.decideGrant(ctx, ev, false)
}

func (c *Admin) decideGrant(ctx context.Context, ev *bots.Event, approve bool) ([]bots.Reply, error) {
	id := uint64(ev.ArgInt("grant"))
	e, err := c.admin.DecideGrant(ctx, community.ActorOf(ev), id, approve)
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
func (c *Admin) grants(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
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
func (c *Admin) setRole(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	role, _ := bots.ParseRole(ev.Arg("role"))
	m, err := c.admin.SetRole(ctx, community.ActorOf(ev), ev.ArgMember("member"), role)
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

// auditLog is /audit [@member]: the latest manager actions, for owners.
func (c *Admin) auditLog(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	es, err := c.community.AuditLog(ctx, ev.ArgMember("member"), 20)
	if err != nil {
		return nil, err
	}
	if len(es) == 0 {
		return bots.SayPrivately(ev, "audit.empty"), nil
	}
	var ids []uint64
	for _, e := range es {
		ids = append(ids, e.Actor, e.Target)
	}
	names, err := c.members.Names(ctx, ids)
	if err != nil {
		return nil, err
	}
	lines := []string{ev.T("audit.header")}
	for _, e := range es {
		who := names[e.Actor]
		if e.Platform != "" {
			who += " (" + e.Platform + " " + e.UserID + ")"
		}
		line := ev.T("audit.line", e.ID, e.Time.In(c.loc).Format("2006-01-02 15:04"), who, "/"+e.Action)
		if e.Target != 0 {
			line += " → " + names[e.Target]
		}
		if e.Amount != 0 {
			line += " " + pts(ev, e.Amount)
		}
		for _, k := range sortedKeys(e.Args) {
			v := e.Args[k]
			if v == "" {
				continue
			}
			// "reason=…": the argument's name in the reader's language
			// where the catalogue has one, else just the value.
			if ev.HasMessage("arg." + k) {
				line += " " + ev.T("arg."+k) + "=" + strconv.Quote(v)
			} else {
				line += " " + strconv.Quote(v)
			}
		}
		line += " [" + ev.T("outcome."+strings.ReplaceAll(e.Outcome, " ", "_")) + "]"
		lines = append(lines, line)
	}
	return []bots.Reply{{Text: strings.Join(lines, "\n"), Private: true}}, nil
}

// setup is /setup [off]: in a group, make this chat (or Discord server) a
// brand chat or stop it being one; privately, list the brand chats.
func (c *Admin) setup(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	if ev.Private() {
		bcs := c.members.BrandChats()
		if len(bcs) == 0 {
			return bots.Say(ev, "setup.none"), nil
		}
		lines := []string{ev.T("setup.header")}
		for _, bc := range bcs {
			key := "setup.line"
			if bc.Config {
				key = "setup.line_config"
			}
			lines = append(lines, ev.T(key, bc.Platform, bc.ID))
		}
		return []bots.Reply{{Text: strings.Join(lines, "\n")}}, nil
	}
	id := cmp.Or(ev.Server, ev.ChatID)
	on := ev.Arg("setting") != "off"
	changed, err := c.admin.Setup(ctx, community.ActorOf(ev), ev.Platform, id, on)
	if err != nil {
		return nil, err
	}
	switch {
	case on && changed:
		return bots.Say(ev, "setup.on"), nil
	case on:
		return bots.Say(ev, "setup.already"), nil
	case changed:
		return bots.Say(ev, "setup.off"), nil
	case c.members.IsBrandChat(ev.Platform, id):
		return bots.Say(ev, "setup.config"), nil
	}
	return bots.Say(ev, "setup.not"), nil
}

// adminMessages are the messages admin.go renders.
var adminMessages = messages{
	bots.English: {
		"give.ok":                "Gave %s to %s (%s). Their balance: %s.",
		"take.ok":                "Took %s from %s (%s). Their balance: %s.",
		"take.short":             "%s has only %s available.",
		"adjust.self":            "You can't give or take your own points. Ask the owner.",
		"give.awaiting":          "Giving %s to %s would pass your daily limit of %s (%s given today). I've asked the owner to approve it (grant #%d).",
		"grant.approved":         "Grant #%d approved: %s paid to %s.",
		"grant.rejected":         "Grant #%d turned down; nothing paid.",
		"grant.not_pending":      "Grant #%d is not waiting for approval.",
		"grants.empty":           "No grants wait for your approval.",
		"grants.item":            "#%d: %s wants to give %s to %s (%s), %s",
		"role.ok":                "%s is now %s.",
		"audit.header":           "Manager actions, newest first:",
		"audit.line":             "#%d %s %s %s",
		"audit.empty":            "No manager actions recorded yet.",
		"outcome.started":        "started",
		"outcome.done":           "done",
		"outcome.awaiting_owner": "waiting for the owner",
		"outcome.owner_approved": "approved by the owner",
		"outcome.owner_rejected": "turned down by the owner",
		"outcome.refused":        "refused",
		"outcome.not_applied":    "not applied",
		"setup.on":               "✅ This chat now belongs to the community: its administrators are managers here.",
		"setup.already":          "This chat already belongs to the community.",
		"setup.off":              "This chat no longer belongs to the community: its administrators are not managers any more.",
		"setup.not":              "This chat was not part of the community.",
		"setup.config":           "This chat is set in the config file; remove it there.",
		"setup.none":             "No chat belongs to the community yet. Send /setup in your group to add it.",
		"setup.header":           "Chats that belong to the community:",
		"setup.line":             "• %s %s",
		"setup.line_config":      "• %s %s (config file)",
	},
	bots.Chinese: {
		"give.ok":                "已给 %[2]s 发放 %[1]s（%[3]s）。对方余额：%[4]s。",
		"take.ok":                "已从 %[2]s 扣除 %[1]s（%[3]s）。对方余额：%[4]s。",
		"take.short":             "%s 只有 %s可用。",
		"adjust.self":            "不能给自己发放或扣除积分，请联系创建者。",
		"give.awaiting":          "给 %[2]s 发放 %[1]s会超出你的每日额度 %[3]s（今天已发放 %[4]s）。已请创建者批准（发放 #%[5]d）。",
		"grant.approved":         "发放 #%d 已批准：已给 %[3]s 发放 %[2]s。",
		"grant.rejected":         "发放 #%d 已拒绝，没有发放积分。",
		"grant.not_pending":      "发放 #%d 不在等待批准的状态。",
		"grants.empty":           "没有等待你批准的发放。",
		"grants.item":            "#%d：%s 想给 %[4]s 发放 %[3]s（%[5]s），%[6]s",
		"role.ok":                "%s 现在是%s。",
		"audit.header":           "管理员操作记录（最新在前）：",
		"audit.line":             "#%d %s %s %s",
		"audit.empty":            "还没有管理员操作记录。",
		"outcome.started":        "进行中",
		"outcome.done":           "已完成",
		"outcome.awaiting_owner": "等待创建者批准",
		"outcome.owner_approved": "创建者已批准",
		"outcome.owner_rejected": "创建者已拒绝",
		"outcome.refused":        "未执行",
		"outcome.not_applied":    "未生效",
		"setup.on":               "✅ 这个群已设为社区的群：群管理员在这里是社区管理员。",
		"setup.already":          "这个群已经是社区的群了。",
		"setup.off":              "这个群不再属于社区：群管理员不再是社区管理员。",
		"setup.not":              "这个群本来就不属于社区。",
		"setup.config":           "这个群写在配置文件里，请在配置文件中删除。",
		"setup.none":             "还没有属于社区的群。在你的群里发送 /setup 即可添加。",
		"setup.header":           "属于社区的群：",
		"setup.line":             "• %s %s",
		"setup.line_config":      "• %s %s（配置文件）",
	},
}
