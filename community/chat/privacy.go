package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/community"
)

// Privacy is /profile, /export and /erase (and /erase @member for owners).
type Privacy struct{ *base }

// Register adds the commands to r.
func (c *Privacy) Register(r *bots.Router) {
	privacyMessages.addTo(r)
	r.Handle(bots.Command{Name: "profile", Help: "cmd.profile", Role: bots.RoleMember, Handler: bots.HandlerFunc(c.profile)})
	r.Handle(bots.Command{Name: "export", Help: "cmd.export", Role: bots.RoleMember, Handler: bots.HandlerFunc(c.export)})
	r.Handle(bots.Command{
		Name: "erase", Help: "cmd.erase", Role: bots.RoleMember,
		Args: []bots.Arg{{Name: "member", Kind: bots.ArgMember, Optional: true, Hidden: true}, {Name: "confirm", Choices: []string{"confirm"}, Optional: true, Hidden: true}},
		Variants: []bots.Variant{{
			Args: []bots.Arg{{Name: "member", Kind: bots.ArgMember}, {Name: "confirm", Choices: []string{"confirm"}, Optional: true}},
			Help: "cmd.erase_member", Role: bots.RoleOwner,
		}},
		Handler: bots.HandlerFunc(c.erase),
	})
}

// export sends the member everything loyalbot stores about them, as JSON.
func (c *Privacy) export(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	doc, err := c.community.ExportMember(ctx, ev.Member)
	if err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return []bots.Reply{{Text: ev.T("export.header") + "\n" + string(b), Private: true}}, nil
}

// erase is /erase [confirm], and /erase @member [confirm] for owners.
func (c *Privacy) erase(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	target := ev.Member
	data := "/erase confirm"
	if m := ev.ArgMember("member"); m != 0 {
		if ev.Role < bots.RoleOwner {
			return nil, bots.Errorf("error.forbidden", "erase @member", ev.T("role.owner"))
		}
		target, data = m, "/erase "+ev.Arg("member")+" confirm"
	}
	names, err := c.members.Names(ctx, []uint64{target})
	if err != nil {
		return nil, err
	}
	if ev.Arg("confirm") != "confirm" {
		text, label := ev.T("erase.confirm"), ev.T("button.erase")
		if target != ev.Member {
			text, label = ev.T("erase.confirm_other", names[target]), ev.T("button.erase_other")
		}
		return []bots.Reply{{Text: text, Private: true, Buttons: [][]bots.Button{{
			{Label: label, Data: data},
		}}}}, nil
	}
	if err := c.community.Erase(ctx, community.ActorOf(ev), target); err != nil {
		if errors.Is(err, community.ErrNoMember) {
			return bots.SayPrivately(ev, "erase.already"), nil
		}
		return nil, fmt.Errorf("erase member %d: %w", target, err)
	}
	if target != ev.Member {
		return []bots.Reply{{Text: ev.T("erase.done_other", names[target]), Private: true}}, nil
	}
	return []bots.Reply{{Text: ev.T("erase.done"), Private: true}}, nil
}

// profile shows everything loyalbot stores about the member.
func (c *Privacy) profile(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	m, err := c.members.Get(ctx, ev.Member)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, id := range m.Identities {
		s := id.Platform + " " + id.UserID
		if id.Handle != "" {
			s += " (@" + id.Handle + ")"
		}
		ids = append(ids, s)
	}
	locale := m.Locale
	if locale == "" {
		locale = ev.T("profile.auto")
	}
	onOff := func(on bool) string {
		if on {
			return ev.T("profile.on")
		}
		return ev.T("profile.off")
	}
	offers := onOff(m.Consent && !m.NoMarketing)
	if !m.Consent && !m.NoMarketing {
		offers = ev.T("profile.unanswered") // never said yes or no: no marketing
	}
	birthday, email := m.Birthday, m.Email
	if birthday == "" {
		birthday = "–"
	}
	if email == "" {
		email = "–"
	} else if m.EmailOff {
		email += " (" + ev.T("profile.unsubscribed") + ")"
	}
	text := ev.T("profile.text", m.ID, m.Name, ev.T("role.name."+ev.Role.String()), date(m.Joined, c.loc),
		date(m.LastActive, c.loc), locale, strings.Join(ids, ", "), ev.TN("n.days", int64(m.Streak), m.Streak),
		offers, onOff(!m.Muted), birthday, email)
	return c.personal(ev, []bots.Reply{{Text: text}}), nil
}

// privacyMessages are the messages privacy.go renders.
var privacyMessages = messages{
	bots.English: {
		"cmd.erase_member":     "erase a member's data, on their request",
		"profile.auto":         "automatic",
		"profile.text":         "Your profile\nMember id: %d\nName: %s\nRole: %s\nJoined: %s\nLast active: %s\nLanguage: %s\nAccounts: %s\nCheck-in streak: %s\nOffers (/marketing): %s\nReminders (/notifications): %s\nBirthday: %s\nE-mail: %s\nBesides this, loyalbot keeps your points history (/history), and your tickets, posts, orders, campaign progress and survey answers: /export shows them all.",
		"profile.on":           "on",
		"profile.off":          "off",
		"profile.unsubscribed": "unsubscribed",
		"profile.unanswered":   "not answered yet (/marketing on or off)",
		"export.header":        "Here is everything loyalbot stores about you:",
		"erase.confirm":        "This erases your name, your linked accounts and your settings, and forfeits your points. It cannot be undone. Send /erase confirm (or press the button) to go ahead.",
		"erase.confirm_other":  "This erases everything about %s — name, accounts, settings, points — on their request. It cannot be undone. Press the button to go ahead.",
		"erase.done":           "Your data has been erased. Thank you for being part of the community. 💚",
		"erase.done_other":     "%s's data has been erased.",
		"erase.already":        "That member's data was already erased.",
	},
	bots.Chinese: {
		"cmd.erase_member":     "应成员请求删除其数据",
		"profile.auto":         "自动",
		"profile.text":         "你的资料\n会员编号：%d\n名字：%s\n角色：%s\n加入时间：%s\n最近活跃：%s\n语言：%s\n账号：%s\n连续签到：%s\n优惠消息（/marketing）：%s\n提醒（/notifications）：%s\n生日：%s\n邮箱：%s\n此外，loyalbot 还保存你的积分记录（/history）、工单、帖子、订单、活动进度和调查回答：/export 可查看全部。",
		"profile.on":           "开",
		"profile.off":          "关",
		"profile.unsubscribed": "已退订",
		"profile.unanswered":   "尚未选择（/marketing on 或 off）",
		"export.header":        "以下是 loyalbot 保存的关于你的全部数据：",
		"erase.confirm":        "这将删除你的名字、绑定的账号和设置，并清空你的积分，且无法恢复。发送 /erase confirm（或点击按钮）确认。",
		"erase.confirm_other":  "这将按 %s 的请求删除其全部数据：名字、账号、设置和积分，且无法恢复。点击按钮确认。",
		"erase.done":           "你的数据已删除。感谢你曾是社区的一员。💚",
		"erase.done_other":     "%s 的数据已删除。",
		"erase.already":        "该成员的数据已经删除了。",
	},
}
