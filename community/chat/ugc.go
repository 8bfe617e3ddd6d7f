package chat

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/community"
	"github.com/loyalbot/loyalbot/ugc"
)

// registerUGC adds the ambassador programme's commands.
func (c *handlers) registerUGC(r *bots.Router) {
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

func (c *handlers) submit(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
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
func (c *handlers) submissions(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
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
func (c *handlers) review(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
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

func (c *handlers) approve(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	sub, err := c.community.ApproveSubmission(ctx, community.ActorOf(ev), uint64(ev.ArgInt("id")), ev.ArgInt("points"), ev.Arg("note"), ev.Key("approve"))
	if reply, ok := c.reviewError(ev, err); ok {
		return reply, nil
	}
	if err != nil {
		return nil, err
	}
	if sub.Replay {
		return bots.Say(ev, "approve.already", sub.ID, pts(ev, sub.Points)), nil
	}
	return bots.Say(ev, "approve.ok", sub.ID, pts(ev, sub.Points)), nil
}

func (c *handlers) reject(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	sub, err := c.community.RejectSubmission(ctx, community.ActorOf(ev), uint64(ev.ArgInt("id")), ev.Arg("reason"))
	if reply, ok := c.reviewError(ev, err); ok {
		return reply, nil
	}
	if err != nil {
		return nil, err
	}
	if sub.Replay {
		return bots.Say(ev, "reject.already", sub.ID), nil
	}
	return bots.Say(ev, "reject.ok", sub.ID), nil
}

func (c *handlers) feature(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	sub, bonus, err := c.community.FeatureSubmission(ctx, community.ActorOf(ev), uint64(ev.ArgInt("id")), ev.Key("feature"))
	if reply, ok := c.reviewError(ev, err); ok {
		return reply, nil
	}
	if err != nil {
		return nil, err
	}
	if sub.Replay {
		return bots.Say(ev, "feature.already", sub.ID), nil
	}
	return bots.Say(ev, "feature.ok", sub.ID, pts(ev, bonus)), nil
}

func (c *handlers) reviewError(ev *bots.Event, err error) ([]bots.Reply, bool) {
	id := ev.ArgInt("id")
	var limit *community.LimitError
	switch {
	case errors.Is(err, community.ErrSelf):
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
func (c *handlers) ref(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
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
func (c *handlers) attribute(ctx context.Context, ev *bots.Event, code, via string, fresh bool) (string, error) {
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

func (c *handlers) referrals(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
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

func (c *handlers) listReferrals(ctx context.Context, ev *bots.Event, refs []ugc.Referral, header string) ([]bots.Reply, error) {
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
func (c *handlers) ambassador(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
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
	err = c.community.DecideAmbassador(ctx, community.ActorOf(ev), target, approve)
	switch {
	case errors.Is(err, ugc.ErrNotFound):
		return bots.Say(ev, "ambassador.no_application", toks[0]), nil
	case err != nil:
		return nil, err
	case !approve:
		return bots.Say(ev, "ambassador.rejected", toks[0]), nil
	}
	return bots.Say(ev, "ambassador.approved", toks[0]), nil
}

func (c *handlers) applications(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
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
func (c *handlers) ambassadors(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	rows, err := c.community.Ambassadors(ctx, c.now().AddDate(0, 0, -30))
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return bots.Say(ev, "ambassadors.empty"), nil
	}
	lines := []string{ev.T("ambassadors.header")}
	for _, r := range rows {
		lines = append(lines, ev.T("ambassadors.line", r.Name, r.Level.Name, r.Activity.Approved, r.Activity.Pending, ev.TN("n.referrals", int64(r.Activity.Referrals), r.Activity.Referrals), pts(ev, r.Activity.Points)))
	}
	return []bots.Reply{{Text: strings.Join(lines, "\n")}}, nil
}

// ambassadorBoard ranks ambassadors by points earned from content and referrals in 30 days.
func (c *handlers) ambassadorBoard(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	rows, err := c.community.Ambassadors(ctx, c.now().AddDate(0, 0, -30))
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return bots.Say(ev, "ambassadors.empty"), nil
	}
	lines := []string{ev.T("leaderboard.header", ev.T("period.ambassadors"))}
	for i, r := range rows {
		lines = append(lines, ev.T("leaderboard.line", strconv.Itoa(i+1)+".", r.Name+" ("+r.Level.Name+")", pts(ev, r.Activity.Points)))
	}
	return []bots.Reply{{Text: strings.Join(lines, "\n"), Card: true}}, nil
}
