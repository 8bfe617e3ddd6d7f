package chat

import (
	"context"
	"fmt"
	"strings"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/community"
)

// Start is /start, /help and /lang, and welcomes members who join a chat.
type Start struct{ *base }

// Register adds the commands to r.
func (c *Start) Register(r *bots.Router) {
	startMessages.addTo(r)
	r.Handle(bots.Command{Name: "start", Help: "cmd.start", Args: []bots.Arg{{Name: "payload", Optional: true, Hidden: true}}, Handler: bots.HandlerFunc(c.start)})
	r.Handle(bots.Command{Name: "help", Help: "cmd.help", Handler: bots.HandlerFunc(c.help)})
	r.Handle(bots.Command{Name: "lang", Help: "cmd.lang", Role: bots.RoleMember, Args: []bots.Arg{{Name: "language", Choices: []string{"en", "zh"}}}, Handler: bots.HandlerFunc(c.lang)})
	r.HandleJoin(bots.HandlerFunc(c.join))
	r.HandleLeave(bots.HandlerFunc(c.leave))
}

// start registers the member (paying the signup bonus once) and shows help.
// "/start link_<code>" (a Telegram deep link) links accounts.
func (c *Start) start(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
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
	out := []bots.Reply{{Text: text + "\n\n" + c.router.Help(ev)}}
	if c.lifecycle != nil {
		ask, err := (&Campaigns{c.base}).consentAsk(ctx, ev) // once: anyone never asked
		if err != nil {
			return nil, err
		}
		out = append(out, ask...)
	}
	return out, nil
}

func (c *Start) help(_ context.Context, ev *bots.Event) ([]bots.Reply, error) {
	return []bots.Reply{{Text: c.router.Help(ev)}}, nil
}

func (c *Start) lang(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	loc := ev.Arg("language")
	if _, err := c.members.Update(ctx, ev.Member, func(m *community.Member) error { m.Locale = loc; return nil }); err != nil {
		return nil, fmt.Errorf("set locale: %w", err)
	}
	ev.Locale = loc
	return bots.Say(ev, "lang.ok"), nil
}

// join welcomes a member who joined a chat; Identify has registered them.
func (c *Start) join(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
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

func (c *Start) leave(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	c.log.InfoContext(ctx, "member left", "platform", ev.Platform, "chat", ev.ChatID, "member", ev.Member)
	return nil, nil
}

// startMessages are the messages start.go renders.
var startMessages = messages{
	bots.English: {
		"start.welcome_new":  "Welcome, %s! 🎉 You earned %s for joining.",
		"start.welcome_back": "Welcome back, %s!",
		"join.welcome":       "Welcome to the community, %s! 🎉 You earned %s for joining. Send /help to see how to earn more.",
		"join.welcome_back":  "Welcome back, %s! 👋",
		"lang.ok":            "Done — I'll speak English with you.",
	},
	bots.Chinese: {
		"start.welcome_new":  "欢迎你，%s！🎉 加入即获得 %s。",
		"start.welcome_back": "欢迎回来，%s！",
		"join.welcome":       "欢迎加入社区，%s！🎉 加入即获得 %s。发送 /help 看看怎么赚更多积分。",
		"join.welcome_back":  "欢迎回来，%s！👋",
		"lang.ok":            "好的，之后我会用中文和你交流。",
	},
}
