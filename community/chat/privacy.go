package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/community"
)

// export sends the member everything loyalbot stores about them, as JSON.
func (c *handlers) export(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
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
func (c *handlers) erase(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
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
