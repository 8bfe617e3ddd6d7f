package chat

import (
	"context"
	"strings"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/ugc"
)

// Referrals is /ref and /referrals.
type Referrals struct{ *base }

// Register adds the commands to r.
func (c *Referrals) Register(r *bots.Router) {
	r.Handle(bots.Command{Name: "ref", Help: "cmd.ref", Role: bots.RoleMember, Handler: bots.HandlerFunc(c.ref)})
	r.Handle(bots.Command{Name: "referrals", Help: "cmd.referrals", Role: bots.RoleMember, Args: []bots.Arg{{Name: "which", Choices: []string{"rejected"}, Optional: true}}, Handler: bots.HandlerFunc(c.referrals)})
}

// ref shows the member's referral code and how friends use it.
func (c *Referrals) ref(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	code, err := c.ugc.Code(ctx, ev.Member)
	if err != nil {
		return nil, err
	}
	cfg := c.ugc.Config()
	text := ev.T("ref.code", "ref_"+code, pts(ev, cfg.ReferrerReward), pts(ev, cfg.RefereeReward))
	if c.notify != nil {
		if link := c.notify.DeepLinks("ref_" + code)[bots.Telegram]; link != "" {
			text += "\n" + ev.T("ref.telegram", link)
		}
	}
	return []bots.Reply{{Text: text}}, nil
}

func (c *Referrals) referrals(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	if ev.Arg("which") == "rejected" {
		if ev.Role < bots.RoleManager {
			return nil, bots.Errorf("error.forbidden", "referrals rejected", ev.T("role.manager"))
		}
		refs, err := c.ugc.Rejected(ctx, 20)
		if err != nil {
			return nil, err
		}
		return c.listReferrals(ctx, ev, refs, "referrals.rejected_header")
	}
	refs, err := c.ugc.ReferralsBy(ctx, ev.Member)
	if err != nil {
		return nil, err
	}
	return c.listReferrals(ctx, ev, refs, "referrals.header")
}

func (c *Referrals) listReferrals(ctx context.Context, ev *bots.Event, refs []ugc.Referral, header string) ([]bots.Reply, error) {
	if len(refs) == 0 {
		return bots.Say(ev, "referrals.empty"), nil
	}
	var ids []uint64
	for _, r := range refs {
		ids = append(ids, r.Referrer, r.Referee)
	}
	names, err := c.members.Names(ctx, ids)
	if err != nil {
		return nil, err
	}
	lines := []string{ev.T(header)}
	for _, r := range refs {
		line := ev.T("referrals.line", names[r.Referrer], names[r.Referee], ev.T("refstatus."+string(r.Status)), date(r.Created, c.loc))
		if r.Reason != "" {
			line += " — " + r.Reason
		}
		lines = append(lines, line)
	}
	return []bots.Reply{{Text: strings.Join(lines, "\n")}}, nil
}
