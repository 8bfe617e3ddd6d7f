package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/community"
	"github.com/loyalbot/loyalbot/community/support"
	"github.com/loyalbot/loyalbot/loyalty"
	"github.com/loyalbot/loyalbot/ugc"
)

// Helpdesk is customer service: answers to questions, /human for a person, and /tickets, /reply and /close for managers.
type Helpdesk struct{ *base }

// Register adds the commands to r.
func (c *Helpdesk) Register(r *bots.Router) {
	helpdeskMessages.addTo(r)
	ownMessages.addTo(r)
	id := bots.Arg{Name: "ticket", Kind: bots.ArgInt, Min: 1, Max: 1 << 53}
	r.Handle(bots.Command{Name: "human", Aliases: []string{"人工"}, Help: "cmd.human", Role: bots.RoleMember, Args: []bots.Arg{{Name: "text", Kind: bots.ArgText, Optional: true, Max: 3500}}, Handler: bots.HandlerFunc(c.human)})
	r.Handle(bots.Command{Name: "answer", Help: "cmd.answer", Role: bots.RoleMember, Hidden: true, Args: []bots.Arg{{Name: "entry", Max: 64},
		{Name: "language", Choices: []string{bots.English, bots.Chinese}, Optional: true, Hidden: true}}, Handler: bots.HandlerFunc(c.faqAnswer)})
	r.Handle(bots.Command{Name: "tickets", Help: "cmd.tickets", Role: bots.RoleManager, Args: []bots.Arg{{Name: "ticket", Kind: bots.ArgInt, Min: 1, Max: 1 << 53, Optional: true}},
		Handler: bots.HandlerFunc(c.listTickets)})
	r.Handle(bots.Command{Name: "reply", Help: "cmd.reply", Role: bots.RoleManager, Args: []bots.Arg{id, {Name: "text", Kind: bots.ArgText, Max: 3500}}, Handler: bots.HandlerFunc(c.replyTicket)})
	r.Handle(bots.Command{Name: "close", Help: "cmd.close", Role: bots.RoleManager, Args: []bots.Arg{id}, Handler: bots.HandlerFunc(c.closeTicket)})
	r.Handle(bots.Command{
		Name: "faq", Help: "cmd.faq", Role: bots.RoleManager, Handler: bots.HandlerFunc(c.faq),
		Args: []bots.Arg{{Name: "action", Choices: []string{"suggestions", "learned", "accept", "reject", "question"}, Optional: true},
			{Name: "suggestion", Kind: bots.ArgInt, Min: 1, Max: 1 << 53, Optional: true, Hidden: true},
			{Name: "answer", Kind: bots.ArgText, Optional: true, Hidden: true, Max: 3500}},
		Variants: []bots.Variant{{
			Args: []bots.Arg{{Name: "action", Choices: []string{"accept", "reject"}}, {Name: "suggestion", Kind: bots.ArgInt, Min: 1, Max: 1 << 53},
				{Name: "answer", Kind: bots.ArgText, Optional: true, Max: 3500}},
			Help: "cmd.faq_decide", Role: bots.RoleManager,
		}, {
			Args: []bots.Arg{{Name: "action", Choices: []string{"question"}}, {Name: "suggestion", Kind: bots.ArgInt, Min: 1, Max: 1 << 53},
				{Name: "text", Kind: bots.ArgText, Max: 500}},
			Help: "cmd.faq_question", Role: bots.RoleManager,
		}},
	})
}

// answer replies to a question asked privately or by mentioning the bot.
func (c *Helpdesk) answer(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	q := ev.Text
	if ev.BotUsername != "" { // "@loyalbot how do I..." asks "how do I..."
		q = regexp.MustCompile(`(?i)@`+regexp.QuoteMeta(ev.BotUsername)+`\b`).ReplaceAllString(q, "")
	}
	q = strings.TrimSpace(q)
	if q == "" {
		return nil, nil
	}
	if topic, ok := support.OwnTopic(q); ok {
		if rs, err := c.ownAnswer(ctx, ev, q, topic); err != nil || rs != nil {
			return rs, err
		}
	}
	// Speak the language of the question, unless the member chose one with
	// /lang.
	if m, err := c.members.Get(ctx, ev.Member); err != nil {
		return nil, err
	} else if m.Locale == "" {
		ev.Locale = support.LangOf(q)
	}
	if ev.Private() {
		// While a person is on it, what the member writes goes to them.
		if tk, ok, err := c.tickets.OpenFor(ctx, ev.Member); err != nil {
			return nil, err
		} else if ok {
			_, _, err := c.tickets.Open(ctx, support.Ticket{Member: ev.Member, Turns: []support.Turn{{From: "member", Text: q, At: c.now()}}})
			if errors.Is(err, support.ErrTicketFull) {
				return []bots.Reply{{Text: ev.T("support.ticket_full", tk.ID), ReplyTo: ev.MessageID}}, nil
			}
			if err != nil {
				return nil, err
			}
			return []bots.Reply{{Text: ev.T("support.ticket_added", tk.ID), ReplyTo: ev.MessageID}}, nil
		}
	}
	if kind := support.SmallTalk(q); kind != "" {
		return []bots.Reply{{Text: ev.T("support." + kind), ReplyTo: ev.MessageID}}, nil
	}
	a, err := c.assistant.Answer(ctx, ev.Member, q, memberTools{c: c, ev: ev})
	if err != nil {
		return nil, fmt.Errorf("answer: %w", err)
	}
	if a.Source == "none" {
		reply := bots.Reply{Text: ev.T("support.dont_know"), ReplyTo: ev.MessageID}
		if len(a.Maybe) > 0 {
			reply.Text += "\n" + ev.T("support.maybe")
			for _, e := range a.Maybe {
				reply.Buttons = append(reply.Buttons, []bots.Button{{Label: clip(e.Label(ev.Locale), 60), Data: "/answer " + e.ID + " " + ev.Locale}})
			}
		}
		return []bots.Reply{reply}, nil
	}
	text := a.Text
	if len(a.Sources) > 0 {
		text += "\n\n" + ev.T("support.sources", strings.Join(a.Sources, " · "))
	}
	return []bots.Reply{{Text: text, ReplyTo: ev.MessageID}}, nil
}

// faqAnswer is /answer <entry> [language]: an FAQ entry's answer in the
// language (the member's when none is given) — what a "did you mean"
// button under a declined question sends, with the question's language.
func (c *Helpdesk) faqAnswer(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	id := ev.Arg("entry")
	if lang := ev.Arg("language"); lang != "" {
		ev.Locale = lang
	}
	e, ok := c.assistant.KB().Entry(id)
	if !ok {
		return bots.Say(ev, "answer.unknown"), nil
	}
	c.log.InfoContext(ctx, "FAQ entry chosen", "member", ev.Member, "entry", id)
	return []bots.Reply{{Text: e.AnswerIn(ev.Locale)}}, nil
}

// clip shortens s to at most n runes, with an ellipsis.
func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// human opens a hand-off ticket with the conversation so far, or shows
// the member's open ticket.
func (c *Helpdesk) human(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	text := ev.Arg("text")
	if text == "" {
		if tk, ok, err := c.tickets.OpenFor(ctx, ev.Member); err != nil {
			return nil, err
		} else if ok {
			n := 0
			for _, t := range tk.Turns {
				if t.Text != "" {
					n++
				}
			}
			return []bots.Reply{{Text: ev.TN("support.ticket_status", int64(n), tk.ID, n, date(tk.Updated, c.loc))}}, nil
		}
	}
	tk, isNew, err := c.openTicket(ctx, ev, text)
	if errors.Is(err, support.ErrTicketFull) {
		open, _, _ := c.tickets.OpenFor(ctx, ev.Member)
		return bots.Say(ev, "support.ticket_full", open.ID), nil
	}
	if err != nil {
		return nil, err
	}
	key := "support.ticket_opened"
	if !isNew {
		key = "support.ticket_added"
	}
	reply := ev.T(key, tk.ID)
	if now := c.now(); !c.hours.Open(now) {
		next := c.hours.NextOpen(now)
		reply += "\n" + ev.T("support.offline", next.Format("2006-01-02 15:04"), next.Location().String())
	}
	return []bots.Reply{{Text: reply}}, nil
}

// openTicket opens a ticket with the conversation the bot remembers and
// text, or adds text to the member's open ticket.
func (c *Helpdesk) openTicket(ctx context.Context, ev *bots.Event, text string) (support.Ticket, bool, error) {
	now := c.now()
	var turns []support.Turn
	_, open, err := c.tickets.OpenFor(ctx, ev.Member)
	if err != nil {
		return support.Ticket{}, false, err
	}
	var history []string
	if !open { // an open ticket has the conversation already
		history = c.assistant.History(ev.Member)
	}
	for _, line := range history {
		role, msg, _ := strings.Cut(line, ": ")
		from := "bot"
		if role == "user" {
			from = "member"
		}
		turns = append(turns, support.Turn{From: from, Text: msg, At: now})
	}
	if text != "" {
		turns = append(turns, support.Turn{From: "member", Text: text, At: now})
	}
	tk, isNew, err := c.tickets.Open(ctx, support.Ticket{Member: ev.Member, Name: ev.Name, Platform: ev.Platform, UserID: ev.UserID, Turns: turns})
	if err == nil && isNew {
		c.log.InfoContext(ctx, "support ticket opened", "ticket", tk.ID, "member", ev.Member, "platform", ev.Platform)
	}
	return tk, isNew, err
}

// listTickets is /tickets: the open tickets with the member's latest
// words, or with a number one ticket's whole conversation.
func (c *Helpdesk) listTickets(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	if id := ev.ArgInt("ticket"); id > 0 {
		return c.showTicket(ctx, ev, uint64(id))
	}
	tks, err := c.tickets.List(ctx, true, 20)
	if err != nil {
		return nil, err
	}
	if len(tks) == 0 {
		return bots.Say(ev, "tickets.empty"), nil
	}
	lines := []string{ev.T("tickets.header")}
	for _, tk := range tks {
		last := ""
		for _, t := range tk.Turns {
			if t.From == "member" && t.Text != "" {
				last = t.Text
			}
		}
		lines = append(lines, ev.T("tickets.line", tk.ID, tk.Name, tk.Platform, date(tk.Updated, c.loc), clip(last, 120)))
	}
	return []bots.Reply{{Text: strings.Join(lines, "\n")}}, nil
}

// maxShown bounds what one reply lists: the latest lines of a ticket, the
// oldest FAQ suggestions (a chat message holds about 4,000 characters).
const maxShown = 10

// showTicket shows one ticket's conversation, for managers: its latest
// lines.
func (c *Helpdesk) showTicket(ctx context.Context, ev *bots.Event, id uint64) ([]bots.Reply, error) {
	tk, ok, err := c.tickets.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !ok {
		return bots.Say(ev, "ticket.unknown", id), nil
	}
	state := "ticket.open"
	if !tk.Open {
		state = "ticket.closed"
	}
	lines := []string{ev.T("ticket.header", tk.ID, tk.Name, tk.Platform, ev.T(state))}
	turns := slices.DeleteFunc(slices.Clone(tk.Turns), func(t support.Turn) bool { return t.Text == "" }) // the bot's "I'm not sure"
	if n := len(turns) - maxShown; n > 0 {
		lines = append(lines, ev.TN("ticket.earlier", int64(n), n))
		turns = turns[n:]
	}
	for _, t := range turns {
		who := t.From
		switch {
		case t.From == "member":
			who = tk.Name
		case t.From == "bot":
			who = ev.T("ticket.bot")
		}
		lines = append(lines, fmt.Sprintf("%s %s: %s", t.At.In(c.loc).Format("01-02 15:04"), who, clip(t.Text, 500)))
	}
	if tk.Open {
		lines = append(lines, ev.T("ticket.how", tk.ID))
	}
	return []bots.Reply{{Text: strings.Join(lines, "\n"), Private: true}}, nil
}

// replyTicket delivers a manager's answer privately to the member, on the
// platform they asked from.
func (c *Helpdesk) replyTicket(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	tk, delivered, err := c.admin.ReplyTicket(ctx, community.ActorOf(ev), uint64(ev.ArgInt("ticket")), ev.Arg("text"), ev.Key("reply"))
	switch {
	case errors.Is(err, support.ErrNoTicket):
		return bots.Say(ev, "ticket.unknown", ev.ArgInt("ticket")), nil
	case err != nil:
		return nil, err
	case !delivered:
		return bots.Say(ev, "reply.undelivered", tk.ID), nil
	}
	return bots.Say(ev, "reply.ok", tk.ID, tk.Name), nil
}

// closeTicket closes a ticket and shows the FAQ entry proposed from it.
func (c *Helpdesk) closeTicket(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	cl, err := c.admin.CloseTicket(ctx, community.ActorOf(ev), uint64(ev.ArgInt("ticket")), ev.Key("close"))
	switch {
	case errors.Is(err, support.ErrNoTicket):
		return bots.Say(ev, "ticket.unknown", ev.ArgInt("ticket")), nil
	case errors.Is(err, support.ErrClosed):
		return bots.Say(ev, "close.already", cl.Ticket.ID), nil
	case err != nil:
		return nil, err
	}
	text := ev.T("close.ok", cl.Ticket.ID)
	if s := cl.Suggestion; s != nil {
		text += "\n\n" + suggestionText(ev, community.FAQSuggestion{Suggestion: *s, Similar: cl.Similar}) + "\n" + ev.T("faq.how", s.ID)
	}
	return []bots.Reply{{Text: text}}, nil
}

// faq is /faq [suggestions] and /faq accept|reject <id> [answer]: the FAQ
// entries proposed from answered tickets, for managers.
func (c *Helpdesk) faq(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	actor := community.ActorOf(ev)
	action := ev.Arg("action")
	if action == "" || action == "suggestions" || action == "learned" {
		status, none, header := support.SuggestionPending, "faq.none", "faq.header"
		if action == "learned" {
			status, none, header = support.SuggestionAccepted, "faq.none_learned", "faq.header_learned"
		}
		ss, err := c.admin.FAQSuggestions(ctx, actor, status)
		if err != nil {
			return nil, err
		}
		if len(ss) == 0 {
			return bots.Say(ev, none), nil
		}
		parts := []string{ev.TN(header, int64(len(ss)), len(ss))}
		for _, s := range ss[:min(maxShown, len(ss))] {
			parts = append(parts, suggestionText(ev, s))
		}
		if n := len(ss) - maxShown; n > 0 {
			parts = append(parts, ev.TN("faq.more", int64(n), n))
		}
		if status == support.SuggestionPending {
			parts = append(parts, ev.T("faq.how", ss[0].ID))
		}
		return []bots.Reply{{Text: strings.Join(parts, "\n\n")}}, nil
	}
	id := uint64(ev.ArgInt("suggestion"))
	if id == 0 {
		return bots.Say(ev, "faq.which", action), nil
	}
	if action == "question" {
		q := strings.TrimSpace(ev.Arg("answer"))
		if q == "" {
			return bots.Say(ev, "faq.which", action), nil
		}
		_, err := c.admin.RephraseFAQ(ctx, actor, id, q, ev.Key("faq"))
		switch {
		case errors.Is(err, support.ErrNoQuestion):
			return bots.Say(ev, "faq.no_question", id), nil
		case errors.Is(err, support.ErrNoSuggestion):
			return bots.Say(ev, "faq.unknown", id), nil
		case err != nil:
			return nil, err
		}
		return bots.Say(ev, "faq.rephrased", id, q), nil
	}
	accept := action == "accept"
	s, err := c.admin.DecideFAQ(ctx, actor, id, accept, ev.Arg("answer"), ev.Key("faq"))
	switch {
	case errors.Is(err, support.ErrNoSuggestion):
		return bots.Say(ev, "faq.unknown", id), nil
	case errors.Is(err, support.ErrNoAnswer):
		return bots.Say(ev, "faq.no_answer", id), nil
	case errors.Is(err, support.ErrRedacted):
		return bots.Say(ev, "faq.redacted", id), nil
	case errors.Is(err, support.ErrDecided):
		return bots.Say(ev, "faq.already_"+s.Status, id), nil
	case err != nil:
		return nil, err
	case accept:
		return bots.Say(ev, "faq.accepted", id, support.LearnedID(id)), nil
	}
	return bots.Say(ev, "faq.rejected", id), nil
}

// suggestionText shows a suggestion: its number, language, questions and
// answer, and the FAQ entry that answers it already, if one does.
func suggestionText(ev *bots.Event, s community.FAQSuggestion) string {
	lines := []string{ev.T("faq.suggestion", s.ID, s.Ticket, s.Lang)}
	for _, q := range s.Questions {
		lines = append(lines, "❓ "+q)
	}
	lines = append(lines, "💬 "+s.Answer)
	if s.Similar != "" {
		lines = append(lines, ev.T("faq.similar", s.Similar))
	}
	return strings.Join(lines, "\n")
}

func jsonOf(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

func (t memberTools) Points(ctx context.Context) (string, error) {
	b, err := t.c.ledger.Balance(ctx, acct(t.ev))
	if err != nil {
		return "", err
	}
	out := map[string]any{"balance": b.Balance, "available": b.Available, "held": b.Held}
	if lot, ok, err := t.c.ledger.NextExpiry(ctx, acct(t.ev)); err == nil && ok {
		out["next_expiry"] = map[string]any{"points": lot.Remaining, "date": date(lot.Expires.Add(-time.Second), t.c.loc)}
	}
	return jsonOf(out)
}

func (t memberTools) Tier(ctx context.Context) (string, error) {
	st, err := t.c.ledger.TierOf(ctx, acct(t.ev))
	if err != nil {
		return "", err
	}
	out := map[string]any{"tier": st.Tier.Name, "earned_12_months": st.Earned, "benefits": st.Tier.Benefits}
	if st.Next != nil {
		out["next_tier"], out["points_to_next"] = st.Next.Name, st.ToNext
	}
	return jsonOf(out)
}

func (t memberTools) Rewards(ctx context.Context) (string, error) {
	rs, err := t.c.ledger.Rewards(ctx)
	if err != nil {
		return "", err
	}
	var out []map[string]any
	for _, r := range rs {
		if r.ActiveAt(t.c.now()) {
			out = append(out, map[string]any{"id": r.ID, "name": r.Name, "name_zh": r.NameZH, "cost": r.Cost, "stock": r.Stock})
		}
	}
	return jsonOf(out)
}

func (t memberTools) Redemptions(ctx context.Context) (string, error) {
	rds, err := t.c.ledger.Redemptions(ctx, acct(t.ev), false, 20)
	if err != nil {
		return "", err
	}
	var out []map[string]any
	for _, rd := range rds {
		out = append(out, map[string]any{"code": loyalty.FormatCode(rd.Code), "reward": rd.Reward, "state": rd.State, "date": date(rd.Created, t.c.loc)})
	}
	return jsonOf(out)
}

func (t memberTools) Submissions(ctx context.Context) (string, error) {
	if t.c.ugc == nil {
		return "[]", nil
	}
	subs, err := t.c.ugc.List(ctx, ugc.Filter{Member: t.ev.Member}, 20)
	if err != nil {
		return "", err
	}
	var out []map[string]any
	for _, s := range subs {
		out = append(out, map[string]any{"id": s.ID, "platform": s.Platform, "status": s.Status, "points": s.Points})
	}
	return jsonOf(out)
}

func (t memberTools) Handoff(ctx context.Context, summary string) (string, error) {
	tk, _, err := t.c.openTicket(ctx, t.ev, summary)
	if err != nil {
		return "", err
	}
	return jsonOf(map[string]any{"ticket": tk.ID, "status": "a human manager will reply in this chat"})
}

// memberTools are the assistant's tools, bound to the member who asked.
type memberTools struct {
	c  *Helpdesk
	ev *bots.Event
}

var _ support.Tools = memberTools{}

// helpdeskMessages are the messages helpdesk.go renders.
var helpdeskMessages = messages{
	bots.English: {
		"support.dont_know":           "I'm not sure about that one, and I'd rather not guess. Type /human and a person from our team will help you.",
		"support.ticket_opened":       "🙋 I've passed this to our team (ticket #%d). A person will answer you here privately.",
		"support.offline":             "Our team is offline now; expect a reply from %s (%s).",
		"support.ticket_added":        "I've added that to your open ticket #%d.",
		"support.ticket_status#one":   "Your ticket #%d is open (%d message, last update %s). Our team will answer here privately.",
		"support.ticket_status#other": "Your ticket #%d is open (%d messages, last update %s). Our team will answer here privately.",
		"tickets.empty":               "No open tickets. 🎉",
		"tickets.header":              "Open tickets:",
		"tickets.line":                "#%d %s (%s, %s): %s",
		"ticket.unknown":              "There is no ticket #%d.",
		"ticket.header":               "Ticket #%d — %s (%s), %s:",
		"ticket.open":                 "open",
		"ticket.closed":               "closed",
		"ticket.bot":                  "bot",
		"ticket.earlier#one":          "(%d earlier message)",
		"ticket.earlier#other":        "(%d earlier messages)",
		"support.ticket_full":         "Your ticket #%d is full; our team will answer you here. Please wait for them before you write more.",
		"faq.more#one":                "…and %d more: decide these first.",
		"faq.more#other":              "…and %d more: decide these first.",
		"ticket.how":                  "/reply %[1]d <text> answers privately; /close %[1]d closes it.",
		"reply.ok":                    "Reply to ticket #%d delivered to %s privately.",
		"reply.undelivered":           "I couldn't deliver the reply to ticket #%d; the member may have blocked the bot.",
		"close.ok":                    "Ticket #%d closed.",
		"close.already":               "Ticket #%d was closed already.",
		"support.sources":             "📖 From our FAQ: %s",
		"support.maybe":               "Perhaps you mean one of these?",
		"support.hello":               "Hi! 👋 Ask me anything about the programme — points, rewards, your account — or type /human for a person from our team.",
		"support.thanks":              "You're welcome! 😊",
		"support.ack":                 "👍",
		"support.bye":                 "Bye! 👋 I'm here whenever you need me.",
		"answer.unknown":              "Our FAQ has no such entry (any more). Ask me again in your own words, or type /human.",
		"faq.none_learned":            "No FAQ entries learned from tickets yet.",
		"faq.header_learned#one":      "%d FAQ entry learned from tickets (/faq reject <id> takes one out):",
		"faq.header_learned#other":    "%d FAQ entries learned from tickets (/faq reject <id> takes one out):",
		"faq.rephrased":               "Suggestion %d now asks: %s",
		"faq.none":                    "No FAQ suggestions waiting. When you close a ticket you answered, I propose an FAQ entry from it.",
		"faq.header#one":              "%d FAQ suggestion from answered tickets (names, order numbers and contact details are taken out as ***):",
		"faq.header#other":            "%d FAQ suggestions from answered tickets (names, order numbers and contact details are taken out as ***):",
		"faq.suggestion":              "📝 Suggestion %d (ticket #%d, %s):",
		"faq.similar":                 "ℹ️ The FAQ entry %s already answers this offline.",
		"faq.how":                     "/faq accept %[1]d adds it to the FAQ (add your own wording after the number to change the answer); /faq question %[1]d <question> puts the question in your words; /faq reject %[1]d drops it.",
		"faq.which":                   "Which suggestion? Write /faq %s <number>; /faq lists them.",
		"faq.no_question":             "That question says nothing a member would ask. Write it out: /faq question %d <question>.",
		"faq.no_answer":               "That answer says nothing a member could use. Write it out: /faq accept %d <answer>.",
		"faq.redacted":                "The answer of suggestion %[1]d still has *** where personal data was taken out. Write the answer members should see: /faq accept %[1]d <answer>.",
		"faq.unknown":                 "There is no FAQ suggestion %d. /faq lists them.",
		"faq.already_accepted":        "FAQ suggestion %d is in the FAQ already.",
		"faq.already_rejected":        "FAQ suggestion %d was rejected already.",
		"faq.accepted":                "✅ Suggestion %d is in the FAQ now (entry %s); the next member who asks gets this answer. /faq reject %[1]d takes it out again.",
		"faq.rejected":                "Suggestion %d rejected; it is not in the FAQ.",
	},
	bots.Chinese: {
		"support.dont_know":           "这个问题我不太确定，不想乱回答。输入 /human，我们的客服会来帮你。",
		"support.ticket_opened":       "🙋 已转给人工客服（工单 #%d），客服会在这里私信回复你。",
		"support.offline":             "客服现在不在线，预计 %s（%s）起回复你。",
		"support.ticket_added":        "已补充到你的工单 #%d。",
		"support.ticket_status#other": "你的工单 #%d 处理中（%d 条消息，最近更新 %s）。客服会在这里私信回复你。",
		"tickets.empty":               "没有待处理的工单。🎉",
		"tickets.header":              "待处理工单：",
		"tickets.line":                "#%d %s（%s，%s）：%s",
		"ticket.unknown":              "没有编号为 #%d 的工单。",
		"ticket.header":               "工单 #%d — %s（%s），%s：",
		"ticket.open":                 "处理中",
		"ticket.closed":               "已关闭",
		"ticket.bot":                  "机器人",
		"ticket.earlier#other":        "（之前还有 %d 条消息）",
		"support.ticket_full":         "你的工单 #%d 已满，客服会在这里回复你，请先等待回复。",
		"faq.more#other":              "……还有 %d 条：请先处理上面这些。",
		"ticket.how":                  "/reply %[1]d <内容> 私信回复；/close %[1]d 关闭工单。",
		"reply.ok":                    "工单 #%d 的回复已私信发给 %s。",
		"reply.undelivered":           "工单 #%d 的回复发送失败，对方可能屏蔽了机器人。",
		"close.ok":                    "工单 #%d 已关闭。",
		"close.already":               "工单 #%d 之前已经关闭。",
		"support.sources":             "📖 参考 FAQ：%s",
		"support.maybe":               "你是不是想问下面这些？",
		"support.hello":               "你好！👋 积分、奖励、账户相关的问题都可以问我，或者输入 /human 找我们的客服。",
		"support.thanks":              "不客气！😊",
		"support.ack":                 "👌",
		"support.bye":                 "再见！👋 有需要随时找我。",
		"answer.unknown":              "FAQ 里没有（或已经没有）这个条目。换个说法再问我，或者输入 /human。",
		"faq.none_learned":            "还没有从工单中学到的 FAQ 条目。",
		"faq.header_learned#other":    "从工单中学到的 FAQ 条目 %d 条（/faq reject <编号> 可撤下）：",
		"faq.rephrased":               "建议 %d 的问题已改为：%s",
		"faq.none":                    "暂无待处理的 FAQ 建议。你关闭一个回复过的工单时，我会据此建议一条 FAQ。",
		"faq.header#other":            "来自已回复工单的 FAQ 建议 %d 条（姓名、订单号和联系方式已替换为 ***）：",
		"faq.suggestion":              "📝 建议 %d（工单 #%d，%s）：",
		"faq.similar":                 "ℹ️ FAQ 条目 %s 已经能离线回答这个问题。",
		"faq.how":                     "/faq accept %[1]d 加入 FAQ（在编号后写上你的措辞可替换回答）；/faq question %[1]d <问题> 用你的话改写问题；/faq reject %[1]d 放弃。",
		"faq.which":                   "哪一条建议？请输入 /faq %s <编号>；/faq 可查看列表。",
		"faq.no_question":             "这个问题没有实际内容。请写完整：/faq question %d <问题>。",
		"faq.no_answer":               "这个回答没有实际内容。请写完整：/faq accept %d <回答>。",
		"faq.redacted":                "建议 %[1]d 的回答里还有 ***（个人信息已被去除）。请写出成员应看到的回答：/faq accept %[1]d <回答>。",
		"faq.unknown":                 "没有编号为 %d 的 FAQ 建议。/faq 可查看列表。",
		"faq.already_accepted":        "FAQ 建议 %d 已经在 FAQ 里了。",
		"faq.already_rejected":        "FAQ 建议 %d 之前已被拒绝。",
		"faq.accepted":                "✅ 建议 %d 已加入 FAQ（条目 %s），下一位成员问到时就会得到这个回答。/faq reject %[1]d 可撤下。",
		"faq.rejected":                "已拒绝建议 %d，它不会出现在 FAQ 中。",
	},
}
