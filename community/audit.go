package community

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/loyalbot/loyalbot/bots"
)

// Outcomes of audited actions.
const (
	OutcomeStarted  = "started"        // recorded before the effect; Resume settles a crash here
	OutcomeDone     = "done"           // the action took effect
	OutcomeAwaiting = "awaiting owner" // a grant past the manager's daily limit, waiting for /approve-grant
	OutcomeApproved = "owner approved" // an awaiting grant the owner approved (and paid)
	OutcomeRejected = "owner rejected" // an awaiting grant the owner turned down
	OutcomeRefused  = "refused"        // the action did not take effect (Note says why)
	OutcomeNotDone  = "not applied"    // a crash stopped it before its effect
)

// How many audit entries /audit shows, and /export includes at most.
const (
	auditListLimit  = 20
	auditExportMany = 10_000
)

// AuditEntry records one manager action: who (member id and the platform
// account they acted from), when, what, on whom, with which arguments, and
// how it ended.
type AuditEntry struct {
	ID       uint64            `json:"id"`
	Time     time.Time         `json:"time"`
	Actor    uint64            `json:"actor"`
	Platform string            `json:"platform,omitempty"`
	UserID   string            `json:"user_id,omitempty"`
	Role     string            `json:"role"`
	Action   string            `json:"action"` // give, take, role, approve, reject, feature, fulfil, cancel, broadcast, reply, close, setup, erase, ...
	Target   uint64            `json:"target,omitempty"`
	Amount   int64             `json:"amount,omitempty"`
	Args     map[string]string `json:"args,omitempty"`
	Key      string            `json:"key,omitempty"`    // makes recording idempotent: a retried request is recorded once
	Effect   string            `json:"effect,omitempty"` // the ledger key of the points it moves, for Resume; for a shop unlink, the points it took back
	Outcome  string            `json:"outcome"`
	Note     string            `json:"note,omitempty"`
	// Day is the community day a grant counts against the manager's limit
	// ("" when it does not count).
	Day string `json:"day,omitempty"`
}

// entry starts an audit entry for actor.
func (a Actor) entry(action string, target uint64) AuditEntry {
	return AuditEntry{Actor: a.Member, Platform: a.Platform, UserID: a.UserID, Role: a.Role.String(), Action: action, Target: target}
}

// audit writes an entry, once per key: recording the same key again
// returns the first entry. With limit > 0 the entry's Amount counts
// against the actor's points given on day e.Day, and when it would pass
// limit the entry is recorded as awaiting the owner instead (and counts
// nothing). used is what the actor had given that day before.
func (c *Community) audit(ctx context.Context, e AuditEntry, limit int64) (got AuditEntry, used int64, err error) {
	if err := ctx.Err(); err != nil {
		return AuditEntry{}, 0, err
	}
	if e.Time.IsZero() {
		e.Time = c.now()
	}
	if e.Outcome == "" {
		e.Outcome = OutcomeDone
	}
	err = c.members.store.Update(ctx, func(tx Tx) error {
		if e.Key != "" {
			id, ok, err := tx.AuditIDByKey(e.Key)
			if err != nil {
				return err
			}
			if ok {
				got, err = getAudit(tx, id)
				return err
			}
		}
		if limit > 0 && e.Day != "" {
			var err error
			if used, err = tx.GrantUsage(e.Actor, e.Day); err != nil {
				return err
			}
			if used+e.Amount > limit {
				e.Outcome, e.Day = OutcomeAwaiting, ""
			} else if err := tx.PutGrantUsage(e.Actor, e.Day, used+e.Amount); err != nil {
				return err
			}
		}
		id, err := tx.NextAuditID()
		if err != nil {
			return err
		}
		e.ID = id
		got = e
		return tx.PutAuditEntry(e)
	})
	return got, used, err
}

// refuse records a manager action refused by a rule (e.Outcome refused,
// the rule in Note) and returns why, the error for the caller. Failing to
// record is joined to it.
func (c *Community) refuse(ctx context.Context, e AuditEntry, why error) error {
	e.Outcome, e.Note = OutcomeRefused, why.Error()
	if e.Key != "" {
		e.Key += "/refused"
	}
	_, _, err := c.audit(ctx, e, 0)
	return errors.Join(why, err)
}

// settleAudit records how an audited action ended. A refused grant gives
// its points back to the manager's daily allowance.
func (c *Community) settleAudit(ctx context.Context, id uint64, outcome, note string) (AuditEntry, error) {
	var e AuditEntry
	err := c.members.store.Update(ctx, func(tx Tx) error {
		var err error
		if e, err = getAudit(tx, id); err != nil {
			return err
		}
		if (outcome == OutcomeRefused || outcome == OutcomeNotDone) && e.Day != "" {
			used, err := tx.GrantUsage(e.Actor, e.Day)
			if err != nil {
				return err
			}
			if err := tx.PutGrantUsage(e.Actor, e.Day, max(used-e.Amount, 0)); err != nil {
				return err
			}
			e.Day = ""
		}
		e.Outcome, e.Note = outcome, note
		return tx.PutAuditEntry(e)
	})
	return e, err
}

// AuditLog returns up to limit entries, newest first: those where member
// acted or was acted on, or every entry when member is 0.
func (c *Community) AuditLog(ctx context.Context, member uint64, limit int) ([]AuditEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []AuditEntry
	ids := []uint64{member}
	if member != 0 {
		m, err := c.members.Get(ctx, member)
		if err != nil {
			return nil, err
		}
		ids = append([]uint64{m.ID}, m.Merged...)
	}
	err := c.members.store.View(ctx, func(tx ReadTx) error {
		if member == 0 {
			if limit <= 0 {
				return nil
			}
			return stopped(tx.AuditEntries(NewestFirst, func(e AuditEntry) error {
				out = append(out, e)
				if len(out) >= limit {
					return errStop
				}
				return nil
			}))
		}
		seen := map[uint64]bool{}
		for _, id := range ids {
			if err := tx.AuditIDsOf(id, func(eid uint64) error {
				if seen[eid] {
					return nil
				}
				seen[eid] = true
				e, err := getAudit(tx, eid)
				if err != nil {
					return err
				}
				out = append(out, e)
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if member != 0 { // several members' indexes: newest first across them
		slices.SortFunc(out, func(a, b AuditEntry) int { return cmp.Compare(b.ID, a.ID) })
		if len(out) > limit {
			out = out[:limit]
		}
	}
	return out, err
}

// startedAudits returns the entries a crash left started.
func (c *Community) startedAudits(ctx context.Context) ([]AuditEntry, error) {
	var out []AuditEntry
	err := c.members.store.View(ctx, func(tx ReadTx) error {
		return tx.AuditEntries(OldestFirst, func(e AuditEntry) error {
			if e.Outcome == OutcomeStarted {
				out = append(out, e)
			}
			return nil
		})
	})
	return out, err
}

// freeText are the audit arguments that hold what a manager wrote to or
// about a member (a reply, a reason, a note): an erased member's are
// replaced by erasedText, the rest of the record (who, what, when, how
// many points) stays.
var freeText = []string{"text", "reason", "note", "question", "answer"}

const erasedText = "(erased)"

// scrubAudit is the audit log's part of erasing a member. What they did
// as a manager stays attributable, platform account included: the log is
// the community's record of who moved points, and erasing must not hide a
// manager's tracks. Grants still waiting for the owner that the member
// asked for, or that would pay them, are turned down.
// What managers wrote to or about the member (freeText) is replaced.
func scrubAudit(tx Tx, member uint64) error {
	var ids []uint64
	if err := tx.AuditIDsOf(member, func(id uint64) error {
		ids = append(ids, id)
		return nil
	}); err != nil {
		return err
	}
	for _, id := range ids {
		e, err := getAudit(tx, id)
		if err != nil {
			return err
		}
		changed := false
		if e.Outcome == OutcomeAwaiting {
			e.Outcome, e.Note, changed = OutcomeRejected, "member erased their data", true
		}
		if e.Target == member { // what was written to or about them: a reply, a reason
			for _, k := range freeText {
				if v, ok := e.Args[k]; ok && v != erasedText {
					e.Args[k], changed = erasedText, true
				}
			}
		}
		if changed {
			if err := tx.PutAuditEntry(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// grantedBetween reports whether a manager who is not an owner moved
// points from one of the two members to the other, or asked to: linking
// such accounts would let a manager pay themselves through a second one.
func grantedBetween(tx ReadTx, a, b Member) (granted bool, err error) {
	// Each side with the accounts linked into it before: a manager who
	// paid carol cannot reach the points through a middle account.
	sideA := append([]uint64{a.ID}, a.Merged...)
	sideB := append([]uint64{b.ID}, b.Merged...)
	for _, x := range sideA {
		if granted, err = grantedFrom(tx, x, sideA, sideB); err != nil || granted {
			return granted, err
		}
	}
	return false, nil
}

// grantedFrom reports whether a manager (not an owner) paid points from
// one side to the other in an audit entry of member x.
func grantedFrom(tx ReadTx, x uint64, sideA, sideB []uint64) (granted bool, err error) {
	err = tx.AuditIDsOf(x, func(id uint64) error {
		e, err := getAudit(tx, id)
		if err != nil {
			return err
		}
		between := slices.Contains(sideA, e.Actor) && slices.Contains(sideB, e.Target) || slices.Contains(sideB, e.Actor) && slices.Contains(sideA, e.Target)
		paid := e.Amount > 0 && e.Action != "take" &&
			(e.Outcome == OutcomeDone || e.Outcome == OutcomeAwaiting || e.Outcome == OutcomeApproved || e.Outcome == OutcomeStarted)
		if between && paid && e.Role != bots.RoleOwner.String() {
			granted = true
			return errStop
		}
		return nil
	})
	return granted, stopped(err)
}

// getAudit returns audit entry id, or an error wrapping ErrNotPending
// when there is none.
func getAudit(tx ReadTx, id uint64) (AuditEntry, error) {
	e, ok, err := tx.AuditEntry(id)
	switch {
	case err != nil:
		return AuditEntry{}, err
	case !ok:
		return AuditEntry{}, fmt.Errorf("audit entry %d: %w", id, ErrNotPending)
	}
	return e, nil
}
