package chat

import (
	"cmp"
	"context"
	"strings"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/community"
)

// setup is /setup [off]: in a group, make this chat (or Discord server) a
// brand chat or stop it being one; privately, list the brand chats.
func (c *handlers) setup(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
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
	changed, err := c.community.Setup(ctx, community.ActorOf(ev), ev.Platform, id, on)
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
