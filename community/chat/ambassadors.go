package chat

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/community"
	"github.com/loyalbot/loyalbot/ugc"
)

// Ambassadors is the ambassador programme: /ambassador apply for members; approve, reject and /ambassadors for managers.
type Ambassadors struct{ *base }

// Register adds the commands to r.
func (c *Ambassadors) Register(r *bots.Router) {
	ambassadorsMessages.addTo(r)
	r.Handle(bots.Command{
		Name: "ambassador", Help: "cmd.ambassador", Role: bots.RoleMember,
		Args: []bots.Arg{{Name: "action", Choices: []string{"apply", "approve", "reject"}}, {Name: "rest", Kind: bots.ArgText, Optional: true}},
		Variants: []bots.Variant{{
			Args: []bots.Arg{{Name: "action", Choices: []string{"approve", "reject"}}, {Name: "member", Kind: bots.ArgMember, Optional: true}},
			Help: "cmd.ambassador_decide", Role: bots.RoleManager,
		}},
		Handler: bots.HandlerFunc(c.ambassador),
	})
	r.Handle(bots.Command{Name: "ambassadors", Help: "cmd.ambassadors", Role: bots.RoleManager, Handler: bots.HandlerFunc(c.ambassadors)})
}

// ambassador handles "/ambassador apply [why]" for members and
// "/ambassador approve|reject @member" for managers.
func (c *Ambassadors) ambassador(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	if ev.Arg("action") == "apply" {
		if ev.Role >= bots.RoleAmbassador {
			return bots.Say(ev, "ambassador.already"), nil
		}
		_, err := c.ugc.Ambassadors().Apply(ctx, ev.Member, ev.Arg("rest"))
		if errors.Is(err, ugc.ErrApplied) {
			return bots.Say(ev, "ambassador.pending"), nil
		}
		if err != nil {
			return nil, err
		}
		return bots.Say(ev, "ambassador.applied"), nil
	}
	if ev.Role < bots.RoleManager {
		return nil, bots.Errorf("error.forbidden", "ambassador "+ev.Arg("action"), ev.T("role.manager"))
	}
	toks, _ := bots.Tokenize(ev.Arg("rest"))
	if len(toks) == 0 {
		return c.applications(ctx, ev)
	}
	target, err := c.members.LookupMention(ctx, ev.Platform, toks[0])
	if err != nil {
		return nil, bots.Errorf("error.unknown_member", toks[0])
	}
	approve := ev.Arg("action") == "approve"
	err = c.admin.DecideAmbassador(ctx, community.ActorOf(ev), target, approve)
	switch {
	case errors.Is(err, ugc.ErrNotFound):
		return bots.Say(ev, "ambassador.no_application", toks[0]), nil
	case err != nil:
		return nil, err
	case !approve:
		return bots.Say(ev, "ambassador.rejected", toks[0]), nil
	}
	return bots.Say(ev, "ambassador.approved", toks[0]), nil
}

func (c *Ambassadors) applications(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	apps, err := c.ugc.Ambassadors().Applications(ctx)
	if err != nil {
		return nil, err
	}
	if len(apps) == 0 {
		return bots.Say(ev, "applications.empty"), nil
	}
	var out []bots.Reply
	for _, a := range apps {
		m, err := c.members.Get(ctx, a.Member)
		if err != nil {
			return nil, err
		}
		handle := "#" + strconv.FormatUint(m.ID, 10)
		for _, id := range m.Identities {
			if id.Platform == ev.Platform && id.Handle != "" {
				handle = "@" + id.Handle
			}
		}
		out = append(out, bots.Reply{Text: ev.T("applications.item", m.Name, date(a.Created, c.loc), a.Why), Buttons: [][]bots.Button{{
			{Label: ev.T("button.approve"), Data: "/ambassador approve " + handle},
			{Label: ev.T("button.reject"), Data: "/ambassador reject " + handle},
		}}})
	}
	return out, nil
}

// ambassadors lists ambassadors with their level and last 30 days.
func (c *Ambassadors) ambassadors(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	rows, err := c.community.Ambassadors(ctx, c.now().AddDate(0, 0, -30))
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return bots.Say(ev, "ambassadors.empty"), nil
	}
	lines := []string{ev.T("ambassadors.header")}
	for _, r := range rows {
		lines = append(lines, ev.T("ambassadors.line", r.Name, r.Level.Name, r.Activity.Approved, r.Activity.Pending, ev.TN("n.referrals", int64(r.Activity.Referrals), r.Activity.Referrals), pts(ev, r.Activity.Points)))
	}
	return []bots.Reply{{Text: strings.Join(lines, "\n")}}, nil
}

// ambassadorsMessages are the messages ambassadors.go renders.
var ambassadorsMessages = messages{
	bots.English: {
		"cmd.ambassador_decide":     "open ambassador applications, or approve or reject one",
		"ambassador.already":        "You're already an ambassador. Share your posts with /submit <url>.",
		"ambassador.pending":        "Your application is already with the team.",
		"ambassador.applied":        "📨 Thanks! Your application is with the team.",
		"ambassador.no_application": "%s has no open application.",
		"ambassador.approved":       "%s is now an ambassador.",
		"ambassador.rejected":       "Application of %s declined.",
		"applications.empty":        "No open ambassador applications.",
		"applications.item":         "🙋 %s applied on %s: %s",
		"ambassadors.empty":         "No ambassadors yet.",
		"ambassadors.header":        "Ambassadors, last 30 days:",
		"ambassadors.line":          "%s (%s): %d approved, %d pending, %s, %s",
	},
	bots.Chinese: {
		"cmd.ambassador_decide":     "查看待处理的大使申请，或通过、拒绝某人的申请",
		"ambassador.already":        "你已经是品牌大使了。发帖后用 /submit <链接> 提交。",
		"ambassador.pending":        "你的申请已在审核中。",
		"ambassador.applied":        "📨 谢谢！你的申请已提交给团队。",
		"ambassador.no_application": "%s 没有待处理的申请。",
		"ambassador.approved":       "%s 现在是品牌大使了。",
		"ambassador.rejected":       "已拒绝 %s 的申请。",
		"applications.empty":        "没有待处理的大使申请。",
		"applications.item":         "🙋 %s 于 %s 申请：%s",
		"ambassadors.empty":         "还没有品牌大使。",
		"ambassadors.header":        "品牌大使（近 30 天）：",
		"ambassadors.line":          "%s（%s）：通过 %d，待审 %d，%s，%s",
	},
}
