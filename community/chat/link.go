package chat

import (
	"context"
	"fmt"

	"github.com/loyalbot/loyalbot/bots"
)

// Link is /link: one wallet for several chat accounts.
type Link struct{ *base }

// Register adds the commands to r.
func (c *Link) Register(r *bots.Router) {
	r.Handle(bots.Command{Name: "link", Help: "cmd.link", Role: bots.RoleMember, Args: []bots.Arg{{Name: "code", Optional: true}}, Handler: bots.HandlerFunc(c.link)})
}

// link gives the member a one-time code, or with a code joins this
// platform account to the member who asked for it (one wallet).
func (c *Link) link(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	if code := ev.Arg("code"); code != "" {
		return c.linkWith(ctx, ev, code)
	}
	code, err := c.community.NewLinkCode(ctx, ev.Member)
	if err != nil {
		return nil, fmt.Errorf("link code: %w", err)
	}
	return []bots.Reply{{Text: ev.TN("link.code", int64(c.cfg.LinkTTL.Minutes()), code, int(c.cfg.LinkTTL.Minutes())), Private: true}}, nil
}
