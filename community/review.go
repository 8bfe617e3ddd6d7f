package community

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/loyalty"
	"github.com/loyalbot/loyalbot/ugc"
)

// ApproveSubmission approves a submission and pays it: points when
// positive, else its configured reward. A manager may not approve their own
// submission (ErrSelf; owners may), and the payout counts against their
// daily limit: past it the approval is refused with a *LimitError (the
// owner can approve it). It returns a *ForbiddenError below manager and
// ugc's errors for an unknown or already rejected submission; audited.
func (c *Admin) ApproveSubmission(ctx context.Context, actor Actor, id uint64, points int64, note, key string) (ugc.Submission, error) {
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
	if err = c.finishGrantAudit(ctx, rec, err); err != nil {
		return got, err
	}
	c.log.InfoContext(ctx, "submission approved", "by", actor.Member, "submission", got.ID, "points", got.Points)
	c.tell.member(ctx, loyalty.Member(got.Member), "notify.approved", got.ID, pointsN(got.Points), got.Reason)
	return got, nil
}

// FeatureSubmission features an approved submission and pays the bonus,
// under the rules of ApproveSubmission.
func (c *Admin) FeatureSubmission(ctx context.Context, actor Actor, id uint64, key string) (ugc.Submission, int64, error) {
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
	if err = c.finishGrantAudit(ctx, rec, err); err != nil {
		return got, paid, err
	}
	c.tell.member(ctx, loyalty.Member(got.Member), "notify.featured", got.ID, pointsN(paid))
	return got, paid, nil
}

// grantAudit checks who may pay a submission and records it against the
// actor's daily limit; past the limit it returns a *LimitError.
func (c *Admin) grantAudit(ctx context.Context, actor Actor, action string, sub ugc.Submission, amount int64, key string, args map[string]string) (AuditEntry, error) {
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
func (c *Admin) finishGrantAudit(ctx context.Context, rec AuditEntry, err error) error {
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
func (c *Admin) RejectSubmission(ctx context.Context, actor Actor, id uint64, reason string) (ugc.Submission, error) {
	if err := actor.require("reject", bots.RoleManager); err != nil {
		return ugc.Submission{}, err
	}
	sub, err := c.ugc.Reject(ctx, id, actor.Member, reason)
	if err != nil || sub.Replay {
		return sub, err
	}
	e := actor.entry("reject", sub.Member)
	e.Args = map[string]string{"submission": strconv.FormatUint(id, 10), "reason": reason}
	if _, _, err = c.audit(ctx, e, 0); err != nil {
		return sub, err
	}
	if sub.Reason == "" {
		c.tell.member(ctx, loyalty.Member(sub.Member), "notify.rejected_brief", sub.ID)
	} else {
		c.tell.member(ctx, loyalty.Member(sub.Member), "notify.rejected", sub.ID, sub.Reason)
	}
	return sub, nil
}
