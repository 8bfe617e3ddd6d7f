package chat

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/community"
	"github.com/loyalbot/loyalbot/loyalty"
	"github.com/loyalbot/loyalbot/ugc"
)

// tierReplies congratulates a member who moved up a tier.
func (c *base) tierReplies(ev *bots.Event, tc *loyalty.TierChange) []bots.Reply {
	if tc == nil || !tc.Up() {
		return nil
	}
	benefits := tc.To.Benefits
	if ev.Locale == bots.Chinese && tc.To.BenefitsZH != "" {
		benefits = tc.To.BenefitsZH
	}
	return []bots.Reply{{Text: ev.T("tier.up", tierName(ev, tc.To), benefits)}}
}

// Signup returns middleware that pays the signup bonus to members the
// event registered. Install it after bots.Identify.
func (c *base) Signup() bots.Middleware {
	return func(next bots.Handler) bots.Handler {
		return bots.HandlerFunc(func(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
			// A newcomer linking to an existing wallet is not a new member:
			// no second signup bonus (a failed link pays it on /start).
			if ev.NewMember && !linking(ev) {
				if _, err := c.community.Signup(ctx, ev.Member); err != nil {
					return nil, err
				}
			}
			rs, err := next.Handle(ctx, ev)
			if err != nil || c.lifecycle == nil || linking(ev) || !(ev.NewMember || ev.Private()) || ev.Role >= bots.RoleManager {
				return rs, err
			}
			// A newcomer, whatever they did first, and a member who was never
			// asked, at their first private word, are asked for consent once
			// (managers use /marketing themselves).
			if _, checked := c.consentChecked.LoadOrStore(ev.Member, true); checked {
				return rs, nil
			}
			ask, err := (&Campaigns{c}).consentAsk(ctx, ev)
			if err != nil {
				c.log.WarnContext(ctx, "consent question not asked", "member", ev.Member, "err", err)
				return rs, nil
			}
			return append(rs, ask...), nil
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
func (c *base) personal(ev *bots.Event, rs []bots.Reply) []bots.Reply {
	if c.cfg.PrivateReplies && !ev.Private() {
		for i := range rs {
			rs[i].Private = true
		}
	}
	return rs
}

func acct(ev *bots.Event) loyalty.AccountID { return loyalty.Member(ev.Member) }

// linkWith is "/link <code>" and "/start link_<code>".
func (c *base) linkWith(ctx context.Context, ev *bots.Event, code string) ([]bots.Reply, error) {
	res, err := c.community.Link(ctx, community.ActorOf(ev), code)
	switch {
	case errors.Is(err, community.ErrBadLinkCode):
		return bots.Say(ev, "link.bad_code"), nil
	case errors.Is(err, community.ErrSameMember):
		return bots.Say(ev, "link.same"), nil
	case errors.Is(err, community.ErrRoleRise):
		return bots.Say(ev, "link.role_rise"), nil
	case errors.Is(err, community.ErrLinkGranted):
		return bots.Say(ev, "link.granted"), nil
	case err != nil:
		return nil, fmt.Errorf("link accounts: %w", err)
	}
	var platforms []string
	for _, id := range res.Member.Identities {
		platforms = append(platforms, id.Platform)
	}
	ev.Member = res.Member.ID
	total, err := c.ledger.Balance(ctx, loyalty.Member(res.Member.ID))
	if err != nil {
		return nil, err
	}
	return bots.Say(ev, "link.ok", res.Member.Name, strings.Join(platforms, ", "), pts(ev, total.Balance)), nil
}

// freshMember reports whether the event's member is new to the
// community: registered by this event, and not a platform account that
// erased its data before (erasing and rejoining farms no signup bonus and
// no referral).
func (c *base) freshMember(ctx context.Context, ev *bots.Event) (bool, error) {
	if !ev.NewMember {
		return false, nil
	}
	return c.community.Fresh(ctx, ev.Member)
}

// inviteCode returns the referral code a joining member's invite stands
// for: an invite link named "ref_CODE" (Telegram), or the code of the
// member who made the invite (Discord). "" when there is none.
func (c *base) inviteCode(ctx context.Context, ev *bots.Event) (string, error) {
	if code, ok := strings.CutPrefix(ev.Invite, "ref_"); ok {
		return code, nil
	}
	if ev.Inviter == "" || c.ugc == nil {
		return "", nil
	}
	inviter, err := c.members.LookupMention(ctx, ev.Platform, "<@"+ev.Inviter+">")
	if err != nil {
		return "", nil // the inviter never talked to the bot: no referral to credit
	}
	return c.ugc.Referrals().Code(ctx, inviter)
}

// activityPoints pays for a group message.
func (c *base) activityPoints(ctx context.Context, ev *bots.Event) error {
	if ev.Private() {
		return nil
	}
	_, err := c.community.ActivityPoints(ctx, ev.Member, ev.Text, ev.Key("msg"))
	return err
}

// attribute credits a referral code to a newcomer who arrived with it
// (/start ref_CODE, or an invite link named ref_CODE).
func (c *base) attribute(ctx context.Context, ev *bots.Event, code, via string, fresh bool) (string, error) {
	if c.ugc == nil {
		return "", nil
	}
	ref, err := c.ugc.Referrals().Attribute(ctx, ev.Member, code, via, fresh)
	switch {
	case errors.Is(err, ugc.ErrNotFound):
		return ev.T("ref.unknown"), nil
	case err != nil:
		return "", fmt.Errorf("attribute referral: %w", err)
	case ref.Status == ugc.RefRejected && ref.Reason == ugc.ReasonSelf:
		return ev.T("ref.self"), nil
	case ref.Status == ugc.RefRejected:
		return "", nil // recorded for managers; the newcomer is not accused of anything
	}
	names, err := c.members.Names(ctx, []uint64{ref.Referrer})
	if err != nil {
		return "", err
	}
	return ev.T("ref.welcome", names[ref.Referrer], pts(ev, c.ugc.Config().RefereeReward)), nil
}
