package chat

import (
	"context"
	"fmt"
	"strings"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/community"
)

// start registers the member (paying the signup bonus once) and shows help.
// "/start link_<code>" (a Telegram deep link) links accounts.
func (c *handlers) start(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	payload := ev.Arg("payload")
	if code, ok := strings.CutPrefix(payload, "link_"); ok {
		return c.linkWith(ctx, ev, code)
	}
	paid, err := c.community.Signup(ctx, ev.Member) // in case a crash came between registering and paying
	if err != nil {
		return nil, err
	}
	fresh, err := c.freshMember(ctx, ev)
	if err != nil {
		return nil, err
	}
	var text string
	if paid || fresh && c.cfg.SignupBonus > 0 {
		text = ev.T("start.welcome_new", ev.Name, pts(ev, c.cfg.SignupBonus))
	} else {
		text = ev.T("start.welcome_back", ev.Name)
	}
	if code, ok := strings.CutPrefix(strings.ToLower(payload), "ref_"); ok {
		note, err := c.attribute(ctx, ev, code, "start", fresh)
		if err != nil {
			return nil, err
		}
		if note != "" {
			text += "\n" + note
		}
	}
	return []bots.Reply{{Text: text + "\n\n" + c.router.Help(ev)}}, nil
}

func (c *handlers) help(_ context.Context, ev *bots.Event) ([]bots.Reply, error) {
	return []bots.Reply{{Text: c.router.Help(ev)}}, nil
}

func (c *handlers) lang(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	loc := ev.Arg("language")
	if _, err := c.members.Update(ctx, ev.Member, func(m *community.Member) error { m.Locale = loc; return nil }); err != nil {
		return nil, fmt.Errorf("set locale: %w", err)
	}
	ev.Locale = loc
	return bots.Say(ev, "lang.ok"), nil
}

// profile shows everything loyalbot stores about the member.
func (c *handlers) profile(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
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

// freshMember reports whether the event's member is new to the
// community: registered by this event, and not a platform account that
// erased its data before (erasing and rejoining farms no signup bonus and
// no referral).
func (c *handlers) freshMember(ctx context.Context, ev *bots.Event) (bool, error) {
	if !ev.NewMember {
		return false, nil
	}
	return c.community.Fresh(ctx, ev.Member)
}

// join welcomes a member who joined a chat; Identify has registered them.
func (c *handlers) join(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	if ev.Invite != "" && ev.NewMember {
		if _, err := c.members.Update(ctx, ev.Member, func(m *community.Member) error { m.Invite = ev.Invite; return nil }); err != nil {
			return nil, err
		}
	}
	if _, err := c.community.Signup(ctx, ev.Member); err != nil {
		return nil, err
	}
	fresh, err := c.freshMember(ctx, ev)
	if err != nil {
		return nil, err
	}
	if !fresh {
		return bots.Say(ev, "join.welcome_back", ev.Name), nil
	}
	text := ev.T("join.welcome", ev.Name, pts(ev, c.cfg.SignupBonus))
	code, err := c.inviteCode(ctx, ev)
	if err != nil {
		return nil, err
	}
	if code != "" {
		note, err := c.attribute(ctx, ev, code, "invite", true)
		if err != nil {
			return nil, err
		}
		if note != "" {
			text += "\n" + note
		}
	}
	return []bots.Reply{{Text: text}}, nil
}

// inviteCode returns the referral code a joining member's invite stands
// for: an invite link named "ref_CODE" (Telegram), or the code of the
// member who made the invite (Discord). "" when there is none.
func (c *handlers) inviteCode(ctx context.Context, ev *bots.Event) (string, error) {
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
	return c.ugc.Code(ctx, inviter)
}

func (c *handlers) leave(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	c.log.InfoContext(ctx, "member left", "platform", ev.Platform, "chat", ev.ChatID, "member", ev.Member)
	return nil, nil
}

// message handles free text: activity points for group messages, and an
// answer from customer service for questions asked privately or by
// mentioning the bot.
func (c *handlers) message(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	if err := c.activityPoints(ctx, ev); err != nil {
		return nil, err
	}
	if c.assistant != nil && ev.Member != 0 && (ev.Private() || ev.Mentioned || c.cfg.AnswerGroupQuestions && isQuestion(ev.Text)) {
		return c.answer(ctx, ev)
	}
	return nil, nil
}

// activityPoints pays for a group message.
func (c *handlers) activityPoints(ctx context.Context, ev *bots.Event) error {
	if ev.Private() {
		return nil
	}
	_, err := c.community.ActivityPoints(ctx, ev.Member, ev.Text, ev.Key("msg"))
	return err
}
