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
	r.Handle(bots.Command{Name: "profile", Help: "cmd.profile", Role: bots.RoleMember, Handler: bots.HandlerFunc(c.profile)})
	r.Handle(bots.Command{Name: "export", Help: "cmd.export", Role: bots.RoleMember, Handler: bots.HandlerFunc(c.export)})
	r.Handle(bots.Command{Name: "erase", Help: "cmd.erase", Role: bots.RoleMember, Args: []bots.Arg{{Name: "member", Kind: bots.ArgMember, Optional: true, Hidden: true}, {Name: "confirm", Choices: []string{"confirm"}, Optional: true, Hidden: true}}, Handler: bots.HandlerFunc(c.erase)})
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
	text := ev.T("profile.text", m.ID, m.Name, ev.T("role.name."+ev.Role.String()), date(m.Joined, c.loc),
		date(m.LastActive, c.loc), locale, strings.Join(ids, ", "), ev.TN("n.days", int64(m.Streak), m.Streak))
	return c.personal(ev, []bots.Reply{{Text: text}}), nil
}
