package community

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/loyalty"
)

// start registers the member (paying the signup bonus once) and shows help.
// "/start link_<code>" (a Telegram deep link) links accounts.
func (c *Community) start(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	payload := ev.Arg("payload")
	if code, ok := strings.CutPrefix(payload, "link_"); ok {
		return c.linkWith(ctx, ev, code)
	}
	paid, err := c.ensureSignup(ctx, ev) // in case a crash came between registering and paying
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

func (c *Community) help(_ context.Context, ev *bots.Event) ([]bots.Reply, error) {
	return []bots.Reply{{Text: c.router.Help(ev)}}, nil
}

func (c *Community) lang(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	loc := ev.Arg("language")
	if _, err := c.members.Update(ctx, ev.Member, func(m *Member) error { m.Locale = loc; return nil }); err != nil {
		return nil, fmt.Errorf("set locale: %w", err)
	}
	ev.Locale = loc
	return bots.Say(ev, "lang.ok"), nil
}

// profile shows everything loyalbot stores about the member.
func (c *Community) profile(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
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
func (c *Community) freshMember(ctx context.Context, ev *bots.Event) (bool, error) {
	if !ev.NewMember {
		return false, nil
	}
	return c.members.signupAllowed(ctx, ev.Member)
}

// join welcomes a member who joined a chat; Identify has registered them.
func (c *Community) join(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	if ev.Invite != "" && ev.NewMember {
		if _, err := c.members.Update(ctx, ev.Member, func(m *Member) error { m.Invite = ev.Invite; return nil }); err != nil {
			return nil, err
		}
	}
	if _, err := c.ensureSignup(ctx, ev); err != nil {
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
func (c *Community) inviteCode(ctx context.Context, ev *bots.Event) (string, error) {
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

func (c *Community) leave(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	c.log.InfoContext(ctx, "member left", "platform", ev.Platform, "chat", ev.ChatID, "member", ev.Member)
	return nil, nil
}

// message handles free text: activity points for group messages, and an
// answer from customer service for questions asked privately or by
// mentioning the bot.
func (c *Community) message(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	if err := c.activityPoints(ctx, ev); err != nil {
		return nil, err
	}
	if c.assistant != nil && ev.Member != 0 && (ev.Private() || ev.Mentioned || c.cfg.AnswerGroupQuestions && isQuestion(ev.Text)) {
		return c.answer(ctx, ev)
	}
	return nil, nil
}

func isQuestion(text string) bool {
	text = strings.TrimSpace(text)
	return strings.HasSuffix(text, "?") || strings.HasSuffix(text, "？")
}

// activityPoints pays for a group message: at least MessageMinLength
// characters, not a repeat of the member's last message, and at most one
// per MessageCooldown.
func (c *Community) activityPoints(ctx context.Context, ev *bots.Event) error {
	if ev.Private() || ev.Member == 0 || c.cfg.MessagePoints <= 0 {
		return nil
	}
	text := strings.Join(strings.Fields(strings.ToLower(ev.Text)), " ")
	if utf8.RuneCountInString(text) < c.cfg.MessageMinLength {
		return nil
	}
	now := c.now()
	c.mu.Lock()
	last := c.activity[ev.Member]
	ok := now.Sub(last.at) >= c.cfg.MessageCooldown && text != last.text
	if ok {
		c.activity[ev.Member] = lastMessage{at: now, text: text}
	} else if text != last.text {
		last.text = text
		c.activity[ev.Member] = last
	}
	c.mu.Unlock()
	if !ok {
		return nil
	}
	_, err := c.ledger.Post(ctx, loyalty.Posting{Key: ev.Key("msg"), From: loyalty.Issuance("message"), To: acct(ev),
		Amount: c.cfg.MessagePoints, Reason: "chat activity", Multiply: true})
	if err != nil {
		return fmt.Errorf("message points: %w", err)
	}
	return nil
}

func date(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(loc).Format(time.DateOnly)
}

// points formats a point amount with thousands separators: 12,345.
func points(n int64) string {
	neg := n < 0
	if neg {
		n = -n
	}
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}
