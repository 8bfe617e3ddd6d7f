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
	submissionsMessages.addTo(r)
	id := bots.Arg{Name: "id", Kind: bots.ArgInt, Min: 1, Max: 1 << 53}
	r.Handle(bots.Command{Name: "submit", Help: "cmd.submit", Role: bots.RoleMember, Args: []bots.Arg{{Name: "url"}, {Name: "note", Kind: bots.ArgText, Optional: true}}, Handler: bots.HandlerFunc(c.submit)})
	r.Handle(bots.Command{
		Name: "submissions", Help: "cmd.submissions", Role: bots.RoleMember, Args: []bots.Arg{{Name: "filter", Kind: bots.ArgText, Optional: true}},
		Variants: []bots.Variant{{
			Args: []bots.Arg{{Name: "status", Choices: []string{"pending", "approved", "rejected"}, Optional: true}, {Name: "member", Kind: bots.ArgMember, Optional: true}, {Name: "platform", Optional: true}},
			Help: "cmd.submissions_all", Role: bots.RoleManager,
		}},
		Handler: bots.HandlerFunc(c.submissions),
	})
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

// submissionsMessages are the messages submissions.go renders.
var submissionsMessages = messages{
	bots.English: {
		"cmd.submissions_all":      "everyone's submissions, by status, member or platform",
		"submit.ambassadors_only":  "Content rewards are for ambassadors. Want to join? Send /ambassador apply and tell us about you.",
		"submit.bad_url":           "I can't accept that link: %s. Send the full https:// link to your post.",
		"submit.bad_url.too_long":  "longer than %d characters",
		"submit.bad_url.malformed": "it is not a web address",
		"submit.bad_url.scheme":    "only http and https links",
		"submit.bad_url.userinfo":  "links with a user name or password are not accepted",
		"submit.bad_url.no_host":   "no host",
		"submit.bad_url.bad_host":  "%q is not a domain name",
		"submit.duplicate":         "That post was already submitted as #%d on %s (%s).",
		"submit.quota#one":         "You've reached today's limit of %d submission. Send more tomorrow!",
		"submit.quota#other":       "You've reached today's limit of %d submissions. Send more tomorrow!",
		"submit.ok":                "📨 Got it! Submission #%d (%s) is waiting for review. Approved posts earn %s.",
		"status.pending":           "pending",
		"status.approved":          "approved",
		"status.rejected":          "rejected",
		"submissions.empty":        "No submissions yet. Post about us and send the link with /submit <url>.",
		"submissions.header":       "Submissions:",
		"submissions.line":         "#%d %s — %s — %s",
		"review.empty":             "Nothing to review. 🎉",
		"review.item":              "📝 #%d by %s on %s\n%s\nsubmitted %s",
		"review.unknown":           "There is no submission #%d.",
		"review.decided":           "Submission #%d was already decided the other way.",
		"approve.ok":               "✅ Approved #%d: %s paid. The member has been told.",
		"approve.already":          "#%d was already approved (%s, paid once).",
		"reject.ok":                "Rejected #%d. The member has been told why.",
		"reject.already":           "#%d was already rejected.",
		"feature.ok":               "🌟 Featured #%d: a bonus of %s paid.",
		"feature.already":          "#%d is already featured.",
		"feature.not_approved":     "Only approved posts can be featured; #%d is not approved.",
		"review.self":              "You can't approve or feature your own post #%d. Another manager or the owner can.",
		"review.limit":             "Approving #%d would pay %s, past your daily limit of %s (%s given today). The owner can approve it.",
	},
	bots.Chinese: {
		"cmd.submissions_all":      "所有成员提交的内容，可按状态、成员或平台筛选",
		"submit.ambassadors_only":  "内容奖励仅限品牌大使。想加入吗？发送 /ambassador apply 并介绍一下你自己。",
		"submit.bad_url":           "这个链接无法接受：%s。请发送完整的 https:// 帖子链接。",
		"submit.bad_url.too_long":  "链接超过 %d 个字符",
		"submit.bad_url.malformed": "这不是一个网址",
		"submit.bad_url.scheme":    "只接受 http 和 https 链接",
		"submit.bad_url.userinfo":  "不接受带用户名或密码的链接",
		"submit.bad_url.no_host":   "链接里没有网站地址",
		"submit.bad_url.bad_host":  "%q 不是有效的网站名",
		"submit.duplicate":         "这篇内容已在 %[2]s 被提交过，编号 #%[1]d（%[3]s）。",
		"submit.quota#other":       "今天已达到 %d 条的提交上限，明天再来吧！",
		"submit.ok":                "📨 收到！提交 #%d（%s）正在等待审核，通过后可获得 %s。",
		"status.pending":           "待审核",
		"status.approved":          "已通过",
		"status.rejected":          "未通过",
		"submissions.empty":        "还没有提交。发帖后用 /submit <链接> 提交吧。",
		"submissions.header":       "提交记录：",
		"submissions.line":         "#%d %s — %s — %s",
		"review.empty":             "没有待审核的内容。🎉",
		"review.item":              "📝 #%d，作者 %s，平台 %s\n%s\n提交于 %s",
		"review.unknown":           "没有编号为 #%d 的提交。",
		"review.decided":           "提交 #%d 已有相反的审核结果。",
		"approve.ok":               "✅ 已通过 #%d：发放 %s，已通知该成员。",
		"approve.already":          "#%d 之前已通过（%s，只发放一次）。",
		"reject.ok":                "已驳回 #%d，并告知了原因。",
		"reject.already":           "#%d 之前已驳回。",
		"feature.ok":               "🌟 已精选 #%d：额外发放 %s。",
		"feature.already":          "#%d 已经是精选。",
		"feature.not_approved":     "只有已通过的内容可以精选；#%d 尚未通过。",
		"review.self":              "不能审核通过或精选自己的帖子 #%d，请其他管理员或创建者处理。",
		"review.limit":             "通过 #%d 将发放 %s，超出你的每日额度 %s（今天已发放 %s）。创建者可以通过它。",
	},
}
