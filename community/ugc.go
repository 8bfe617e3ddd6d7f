package community

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/loyalty"
	"github.com/loyalbot/loyalbot/ugc"
)

// registerUGC adds the ambassador programme's commands.
func (c *Community) registerUGC(r *bots.Router) {
	r.Catalog().Add(bots.English, englishUGC)
	r.Catalog().Add(bots.Chinese, chineseUGC)
	id := bots.Arg{Name: "id", Kind: bots.ArgInt, Min: 1, Max: 1 << 53}
	for _, cmd := range []bots.Command{
		{Name: "submit", Help: "cmd.submit", Role: bots.RoleMember, Args: []bots.Arg{{Name: "url"}, {Name: "note", Kind: bots.ArgText, Optional: true}}, Handler: bots.HandlerFunc(c.submit)},
		{Name: "submissions", Help: "cmd.submissions", Role: bots.RoleMember, Args: []bots.Arg{{Name: "filter", Kind: bots.ArgText, Optional: true}}, Handler: bots.HandlerFunc(c.submissions)},
		{Name: "ref", Help: "cmd.ref", Role: bots.RoleMember, Handler: bots.HandlerFunc(c.ref)},
		{Name: "referrals", Help: "cmd.referrals", Role: bots.RoleMember, Args: []bots.Arg{{Name: "which", Choices: []string{"rejected"}, Optional: true}}, Handler: bots.HandlerFunc(c.referrals)},
		{Name: "ambassador", Help: "cmd.ambassador", Role: bots.RoleMember, Args: []bots.Arg{{Name: "action", Choices: []string{"apply", "approve", "reject"}}, {Name: "rest", Kind: bots.ArgText, Optional: true}}, Handler: bots.HandlerFunc(c.ambassador)},
		{Name: "review", Help: "cmd.review", Role: bots.RoleManager, Handler: bots.HandlerFunc(c.review)},
		{Name: "approve", Help: "cmd.approve", Role: bots.RoleManager, Args: []bots.Arg{id, {Name: "points", Kind: bots.ArgInt, Min: 1, Max: 100_000, Optional: true}, {Name: "note", Kind: bots.ArgText, Optional: true}}, Handler: bots.HandlerFunc(c.approve)},
		{Name: "reject", Help: "cmd.reject", Role: bots.RoleManager, Args: []bots.Arg{id, {Name: "reason", Kind: bots.ArgText, Optional: true}}, Handler: bots.HandlerFunc(c.reject)},
		{Name: "feature", Help: "cmd.feature", Role: bots.RoleManager, Args: []bots.Arg{id}, Handler: bots.HandlerFunc(c.feature)},
		{Name: "ambassadors", Help: "cmd.ambassadors", Role: bots.RoleManager, Handler: bots.HandlerFunc(c.ambassadors)},
	} {
		r.Handle(cmd)
	}
}

func (c *Community) submit(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	if ev.Role < bots.RoleAmbassador && !c.cfg.MembersMaySubmit {
		return bots.Say(ev, "submit.ambassadors_only"), nil
	}
	sub, err := c.ugc.Submit(ctx, ev.Key("submit"), ev.Member, ev.Arg("url"), ev.Arg("note"))
	var dup *ugc.DuplicateError
	var bad *ugc.URLError
	switch {
	case errors.As(err, &bad):
		var why string
		switch bad.Reason {
		case ugc.URLTooLong:
			why = ev.T("submit.bad_url."+bad.Reason, ugc.MaxURLLength)
		case ugc.URLBadHost:
			why = ev.T("submit.bad_url."+bad.Reason, bad.Host)
		default:
			why = ev.T("submit.bad_url." + bad.Reason)
		}
		return bots.Say(ev, "submit.bad_url", why), nil
	case errors.As(err, &dup):
		return bots.Say(ev, "submit.duplicate", dup.Existing.ID, date(dup.Existing.Created, c.loc), ev.T("status."+string(dup.Existing.Status))), nil
	case errors.Is(err, ugc.ErrQuota):
		return []bots.Reply{{Text: ev.TN("submit.quota", int64(c.ugc.Config().DailyQuota), c.ugc.Config().DailyQuota)}}, nil
	case err != nil:
		return nil, fmt.Errorf("submit: %w", err)
	}
	c.log.InfoContext(ctx, "content submitted", "member", ev.Member, "submission", sub.ID, "platform", sub.Platform)
	return bots.Say(ev, "submit.ok", sub.ID, sub.Platform, pts(ev, c.ugc.Config().RewardFor(sub.Platform, sub.Type))), nil
}

// submissions lists the member's own submissions; managers may filter all
// of them by status, @member and platform.
func (c *Community) submissions(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	f := ugc.Filter{Member: ev.Member}
	if ev.Role >= bots.RoleManager && ev.Arg("filter") != "" {
		f.Member = 0
		toks, _ := bots.Tokenize(ev.Arg("filter"))
		for _, tok := range toks {
			switch low := strings.ToLower(tok); {
			case low == "pending" || low == "approved" || low == "rejected":
				f.Status = ugc.Status(low)
			case strings.HasPrefix(tok, "@") || strings.HasPrefix(tok, "<@"):
				id, err := c.members.LookupMention(ctx, ev.Platform, tok)
				if err != nil {
					return nil, bots.Errorf("error.unknown_member", tok)
				}
				f.Member = id
			default:
				f.Platform = low
			}
		}
	}
	subs, err := c.ugc.List(ctx, f, 15)
	if err != nil {
		return nil, err
	}
	if len(subs) == 0 {
		return bots.Say(ev, "submissions.empty"), nil
	}
	lines := []string{ev.T("submissions.header")}
	for _, s := range subs {
		line := ev.T("submissions.line", s.ID, ev.T("status."+string(s.Status)), s.Platform, s.Canonical)
		if s.Status == ugc.Approved {
			line += " +" + pts(ev, s.Points)
		}
		if s.Status == ugc.Rejected && s.Reason != "" {
			line += " — " + s.Reason
		}
		lines = append(lines, line)
	}
	return c.personal(ev, []bots.Reply{{Text: strings.Join(lines, "\n")}}), nil
}

// review shows managers the oldest pending submissions with buttons.
func (c *Community) review(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	subs, err := c.ugc.Queue(ctx, 5)
	if err != nil {
		return nil, err
	}
	if len(subs) == 0 {
		return bots.Say(ev, "review.empty"), nil
	}
	names, err := c.members.Names(ctx, memberIDs(subs))
	if err != nil {
		return nil, err
	}
	var out []bots.Reply
	for _, s := range subs {
		text := ev.T("review.item", s.ID, names[s.Member], s.Platform, s.Canonical, date(s.Created, c.loc))
		if s.Note != "" {
			text += "\n" + s.Note
		}
		id := strconv.FormatUint(s.ID, 10)
		out = append(out, bots.Reply{Text: text, Buttons: [][]bots.Button{{
			{Label: ev.T("button.approve"), Data: "/approve " + id},
			{Label: ev.T("button.reject"), Data: "/reject " + id},
		}}})
	}
	return out, nil
}

func memberIDs(subs []ugc.Submission) []uint64 {
	ids := make([]uint64, len(subs))
	for i, s := range subs {
		ids[i] = s.Member
	}
	return ids
}

// ApproveSubmission approves a submission and pays it: points when
// positive, else its configured reward. A manager may not approve their own
// submission (ErrSelf; owners may), and the payout counts against their
// daily limit: past it the approval is refused with a *LimitError (the
// owner can approve it). It returns a *ForbiddenError below manager and
// ugc's errors for an unknown or already rejected submission; audited.
func (c *Community) ApproveSubmission(ctx context.Context, actor Actor, id uint64, points int64, note, key string) (ugc.Submission, error) {
	if err := actor.require("approve", bots.RoleManager); err != nil {
		return ugc.Submission{}, err
	}
	sub, quote, err := c.ugc.Quote(ctx, id, points)
	if err != nil {
		return ugc.Submission{}, err
	}
	if sub.Status != ugc.Pending { // a replay (it pays what a crash left unpaid) or ErrReviewed: nothing new to audit
		return c.ugc.Approve(ctx, id, actor.Member, points, note)
	}
	rec, err := c.grantAudit(ctx, actor, "approve", sub, quote, key, map[string]string{"submission": strconv.FormatUint(id, 10), "note": note})
	if err != nil {
		return ugc.Submission{}, err
	}
	got, err := c.ugc.Approve(ctx, id, actor.Member, points, note)
	return got, c.finishGrantAudit(ctx, rec, err)
}

// FeatureSubmission features an approved submission and pays the bonus,
// under the rules of ApproveSubmission.
func (c *Community) FeatureSubmission(ctx context.Context, actor Actor, id uint64, key string) (ugc.Submission, int64, error) {
	if err := actor.require("feature", bots.RoleManager); err != nil {
		return ugc.Submission{}, 0, err
	}
	sub, err := c.ugc.Get(ctx, id)
	if err != nil {
		return ugc.Submission{}, 0, err
	}
	if sub.Featured || sub.Status != ugc.Approved { // a replay, or ErrNotApproved: nothing new to audit
		return c.ugc.Feature(ctx, id, actor.Member)
	}
	rec, err := c.grantAudit(ctx, actor, "feature", sub, c.ugc.Config().FeatureBonus, key, map[string]string{"submission": strconv.FormatUint(id, 10)})
	if err != nil {
		return ugc.Submission{}, 0, err
	}
	got, paid, err := c.ugc.Feature(ctx, id, actor.Member)
	return got, paid, c.finishGrantAudit(ctx, rec, err)
}

// grantAudit checks who may pay a submission and records it against the
// actor's daily limit; past the limit it returns a *LimitError.
func (c *Community) grantAudit(ctx context.Context, actor Actor, action string, sub ugc.Submission, amount int64, key string, args map[string]string) (AuditEntry, error) {
	if sub.Member == actor.Member && actor.Role < bots.RoleOwner {
		return AuditEntry{}, fmt.Errorf("%s #%d: %w", action, sub.ID, ErrSelf)
	}
	e := actor.entry(action, sub.Member)
	e.Amount, e.Key, e.Args, e.Outcome = amount, key, args, OutcomeStarted
	e.Effect = "ugc-" + action + ":" + strconv.FormatUint(sub.ID, 10)
	limit := int64(0)
	if actor.Role < bots.RoleOwner && amount > 0 {
		e.Day, limit = c.day(), c.limits.ManagerDailyPoints
	}
	rec, used, err := c.audit(ctx, e, limit)
	if err != nil {
		return rec, err
	}
	if rec.Outcome == OutcomeAwaiting {
		if _, err := c.settleAudit(ctx, rec.ID, OutcomeRefused, "past the daily limit"); err != nil {
			return rec, err
		}
		return rec, &LimitError{Limit: limit, Used: used, Asked: amount}
	}
	return rec, nil
}

// finishGrantAudit records how a paying decision ended and returns its error.
func (c *Community) finishGrantAudit(ctx context.Context, rec AuditEntry, err error) error {
	outcome, note := OutcomeDone, ""
	if err != nil {
		outcome, note = OutcomeRefused, err.Error()
	}
	if rec.Outcome != OutcomeStarted {
		return err // recorded before: a retried request
	}
	if _, aerr := c.settleAudit(ctx, rec.ID, outcome, note); aerr != nil {
		return errors.Join(err, aerr)
	}
	return err
}

// RejectSubmission rejects a pending submission, audited.
func (c *Community) RejectSubmission(ctx context.Context, actor Actor, id uint64, reason string) (ugc.Submission, error) {
	if err := actor.require("reject", bots.RoleManager); err != nil {
		return ugc.Submission{}, err
	}
	sub, err := c.ugc.Reject(ctx, id, actor.Member, reason)
	if err != nil || sub.Replay {
		return sub, err
	}
	e := actor.entry("reject", sub.Member)
	e.Args = map[string]string{"submission": strconv.FormatUint(id, 10), "reason": reason}
	_, _, err = c.audit(ctx, e, 0)
	return sub, err
}

func (c *Community) approve(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	sub, err := c.ApproveSubmission(ctx, ActorOf(ev), uint64(ev.ArgInt("id")), ev.ArgInt("points"), ev.Arg("note"), ev.Key("approve"))
	if reply, ok := c.reviewError(ev, err); ok {
		return reply, nil
	}
	if err != nil {
		return nil, err
	}
	if sub.Replay {
		return bots.Say(ev, "approve.already", sub.ID, pts(ev, sub.Points)), nil
	}
	c.log.InfoContext(ctx, "submission approved", "by", ev.Member, "submission", sub.ID, "points", sub.Points)
	c.notifyMember(ctx, loyalty.Member(sub.Member), "notify.approved", sub.ID, pointsN(sub.Points), sub.Reason)
	return bots.Say(ev, "approve.ok", sub.ID, pts(ev, sub.Points)), nil
}

func (c *Community) reject(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	sub, err := c.RejectSubmission(ctx, ActorOf(ev), uint64(ev.ArgInt("id")), ev.Arg("reason"))
	if reply, ok := c.reviewError(ev, err); ok {
		return reply, nil
	}
	if err != nil {
		return nil, err
	}
	if sub.Replay {
		return bots.Say(ev, "reject.already", sub.ID), nil
	}
	if sub.Reason == "" {
		c.notifyMember(ctx, loyalty.Member(sub.Member), "notify.rejected_brief", sub.ID)
	} else {
		c.notifyMember(ctx, loyalty.Member(sub.Member), "notify.rejected", sub.ID, sub.Reason)
	}
	return bots.Say(ev, "reject.ok", sub.ID), nil
}

func (c *Community) feature(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	sub, bonus, err := c.FeatureSubmission(ctx, ActorOf(ev), uint64(ev.ArgInt("id")), ev.Key("feature"))
	if reply, ok := c.reviewError(ev, err); ok {
		return reply, nil
	}
	if err != nil {
		return nil, err
	}
	if sub.Replay {
		return bots.Say(ev, "feature.already", sub.ID), nil
	}
	c.notifyMember(ctx, loyalty.Member(sub.Member), "notify.featured", sub.ID, pointsN(bonus))
	return bots.Say(ev, "feature.ok", sub.ID, pts(ev, bonus)), nil
}

func (c *Community) reviewError(ev *bots.Event, err error) ([]bots.Reply, bool) {
	id := ev.ArgInt("id")
	var limit *LimitError
	switch {
	case errors.Is(err, ErrSelf):
		return bots.Say(ev, "review.self", id), true
	case errors.As(err, &limit):
		return bots.Say(ev, "review.limit", id, pts(ev, limit.Asked), pts(ev, limit.Limit), pts(ev, limit.Used)), true
	case errors.Is(err, ugc.ErrNotFound):
		return bots.Say(ev, "review.unknown", id), true
	case errors.Is(err, ugc.ErrReviewed):
		return bots.Say(ev, "review.decided", id), true
	case errors.Is(err, ugc.ErrNotApproved):
		return bots.Say(ev, "feature.not_approved", id), true
	}
	return nil, false
}

// ref shows the member's referral code and how friends use it.
func (c *Community) ref(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
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

// attribute credits a referral code to a newcomer who arrived with it
// (/start ref_CODE, or an invite link named ref_CODE).
func (c *Community) attribute(ctx context.Context, ev *bots.Event, code, via string, fresh bool) (string, error) {
	if c.ugc == nil {
		return "", nil
	}
	ref, err := c.ugc.Attribute(ctx, ev.Member, code, via, fresh)
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

// qualifyReferral pays a pending referral once the new member has checked
// in, and tells the referrer.
func (c *Community) qualifyReferral(ctx context.Context, ev *bots.Event) (string, error) {
	if c.ugc == nil {
		return "", nil
	}
	ref, paid, err := c.ugc.Qualify(ctx, ev.Member)
	if err != nil || !paid {
		return "", err
	}
	c.log.InfoContext(ctx, "referral qualified", "referrer", ref.Referrer, "referee", ref.Referee, "paid", ref.Paid)
	c.notifyMember(ctx, loyalty.Member(ref.Referrer), "notify.referral", ev.Name, pointsN(ref.Paid))
	return ev.T("ref.qualified", pts(ev, c.ugc.Config().RefereeReward)), nil
}

func (c *Community) referrals(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
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

func (c *Community) listReferrals(ctx context.Context, ev *bots.Event, refs []ugc.Referral, header string) ([]bots.Reply, error) {
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

// ambassador handles "/ambassador apply [why]" for members and
// "/ambassador approve|reject @member" for managers.
func (c *Community) ambassador(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	if ev.Arg("action") == "apply" {
		if ev.Role >= bots.RoleAmbassador {
			return bots.Say(ev, "ambassador.already"), nil
		}
		_, err := c.ugc.Apply(ctx, ev.Member, ev.Arg("rest"))
		if errors.Is(err, ugc.ErrApplied) {
			return bots.Say(ev, "ambassador.pending"), nil
		}
		if err != nil {
			return nil, err
		}
		return bots.Say(ev, "ambassador.applied"), nil
	}
	if ev.Role < bots.RoleManager {
		return nil, bots.Errorf("error.forbidden", "ambassador "+ev.Arg("action"), ev.T("role.manager"))
	}
	toks, _ := bots.Tokenize(ev.Arg("rest"))
	if len(toks) == 0 {
		return c.applications(ctx, ev)
	}
	target, err := c.members.LookupMention(ctx, ev.Platform, toks[0])
	if err != nil {
		return nil, bots.Errorf("error.unknown_member", toks[0])
	}
	approve := ev.Arg("action") == "approve"
	if _, err := c.ugc.Decide(ctx, target, approve, ev.Member); errors.Is(err, ugc.ErrNotFound) {
		return bots.Say(ev, "ambassador.no_application", toks[0]), nil
	} else if err != nil {
		return nil, err
	}
	e := ActorOf(ev).entry("ambassador", target)
	e.Args = map[string]string{"decision": ev.Arg("action")}
	if _, _, err := c.audit(ctx, e, 0); err != nil {
		return nil, err
	}
	if !approve {
		c.notifyMember(ctx, loyalty.Member(target), "notify.ambassador_rejected")
		return bots.Say(ev, "ambassador.rejected", toks[0]), nil
	}
	if _, err := c.members.Update(ctx, target, func(m *Member) error {
		m.Role = RoleAt(max(m.Role.Level(), bots.RoleAmbassador))
		return nil
	}); err != nil {
		return nil, err
	}
	c.log.InfoContext(ctx, "ambassador approved", "by", ev.Member, "member", target)
	c.notifyMember(ctx, loyalty.Member(target), "notify.ambassador_approved")
	return bots.Say(ev, "ambassador.approved", toks[0]), nil
}

func (c *Community) applications(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	apps, err := c.ugc.Applications(ctx)
	if err != nil {
		return nil, err
	}
	if len(apps) == 0 {
		return bots.Say(ev, "applications.empty"), nil
	}
	var out []bots.Reply
	for _, a := range apps {
		m, err := c.members.Get(ctx, a.Member)
		if err != nil {
			return nil, err
		}
		handle := "#" + strconv.FormatUint(m.ID, 10)
		for _, id := range m.Identities {
			if id.Platform == ev.Platform && id.Handle != "" {
				handle = "@" + id.Handle
			}
		}
		out = append(out, bots.Reply{Text: ev.T("applications.item", m.Name, date(a.Created, c.loc), a.Why), Buttons: [][]bots.Button{{
			{Label: ev.T("button.approve"), Data: "/ambassador approve " + handle},
			{Label: ev.T("button.reject"), Data: "/ambassador reject " + handle},
		}}})
	}
	return out, nil
}

// ambassadors lists ambassadors with their level and last 30 days.
func (c *Community) ambassadors(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	rows, err := c.ambassadorRows(ctx, c.now().AddDate(0, 0, -30))
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return bots.Say(ev, "ambassadors.empty"), nil
	}
	lines := []string{ev.T("ambassadors.header")}
	for _, r := range rows {
		lines = append(lines, ev.T("ambassadors.line", r.name, r.level.Name, r.act.Approved, r.act.Pending, ev.TN("n.referrals", int64(r.act.Referrals), r.act.Referrals), pts(ev, r.act.Points)))
	}
	return []bots.Reply{{Text: strings.Join(lines, "\n")}}, nil
}

// ambassadorBoard ranks ambassadors by points earned from content and referrals in 30 days.
func (c *Community) ambassadorBoard(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	rows, err := c.ambassadorRows(ctx, c.now().AddDate(0, 0, -30))
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return bots.Say(ev, "ambassadors.empty"), nil
	}
	lines := []string{ev.T("leaderboard.header", ev.T("period.ambassadors"))}
	for i, r := range rows {
		lines = append(lines, ev.T("leaderboard.line", strconv.Itoa(i+1)+".", r.name+" ("+r.level.Name+")", pts(ev, r.act.Points)))
	}
	return []bots.Reply{{Text: strings.Join(lines, "\n"), Card: true}}, nil
}

type ambassadorRow struct {
	name  string
	level ugc.Level
	act   ugc.Activity
}

func (c *Community) ambassadorRows(ctx context.Context, since time.Time) ([]ambassadorRow, error) {
	ms, err := c.members.WithRole(ctx, bots.RoleAmbassador)
	if err != nil {
		return nil, err
	}
	rows := make([]ambassadorRow, 0, len(ms))
	for _, m := range ms {
		lvl, _, err := c.ugc.Level(ctx, m.ID)
		if err != nil {
			return nil, err
		}
		act, err := c.ugc.Activity(ctx, m.ID, since)
		if err != nil {
			return nil, err
		}
		rows = append(rows, ambassadorRow{name: m.Name, level: lvl, act: act})
	}
	slices.SortStableFunc(rows, func(a, b ambassadorRow) int { return cmp.Compare(b.act.Points, a.act.Points) })
	return rows, nil
}
