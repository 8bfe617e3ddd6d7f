package chat

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/community"
	"github.com/loyalbot/loyalbot/community/campaign"
)

// Campaigns is lifecycle automation in chat: /campaigns, /campaign and
// /survey for managers; /marketing, /notifications, /birthday, and the
// survey answers /rate and /comment for members.
type Campaigns struct{ *base }

// Register adds the commands to r.
func (c *Campaigns) Register(r *bots.Router) {
	campaignMessages.addTo(r)
	id := bots.Arg{Name: "campaign"}
	r.Handle(bots.Command{Name: "campaigns", Help: "cmd.campaigns", Role: bots.RoleManager, Handler: bots.HandlerFunc(c.list)})
	r.Handle(bots.Command{Name: "campaign", Help: "cmd.campaign", Role: bots.RoleManager,
		Args:    []bots.Arg{{Name: "action", Choices: []string{"pause", "resume", "preview", "test"}, Optional: true}, id},
		Handler: bots.HandlerFunc(c.campaign)})
	r.Handle(bots.Command{Name: "webhooks", Help: "cmd.webhooks", Role: bots.RoleManager,
		Args:    []bots.Arg{{Name: "resume", Choices: []string{"resume"}, Optional: true}, {Name: "number", Kind: bots.ArgInt, Min: 1, Max: 100, Optional: true}},
		Handler: bots.HandlerFunc(c.webhooks)})
	r.Handle(bots.Command{Name: "coupon", Help: "cmd.coupon", Role: bots.RoleManager,
		Args: []bots.Arg{{Name: "code"}, {Name: "use", Choices: []string{"use"}, Optional: true}}, Handler: bots.HandlerFunc(c.coupon)})
	r.Handle(bots.Command{Name: "survey", Help: "cmd.survey", Role: bots.RoleManager, Args: []bots.Arg{id}, Handler: bots.HandlerFunc(c.survey)})
	r.Handle(bots.Command{Name: "marketing", Help: "cmd.marketing", Role: bots.RoleMember, Args: []bots.Arg{{Name: "setting", Choices: []string{"on", "off"}}}, Handler: bots.HandlerFunc(c.marketing)})
	r.Handle(bots.Command{Name: "notifications", Help: "cmd.notifications", Role: bots.RoleMember, Args: []bots.Arg{{Name: "setting", Choices: []string{"on", "off"}}}, Handler: bots.HandlerFunc(c.notifications)})
	r.Handle(bots.Command{Name: "birthday", Help: "cmd.birthday", Role: bots.RoleMember, Args: []bots.Arg{{Name: "date", Kind: bots.ArgText}}, Handler: bots.HandlerFunc(c.birthday)})
	r.Handle(bots.Command{Name: "rate", Help: "cmd.rate", Role: bots.RoleMember, Hidden: true,
		Args: []bots.Arg{id, {Name: "score", Kind: bots.ArgInt, Min: 0, Max: 10}}, Handler: bots.HandlerFunc(c.rate)})
	if c.lifecycle.EmailOn() {
		r.Handle(bots.Command{Name: "email", Help: "cmd.email", Role: bots.RoleMember, Args: []bots.Arg{{Name: "address", Kind: bots.ArgText}}, Handler: bots.HandlerFunc(c.email)})
	}
	r.Handle(bots.Command{Name: "comment", Help: "cmd.comment", Role: bots.RoleMember, Args: []bots.Arg{{Name: "text", Kind: bots.ArgText}}, Handler: bots.HandlerFunc(c.comment)})
}

func (c *Campaigns) list(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	ss, err := c.lifecycle.Report(ctx, community.ActorOf(ev))
	if err != nil {
		return nil, err
	}
	if len(ss) == 0 {
		return bots.Say(ev, "campaigns.none"), nil
	}
	var b strings.Builder
	b.WriteString(ev.T("campaigns.header"))
	for _, s := range ss {
		b.WriteString("\n" + c.statusLine(ev, s))
	}
	b.WriteString("\n" + ev.T("campaigns.footer"))
	return []bots.Reply{{Text: b.String(), Card: true}}, nil
}

// statusLine is one campaign in /campaigns.
func (c *Campaigns) statusLine(ev *bots.Event, s campaign.Status) string {
	st := s.Stats
	state := ev.T("campaign.kind_" + string(s.Def.Kind))
	if s.Paused {
		state += ", " + ev.T("campaign.paused")
	}
	line := ev.T("campaigns.line", s.Def.ID, campaignName(ev, s.Def), state, st.Entered-st.HeldOut, st.Sent, st.Converted)
	if st.HeldOut > 0 {
		line += ev.T("campaigns.holdout", st.HeldOut, st.HeldConverted)
	}
	return line
}

func campaignName(ev *bots.Event, d campaign.Definition) string {
	if n := d.Name[ev.Locale]; n != "" {
		return n
	}
	if n := d.Name[bots.English]; n != "" {
		return n
	}
	return d.ID
}

// campaign is "/campaign <id>" (its funnel) and "/campaign pause|resume|preview|test <id>".
func (c *Campaigns) campaign(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	actor, id := community.ActorOf(ev), strings.ToLower(ev.Arg("campaign"))
	var err error
	switch ev.Arg("action") {
	case "pause", "resume":
		paused := ev.Arg("action") == "pause"
		if err = c.lifecycle.Pause(ctx, actor, id, paused); err == nil {
			key := "campaign.resumed"
			if paused {
				key = "campaign.paused_now"
			}
			return bots.Say(ev, key, id), nil
		}
	case "preview":
		var p community.Preview
		if p, err = c.lifecycle.Preview(ctx, actor, id); err == nil {
			return c.preview(ev, id, p), nil
		}
	case "test":
		var n int
		if n, err = c.lifecycle.Test(ctx, actor, id); err == nil {
			return []bots.Reply{{Text: ev.TN("campaign.tested", int64(n), n, id), Private: true}}, nil
		}
	default:
		var s campaign.Status
		var steps []campaign.FunnelStep
		if s, steps, err = c.lifecycle.Funnel(ctx, actor, id, ev.Locale); err == nil {
			return c.funnel(ev, s, steps), nil
		}
	}
	if errors.Is(err, campaign.ErrUnknown) {
		return nil, bots.Errorf("campaign.unknown", id, strings.Join(c.lifecycle.Engine().IDs(), ", "))
	}
	return nil, err
}

func (c *Campaigns) funnel(ev *bots.Event, s campaign.Status, steps []campaign.FunnelStep) []bots.Reply {
	var b strings.Builder
	st := s.Stats
	b.WriteString(ev.T("campaign.header", campaignName(ev, s.Def), s.Def.ID, s.Version))
	b.WriteString("\n" + c.statusLine(ev, s))
	if s.Def.Goal.Event != "" {
		b.WriteString("\n" + ev.T("campaign.goal", s.Def.Goal.Event, s.Def.Goal.Within.String(), rate(st.Converted, st.Entered-st.HeldOut),
			st.Entered-st.HeldOut, rate(st.HeldConverted, st.HeldOut), st.HeldOut))
	}
	reentry := s.Def.Reentry
	switch t := s.Def.Trigger; {
	case reentry != "":
	case t.Event != "":
		reentry = "once"
	case t.ExpiringWithin > 0:
		reentry = t.ExpiringWithin.String()
	default:
		reentry = "each"
	}
	b.WriteString("\n" + ev.T("campaign.trigger", s.Def.Trigger.String(), reentry))
	for i, fs := range steps {
		line := fmt.Sprintf("%d. %s %s", i+1, ev.T("campaign.step_"+fs.Kind), fs.Summary)
		switch {
		case fs.Action:
			line += ev.T("campaign.reached", fs.Reached)
		case fs.Kind == "if" && fs.Else > 0:
			line += ev.T("campaign.else_step", fs.Else)
		case fs.Kind == "if":
			line += ev.T("campaign.else_end")
		}
		b.WriteString("\n" + strings.TrimRight(line, " "))
	}
	b.WriteString("\n" + ev.T("campaign.ends", st.Done, st.Exited, st.Capped, st.Left, st.Muted))
	if st.NoConsent > 0 {
		b.WriteString("\n" + ev.T("campaign.no_consent", st.NoConsent))
	}
	return []bots.Reply{{Text: b.String(), Card: true}}
}

// rate is a share as a percentage, "–" of nothing.
func rate(n, of int) string {
	if of == 0 {
		return "–"
	}
	return strconv.FormatFloat(100*float64(n)/float64(of), 'f', 1, 64) + "%"
}

func (c *Campaigns) preview(ev *bots.Event, id string, p community.Preview) []bots.Reply {
	text := ev.T("campaign.preview_event", id)
	if p.Sized {
		text = ev.TN("campaign.preview_size", int64(p.Size), id, p.Size)
	}
	out := []bots.Reply{{Text: text, Private: true}}
	for _, m := range p.Messages {
		r := bots.Reply{Text: m.Text, Private: true}
		for _, b := range m.Buttons {
			r.Buttons = append(r.Buttons, []bots.Button{{Label: b.Label, Data: b.Command}})
		}
		out = append(out, r)
	}
	return out
}

func (c *Campaigns) survey(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	id := strings.ToLower(ev.Arg("campaign"))
	rep, err := c.lifecycle.Survey(ctx, community.ActorOf(ev), id)
	switch {
	case errors.Is(err, campaign.ErrUnknown):
		return nil, bots.Errorf("campaign.unknown", id, strings.Join(c.lifecycle.Engine().IDs(), ", "))
	case errors.Is(err, campaign.ErrNoSurvey):
		return bots.Say(ev, "survey.not_a_survey", id), nil
	case err != nil:
		return nil, err
	}
	if rep.Answers == 0 {
		return bots.Say(ev, "survey.no_answers", id), nil
	}
	var b strings.Builder
	b.WriteString(ev.TN("survey.header", int64(rep.Answers), id, rep.Answers))
	if rep.Survey == campaign.NPS {
		b.WriteString("\n" + ev.T("survey.nps", fmt.Sprintf("%+.0f", rep.NPS)))
	} else {
		b.WriteString("\n" + ev.T("survey.mean", fmt.Sprintf("%.1f", rep.Mean)))
	}
	lo, hi := 1, 5
	if rep.Survey == campaign.NPS {
		lo, hi = 0, 10
	}
	for s := hi; s >= lo; s-- {
		n := rep.Counts[s]
		b.WriteString(fmt.Sprintf("\n%2d %s %d", s, strings.Repeat("█", (n*20+rep.Answers-1)/rep.Answers), n))
	}
	if len(rep.Comments) > 0 {
		b.WriteString("\n" + ev.T("survey.comments"))
		names, err := c.members.Names(context.WithoutCancel(ctx), commenters(rep.Comments))
		if err != nil {
			return nil, err
		}
		for i, a := range rep.Comments {
			if i == 10 {
				break
			}
			b.WriteString(fmt.Sprintf("\n• %d — %s: %s", a.Score, names[a.Member], a.Comment))
		}
	}
	return []bots.Reply{{Text: b.String(), Card: true}}, nil
}

func commenters(as []campaign.Answer) []uint64 {
	out := make([]uint64, len(as))
	for i, a := range as {
		out[i] = a.Member
	}
	return out
}

func (c *Campaigns) marketing(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	on := ev.Arg("setting") == "on"
	if err := c.lifecycle.SetConsent(ctx, ev.Member, on); err != nil {
		return nil, err
	}
	if on {
		return bots.SayPrivately(ev, "marketing.on_rules", c.rules(ev)), nil
	}
	return bots.SayPrivately(ev, "marketing.off"), nil
}

func (c *Campaigns) notifications(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	on := ev.Arg("setting") == "on"
	if err := c.lifecycle.SetNotifications(ctx, ev.Member, on); err != nil {
		return nil, err
	}
	if on {
		return bots.SayPrivately(ev, "notifications.on"), nil
	}
	return bots.SayPrivately(ev, "notifications.off"), nil
}

func (c *Campaigns) birthday(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	mmdd, err := c.lifecycle.SetBirthday(ctx, ev.Member, ev.Arg("date"))
	var locked *community.BirthdayLockedError
	switch {
	case errors.As(err, &locked):
		return bots.SayPrivately(ev, "birthday.locked", date(locked.Until, c.loc)), nil
	case errors.Is(err, community.ErrBadBirthday):
		return bots.SayPrivately(ev, "birthday.bad", ev.Arg("date")), nil
	case err != nil:
		return nil, err
	case mmdd == "":
		return bots.SayPrivately(ev, "birthday.off"), nil
	}
	return bots.SayPrivately(ev, "birthday.set", mmdd), nil
}

func (c *Campaigns) rate(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	id := strings.ToLower(ev.Arg("campaign"))
	score, _ := strconv.Atoi(ev.Arg("score"))
	a, err := c.lifecycle.Rate(ctx, ev.Member, id, score)
	switch {
	case errors.Is(err, campaign.ErrAnswered):
		return bots.SayPrivately(ev, "survey.answered"), nil
	case errors.Is(err, campaign.ErrNoSurvey), errors.Is(err, campaign.ErrUnknown):
		return bots.SayPrivately(ev, "survey.not_sent"), nil
	case errors.Is(err, campaign.ErrBadScore):
		return bots.SayPrivately(ev, "survey.bad_score"), nil
	case err != nil:
		return nil, err
	}
	c.log.InfoContext(ctx, "survey answered", "campaign", id, "member", ev.Member, "score", a.Score)
	return bots.SayPrivately(ev, "survey.thanks"), nil
}

func (c *Campaigns) comment(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	err := c.lifecycle.Comment(ctx, ev.Member, ev.Arg("text"))
	switch {
	case errors.Is(err, campaign.ErrNoAnswer):
		return bots.SayPrivately(ev, "survey.no_comment"), nil
	case errors.Is(err, campaign.ErrLongReply):
		return bots.SayPrivately(ev, "survey.long_comment"), nil
	case err != nil:
		return nil, err
	}
	return bots.SayPrivately(ev, "survey.commented"), nil
}

// coupon is "/coupon <code>" (whose it is, its terms, whether it is
// valid) and "/coupon <code> use" (mark it used, once).
func (c *Campaigns) coupon(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	actor, code := community.ActorOf(ev), ev.Arg("code")
	if ev.Arg("use") != "" {
		cp, err := c.lifecycle.UseCoupon(ctx, actor, code)
		switch {
		case errors.Is(err, campaign.ErrNoCoupon):
			return bots.Say(ev, "coupon.unknown", code), nil
		case errors.Is(err, campaign.ErrCouponUsed):
			return bots.Say(ev, "coupon.used_already", code), nil
		case errors.Is(err, campaign.ErrExpired):
			return bots.Say(ev, "coupon.expired", code), nil
		case err != nil:
			return nil, err
		}
		return bots.Say(ev, "coupon.marked", cp.Code), nil
	}
	cp, name, err := c.lifecycle.Coupon(ctx, actor, code)
	if errors.Is(err, campaign.ErrNoCoupon) {
		return bots.Say(ev, "coupon.unknown", code), nil
	}
	if err != nil {
		return nil, err
	}
	state := ev.T("coupon.valid")
	switch {
	case !cp.Used.IsZero():
		state = ev.T("coupon.state_used", date(cp.Used, c.loc))
	case c.now().After(cp.Expires):
		state = ev.T("coupon.state_expired")
	}
	return bots.Say(ev, "coupon.info", cp.Code, name, cp.Campaign, c.lifecycle.OfferText(ctx, ev.Locale, cp), state), nil
}

// webhooks lists the outbound webhooks; "/webhooks resume <n>" enables a
// disabled one again.
func (c *Campaigns) webhooks(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	actor := community.ActorOf(ev)
	if ev.Arg("resume") != "" {
		n, _ := strconv.Atoi(ev.Arg("number"))
		err := c.lifecycle.ResumeWebhook(ctx, actor, n)
		if errors.Is(err, campaign.ErrUnknown) {
			return bots.Say(ev, "webhooks.unknown", n), nil
		}
		if err != nil {
			return nil, err
		}
		return bots.Say(ev, "webhooks.resumed", n), nil
	}
	ws, err := c.lifecycle.Webhooks(ctx, actor)
	if err != nil {
		return nil, err
	}
	if len(ws) == 0 {
		return bots.Say(ev, "webhooks.none"), nil
	}
	lines := []string{ev.T("webhooks.header")}
	for i, w := range ws {
		state := ev.T("webhooks.ok")
		switch {
		case w.Disabled:
			state = ev.T("webhooks.disabled", w.LastError)
		case w.Failures > 0:
			state = ev.T("webhooks.failing", w.Failures, w.LastError)
		}
		lines = append(lines, ev.T("webhooks.line", i+1, w.URL, w.Delivered, state))
	}
	return []bots.Reply{{Text: strings.Join(lines, "\n"), Card: true}}, nil
}

// email is "/email you@example.com", "/email confirm <code>" and "/email off".
func (c *Campaigns) email(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	arg := strings.TrimSpace(ev.Arg("address"))
	if code, ok := strings.CutPrefix(arg, "confirm"); ok && (code == "" || code[0] == ' ') {
		addr, err := c.lifecycle.ConfirmEmail(ctx, ev.Member, code)
		if errors.Is(err, community.ErrWrongCode) {
			return bots.SayPrivately(ev, "email.wrong_code"), nil
		}
		if err != nil {
			return nil, err
		}
		return bots.SayPrivately(ev, "email.confirmed", addr), nil
	}
	if arg == "off" {
		if err := c.lifecycle.RemoveEmail(ctx, ev.Member); err != nil {
			return nil, err
		}
		return bots.SayPrivately(ev, "email.removed"), nil
	}
	addr, err := c.lifecycle.RequestEmail(ctx, ev.Member, arg)
	switch {
	case errors.Is(err, community.ErrNoEmail):
		return bots.SayPrivately(ev, "email.not_set_up"), nil
	case errors.Is(err, community.ErrBadEmail):
		return bots.SayPrivately(ev, "email.bad", arg), nil
	case errors.Is(err, community.ErrTooManyCodes):
		return bots.SayPrivately(ev, "email.too_many"), nil
	case err != nil:
		c.log.WarnContext(ctx, "confirmation mail failed", "member", ev.Member, "err", err)
		return bots.SayPrivately(ev, "email.send_failed"), nil
	}
	return bots.SayPrivately(ev, "email.code_sent", addr), nil
}

// rules says the marketing guard rails as configured: the weekly cap and
// the quiet hours.
func (c *Campaigns) rules(ev *bots.Event) string {
	perWeek, from, to := c.lifecycle.Rules()
	switch {
	case perWeek >= 0 && from != "":
		return ev.TN("consent.rules_cap_quiet", int64(perWeek), perWeek, from, to)
	case perWeek >= 0:
		return ev.TN("consent.rules_cap", int64(perWeek), perWeek)
	case from != "":
		return ev.T("consent.rules_quiet", from, to)
	}
	return ""
}

// consentAsk is the one-time question after a newcomer's welcome: may the
// brand send offers?
func (c *Campaigns) consentAsk(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	ask, err := c.lifecycle.AskConsent(ctx, ev.Member)
	if err != nil || !ask {
		return nil, err
	}
	return []bots.Reply{{Text: ev.T("consent.ask", c.rules(ev)), Private: true, Buttons: [][]bots.Button{{
		{Label: ev.T("consent.yes"), Data: "/marketing on"}, {Label: ev.T("consent.no"), Data: "/marketing off"}}}}}, nil
}

var campaignMessages = messages{
	bots.English: {
		"cmd.campaigns":                 "lifecycle campaigns: who entered, was sent, converted",
		"cmd.campaign":                  "one campaign's funnel; pause, resume, preview or test it",
		"cmd.survey":                    "a survey campaign's scores and comments",
		"cmd.coupon":                    "check an offer's coupon code, or mark it used",
		"arg.use":                       "use",
		"coupon.unknown":                "There is no coupon %s.",
		"coupon.used_already":           "Coupon %s was used already.",
		"coupon.expired":                "Coupon %s has expired.",
		"coupon.marked":                 "✅ Coupon %s is marked used.",
		"coupon.valid":                  "valid",
		"coupon.state_used":             "used on %s",
		"coupon.state_expired":          "expired",
		"coupon.info":                   "🎟 %s — %s (campaign %s)\n%s\nStatus: %s",
		"cmd.webhooks":                  "outbound webhooks and their state; resume <n> switches one back on",
		"arg.number":                    "number",
		"webhooks.none":                 "No webhooks are configured (webhooks: in the config).",
		"webhooks.header":               "🔗 Webhooks",
		"webhooks.line":                 "%d. %s — %d delivered, %s",
		"webhooks.ok":                   "working",
		"webhooks.failing":              "failing (%d in a row: %s)",
		"webhooks.disabled":             "switched off after a day of failures (%s): /webhooks resume",
		"webhooks.resumed":              "Webhook %d is on again; it is tried at once.",
		"webhooks.unknown":              "There is no webhook %d.",
		"cmd.notifications":             "turn reminders and service messages on or off",
		"cmd.birthday":                  "set your birthday (MM-DD) for a birthday gift, or off",
		"cmd.rate":                      "answer a survey",
		"cmd.comment":                   "add a comment to your last survey answer",
		"cmd.email":                     "add your e-mail for news by mail (you@example.com, confirm <code>, or off)",
		"arg.address":                   "e-mail",
		"email.code_sent":               "📧 We sent a code to %s. Send /email confirm <code> within 30 minutes.",
		"email.confirmed":               "✅ %s is confirmed. Mail from us has an unsubscribe link; /email off removes the address.",
		"email.wrong_code":              "That code is wrong or has expired. Send /email <address> for a new one.",
		"email.removed":                 "Your e-mail address is removed.",
		"email.not_set_up":              "This community doesn't send e-mail yet.",
		"email.bad":                     "%q isn't an e-mail address. Send it like /email you@example.com.",
		"email.too_many":                "That's three codes today already; please try again tomorrow.",
		"email.send_failed":             "I couldn't send the code just now; please try again later.",
		"arg.campaign":                  "campaign",
		"arg.score":                     "score",
		"arg.date":                      "date",
		"campaigns.none":                "No campaigns are configured.",
		"campaigns.header":              "📣 Campaigns",
		"campaigns.line":                "• %s — %s (%s): %d entered, %d sent, %d converted",
		"campaigns.holdout":             "; holdout %d, %d converted",
		"campaigns.footer":              "/campaign <id> shows one step by step.",
		"campaign.kind_service":         "service",
		"campaign.kind_marketing":       "marketing",
		"campaign.paused":               "paused",
		"campaign.paused_now":           "⏸ Campaign %s is paused: no one enters and no step runs until /campaign resume %[1]s.",
		"campaign.resumed":              "▶️ Campaign %s runs again; steps that fell due meanwhile run now.",
		"campaign.unknown":              "There is no campaign %q. Campaigns: %s.",
		"campaign.header":               "📣 %s (%s, version %d)",
		"campaign.goal":                 "Goal: %s within %s — converted %s of %d treated, %s of %d held out.",
		"campaign.no_consent":           "Not entered for want of marketing consent: %d.",
		"campaign.step_message":         "message",
		"campaign.step_survey":          "survey",
		"campaign.step_grant":           "points",
		"campaign.step_offer":           "offer",
		"campaign.trigger":              "Trigger: %s; re-entry: %s",
		"campaign.reached":              " — reached by %d",
		"campaign.else_step":            " (if not: step %d)",
		"campaign.else_end":             " (if not: the run ends)",
		"campaign.step_wait":            "wait",
		"campaign.step_until":           "wait until",
		"campaign.step_wait_for":        "wait for",
		"campaign.step_if":              "if",
		"campaign.step_tag":             "tag",
		"campaign.step_untag":           "untag",
		"campaign.step_exit":            "exit",
		"campaign.ends":                 "Finished %d, exited %d, capped %d, left %d; service messages muted %d.",
		"campaign.preview_event":        "Campaign %s: members enter when its event happens to them. Its messages for you:",
		"campaign.preview_size#one":     "Campaign %s would reach %d member now. Its messages for you:",
		"campaign.preview_size#other":   "Campaign %s would reach %d members now. Its messages for you:",
		"campaign.tested#one":           "Sent you %d message of campaign %s, as a test: no points, nothing recorded.",
		"campaign.tested#other":         "Sent you %d messages of campaign %s, as a test: no points, nothing recorded.",
		"survey.not_a_survey":           "Campaign %s asks no survey.",
		"survey.no_answers":             "No answers to %s yet.",
		"survey.header#one":             "📊 %s: %d answer",
		"survey.header#other":           "📊 %s: %d answers",
		"survey.nps":                    "NPS %s (promoters 9–10 minus detractors 0–6)",
		"survey.mean":                   "Average %s of 5",
		"survey.comments":               "Latest comments:",
		"survey.thanks":                 "Thank you for your answer! If you'd like to add anything, send /comment followed by your words.",
		"survey.answered":               "You've answered this one already — thank you!",
		"survey.not_sent":               "That survey isn't open for you.",
		"survey.bad_score":              "That score is outside the survey's scale.",
		"survey.no_comment":             "There's no recent survey answer to add a comment to.",
		"survey.long_comment":           "That comment is too long; please keep it under 1,000 characters.",
		"survey.commented":              "Thanks, we've added your comment.",
		"notifications.on":              "Reminders and service messages are on.",
		"notifications.off":             "Reminders and service messages are off. Replies to your commands still come; /notifications on turns them back on.",
		"birthday.set":                  "🎂 Saved: your birthday is %s. We'll have something for you that month.",
		"birthday.off":                  "Your birthday is removed.",
		"birthday.locked":               "A birthday can change once a year; yours can change again from %s. /birthday off removes it.",
		"birthday.bad":                  "%q isn't a month and day. Send it as MM-DD, for example /birthday 03-14.",
		"consent.ask":                   "May we send you offers and news now and then? %s You can change your mind any time with /marketing.",
		"consent.rules_cap_quiet#one":   "At most %d a week, never between %s and %s.",
		"consent.rules_cap_quiet#other": "At most %d a week, never between %s and %s.",
		"consent.rules_cap#one":         "At most %d a week.",
		"consent.rules_cap#other":       "At most %d a week.",
		"consent.rules_quiet":           "Never between %s and %s.",
		"marketing.on_rules":            "Thanks! We'll send you offers now and then. %s /marketing off stops them.",
		"consent.yes":                   "Yes, send offers",
		"consent.no":                    "No thanks",
	},
	bots.Chinese: {
		"cmd.campaigns":                 "会员运营活动：进入、发送、转化人数",
		"cmd.campaign":                  "查看某个活动的漏斗；暂停、恢复、预览或测试",
		"cmd.survey":                    "调查活动的评分与留言",
		"cmd.coupon":                    "查询活动优惠码，或标记为已使用",
		"arg.use":                       "使用",
		"coupon.unknown":                "没有优惠码 %s。",
		"coupon.used_already":           "优惠码 %s 已经使用过了。",
		"coupon.expired":                "优惠码 %s 已过期。",
		"coupon.marked":                 "✅ 优惠码 %s 已标记为已使用。",
		"coupon.valid":                  "有效",
		"coupon.state_used":             "已于 %s 使用",
		"coupon.state_expired":          "已过期",
		"coupon.info":                   "🎟 %s — %s（活动 %s）\n%s\n状态：%s",
		"cmd.webhooks":                  "外发 Webhook 及其状态；resume <编号> 重新启用",
		"arg.number":                    "编号",
		"webhooks.none":                 "没有配置 Webhook（配置中的 webhooks:）。",
		"webhooks.header":               "🔗 Webhook",
		"webhooks.line":                 "%d. %s — 已送达 %d，%s",
		"webhooks.ok":                   "正常",
		"webhooks.failing":              "出错（连续 %d 次：%s）",
		"webhooks.disabled":             "连续失败一天后已停用（%s）：/webhooks resume",
		"webhooks.resumed":              "Webhook %d 已重新启用，会立即重试。",
		"webhooks.unknown":              "没有编号为 %d 的 Webhook。",
		"cmd.notifications":             "开启或关闭提醒与服务消息",
		"cmd.birthday":                  "设置生日（月-日）领取生日礼，或 off 删除",
		"cmd.rate":                      "回答调查",
		"cmd.comment":                   "给你最近一次调查回答补充留言",
		"cmd.email":                     "添加邮箱接收邮件通知（you@example.com、confirm <验证码> 或 off）",
		"arg.address":                   "邮箱",
		"email.code_sent":               "📧 验证码已发送到 %s。请在 30 分钟内发送 /email confirm <验证码>。",
		"email.confirmed":               "✅ %s 已验证。我们的邮件都带有退订链接；发送 /email off 可删除邮箱。",
		"email.wrong_code":              "验证码错误或已过期。请重新发送 /email <邮箱> 获取新的验证码。",
		"email.removed":                 "已删除你的邮箱。",
		"email.not_set_up":              "本社区暂未开通邮件。",
		"email.bad":                     "%q 不是有效的邮箱地址。请这样发送：/email you@example.com。",
		"email.too_many":                "今天已经发送过三次验证码了，请明天再试。",
		"email.send_failed":             "验证码暂时发送失败，请稍后再试。",
		"arg.campaign":                  "活动",
		"arg.score":                     "分数",
		"arg.date":                      "日期",
		"campaigns.none":                "还没有配置任何活动。",
		"campaigns.header":              "📣 运营活动",
		"campaigns.line":                "• %s — %s（%s）：进入 %d，发送 %d，转化 %d",
		"campaigns.holdout":             "；对照组 %d，转化 %d",
		"campaigns.footer":              "/campaign <活动> 查看每一步。",
		"campaign.kind_service":         "服务",
		"campaign.kind_marketing":       "营销",
		"campaign.paused":               "已暂停",
		"campaign.paused_now":           "⏸ 活动 %s 已暂停：在 /campaign resume %[1]s 之前，不会有人进入，也不会执行任何步骤。",
		"campaign.resumed":              "▶️ 活动 %s 已恢复；暂停期间到期的步骤现在执行。",
		"campaign.unknown":              "没有名为 %q 的活动。现有活动：%s。",
		"campaign.header":               "📣 %s（%s，第 %d 版）",
		"campaign.goal":                 "目标：%s，期限 %s — 实验组转化 %s（%d 人），对照组转化 %s（%d 人）。",
		"campaign.no_consent":           "因未同意营销消息而未进入：%d。",
		"campaign.step_message":         "消息",
		"campaign.step_survey":          "调查",
		"campaign.step_grant":           "积分",
		"campaign.step_offer":           "优惠",
		"campaign.trigger":              "触发：%s；重复进入：%s",
		"campaign.reached":              " — 到达 %d 人",
		"campaign.else_step":            "（否则：第 %d 步）",
		"campaign.else_end":             "（否则：结束）",
		"campaign.step_wait":            "等待",
		"campaign.step_until":           "等到",
		"campaign.step_wait_for":        "等待事件",
		"campaign.step_if":              "如果",
		"campaign.step_tag":             "加标签",
		"campaign.step_untag":           "去标签",
		"campaign.step_exit":            "结束",
		"campaign.ends":                 "完成 %d，退出 %d，超出频次 %d，离开 %d；服务消息被关闭 %d。",
		"campaign.preview_event":        "活动 %s：成员在对应事件发生时进入。以下是发给你的消息：",
		"campaign.preview_size#other":   "活动 %s 现在会覆盖 %d 位成员。以下是发给你的消息：",
		"campaign.tested#other":         "已把活动 %[2]s 的 %[1]d 条消息作为测试发给你：不发积分，不做记录。",
		"survey.not_a_survey":           "活动 %s 没有调查。",
		"survey.no_answers":             "%s 还没有人回答。",
		"survey.header#other":           "📊 %s：%d 份回答",
		"survey.nps":                    "NPS %s（推荐者 9–10 分减去贬损者 0–6 分）",
		"survey.mean":                   "平均 %s 分（满分 5 分）",
		"survey.comments":               "最新留言：",
		"survey.thanks":                 "感谢你的回答！如果还想补充，发送 /comment 加上你的留言。",
		"survey.answered":               "你已经回答过了，谢谢！",
		"survey.not_sent":               "这个调查没有对你开放。",
		"survey.bad_score":              "这个分数不在调查的范围内。",
		"survey.no_comment":             "最近没有可以补充留言的调查回答。",
		"survey.long_comment":           "留言太长了，请控制在 1000 字以内。",
		"survey.commented":              "谢谢，已收到你的留言。",
		"notifications.on":              "已开启提醒与服务消息。",
		"notifications.off":             "已关闭提醒与服务消息。你发的命令仍会有回复；发送 /notifications on 可重新开启。",
		"birthday.set":                  "🎂 已保存：你的生日是 %s。那个月我们会为你准备一份心意。",
		"birthday.off":                  "已删除你的生日。",
		"birthday.locked":               "生日每年只能修改一次；你可以在 %s 之后再修改。发送 /birthday off 可删除。",
		"birthday.bad":                  "%q 不是有效的月和日。请按 月-日 发送，例如 /birthday 03-14。",
		"consent.ask":                   "可以偶尔给你发送优惠和新品消息吗？%s随时可以用 /marketing 更改。",
		"consent.rules_cap_quiet#other": "每周最多 %d 条，%s 至 %s 不打扰。",
		"consent.rules_cap#other":       "每周最多 %d 条。",
		"consent.rules_quiet":           "%s 至 %s 不打扰。",
		"marketing.on_rules":            "谢谢！我们会偶尔给你发送优惠消息。%s发送 /marketing off 即可停止。",
		"consent.yes":                   "好的，发给我",
		"consent.no":                    "不用了",
	},
}
