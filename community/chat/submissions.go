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

// Submissions is content for review: /submit and /submissions, and /review, /approve, /reject and /feature for managers.
type Submissions struct{ *base }

// Register adds the commands to r.
func (c *Submissions) Register(r *bots.Router) {
	id := bots.Arg{Name: "id", Kind: bots.ArgInt, Min: 1, Max: 1 << 53}
	r.Handle(bots.Command{Name: "submit", Help: "cmd.submit", Role: bots.RoleMember, Args: []bots.Arg{{Name: "url"}, {Name: "note", Kind: bots.ArgText, Optional: true}}, Handler: bots.HandlerFunc(c.submit)})
	r.Handle(bots.Command{Name: "submissions", Help: "cmd.submissions", Role: bots.RoleMember, Args: []bots.Arg{{Name: "filter", Kind: bots.ArgText, Optional: true}}, Handler: bots.HandlerFunc(c.submissions)})
	r.Handle(bots.Command{Name: "review", Help: "cmd.review", Role: bots.RoleManager, Handler: bots.HandlerFunc(c.review)})
	r.Handle(bots.Command{Name: "approve", Help: "cmd.approve", Role: bots.RoleManager, Args: []bots.Arg{id, {Name: "points", Kind: bots.ArgInt, Min: 1, Max: 100_000, Optional: true}, {Name: "note", Kind: bots.ArgText, Optional: true}}, Handler: bots.HandlerFunc(c.approve)})
	r.Handle(bots.Command{Name: "reject", Help: "cmd.reject", Role: bots.RoleManager, Args: []bots.Arg{id, {Name: "reason", Kind: bots.ArgText, Optional: true}}, Handler: bots.HandlerFunc(c.reject)})
	r.Handle(bots.Command{Name: "feature", Help: "cmd.feature", Role: bots.RoleManager, Args: []bots.Arg{id}, Handler: bots.HandlerFunc(c.feature)})
}

func (c *Submissions) submit(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
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
func (c *Submissions) submissions(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
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
func (c *Submissions) review(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
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

func (c *Submissions) approve(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	sub, err := c.admin.ApproveSubmission(ctx, community.ActorOf(ev), uint64(ev.ArgInt("id")), ev.ArgInt("points"), ev.Arg("note"), ev.Key("approve"))
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

func (c *Submissions) reject(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	sub, err := c.admin.RejectSubmission(ctx, community.ActorOf(ev), uint64(ev.ArgInt("id")), ev.Arg("reason"))
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

func (c *Submissions) feature(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	sub, bonus, err := c.admin.FeatureSubmission(ctx, community.ActorOf(ev), uint64(ev.ArgInt("id")), ev.Key("feature"))
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

func (c *Submissions) reviewError(ev *bots.Event, err error) ([]bots.Reply, bool) {
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
