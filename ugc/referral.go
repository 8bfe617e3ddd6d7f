package ugc

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/loyalbot/loyalbot/loyalty"
	refcode "github.com/loyalbot/loyalbot/loyalty/code"
)

// RefStatus is where a referral is.
type RefStatus string

// Referral statuses.
const (
	RefPending   RefStatus = "pending"   // attributed, waiting for the new member to do something real
	RefQualified RefStatus = "qualified" // paid
	RefRejected  RefStatus = "rejected"  // a fraud check failed; nothing is paid
)

// Reasons a referral is rejected.
const (
	ReasonSelf       = "self-referral"
	ReasonNotNew     = "already a member"
	ReasonReferred   = "already referred"
	ReasonRing       = "referral ring"
	ReasonDailyLimit = "daily attribution limit"
)

// Referral records that a member brought another in.
type Referral struct {
	Referrer  uint64    `json:"referrer"`
	Referee   uint64    `json:"referee"`
	Code      string    `json:"code"`
	Via       string    `json:"via"` // "start" (deep link or /start) or "invite"
	Status    RefStatus `json:"status"`
	Reason    string    `json:"reason,omitempty"`
	Created   time.Time `json:"created"`
	Qualified time.Time `json:"qualified,omitzero"`
	Paid      int64     `json:"paid,omitempty"` // to the referrer
	// Replay is true when a call returned an earlier result.
	Replay bool `json:"-"`
}

// NormalizeCode upper-cases a referral code and drops a "ref_" prefix.
func NormalizeCode(code string) string {
	code = strings.TrimSpace(code)
	if len(code) > 4 && strings.EqualFold(code[:4], "ref_") {
		code = code[4:]
	}
	return strings.ToUpper(code)
}

// Code returns the member's personal referral code, creating it on first use.
func (s *Service) Code(ctx context.Context, member uint64) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	var code string
	var found bool
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		code, found, err = tx.MemberCode(member)
		return err
	})
	if err != nil || found {
		return code, err
	}
	err = s.store.Update(ctx, func(tx Tx) error {
		var err error
		if code, found, err = tx.MemberCode(member); err != nil || found {
			return err
		}
		var lookup error
		code, err = refcode.New(6, func(c string) bool {
			_, taken, err := tx.CodeOwner(c)
			if err != nil {
				lookup = err
				return true // stop drawing: the error is returned below
			}
			return !taken
		})
		if err != nil {
			return err
		}
		if lookup != nil {
			return lookup
		}
		if err := tx.PutCode(code, member); err != nil {
			return err
		}
		return tx.PutMemberCode(member, code)
	})
	return code, err
}

// Attribute records that referee arrived with code, through via. newMember
// says whether this arrival registered them. The fraud checks run in order:
// a self-referral, someone who was already a member or was referred
// before, a ring (the referee had referred the referrer), more than
// DailyAttributions for the referrer today. A failed check stores the
// referral as rejected with its reason and pays nothing. The same referee
// arriving again with the same referrer's code is a replay. It returns
// ErrNotFound for an unknown code.
func (s *Service) Attribute(ctx context.Context, referee uint64, code, via string, newMember bool) (Referral, error) {
	if err := ctx.Err(); err != nil {
		return Referral{}, err
	}
	code = NormalizeCode(code)
	var ref Referral
	err := s.store.Update(ctx, func(tx Tx) error {
		referrer, ok, err := tx.CodeOwner(code)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("referral code %q: %w", code, ErrNotFound)
		}
		ref = Referral{Referrer: referrer, Referee: referee, Code: code, Via: via, Status: RefPending, Created: s.now()}
		existing, found, err := tx.Referral(referee)
		if err != nil {
			return err
		}
		if found && existing.Referrer == referrer {
			ref, ref.Replay = existing, true
			return nil
		}
		day := s.day()
		today, err := tx.DailyAttributions(referrer, day)
		if err != nil {
			return err
		}
		back, backFound, err := tx.Referral(referrer)
		if err != nil {
			return err
		}
		switch {
		case referrer == referee:
			ref.Reason = ReasonSelf
		case found:
			ref.Reason = ReasonReferred
		case backFound && back.Referrer == referee:
			ref.Reason = ReasonRing
		case !newMember:
			ref.Reason = ReasonNotNew
		case uint64(today) >= uint64(s.cfg.DailyAttributions):
			ref.Reason = ReasonDailyLimit
		}
		if ref.Reason != "" {
			ref.Status = RefRejected
			return tx.AddRejectedReferral(ref)
		}
		if err := tx.PutDailyAttributions(referrer, day, today+1); err != nil {
			return err
		}
		return tx.PutReferral(ref)
	})
	if err == nil && ref.Status == RefRejected && !ref.Replay {
		s.log.InfoContext(ctx, "referral rejected", "referrer", ref.Referrer, "referee", referee, "reason", ref.Reason)
	}
	return ref, err
}

// Qualify pays a pending referral of referee: ReferrerReward (times the
// referrer's level multiplier) to the referrer and RefereeReward to the
// referee, once ("referral:<referee>", "referral-welcome:<referee>").
// Call it when the new member does something real, such as a first
// check-in. paid is false when there was nothing (new) to pay.
func (s *Service) Qualify(ctx context.Context, referee uint64) (ref Referral, paid bool, err error) {
	if err := ctx.Err(); err != nil {
		return Referral{}, false, err
	}
	var found bool
	id := strconv.FormatUint(referee, 10)
	keys := []string{"referral:" + id, "referral-welcome:" + id}
	err = s.store.Update(ctx, func(tx Tx) error {
		if ref, found, err = tx.Referral(referee); err != nil || !found {
			return err
		}
		switch ref.Status {
		case RefQualified:
			ref.Replay = true
			return nil
		case RefRejected:
			found = false
			return nil
		}
		lvl, err := s.levelTx(tx, ref.Referrer)
		if err != nil {
			return err
		}
		ref.Status, ref.Qualified, ref.Paid = RefQualified, s.now(), s.cfg.ReferrerReward*lvl.Multiplier/100
		for _, p := range []loyalty.Posting{
			{Key: keys[0], From: loyalty.Issuance("referral"), To: loyalty.Member(ref.Referrer), Amount: ref.Paid, Reason: "referred member " + id},
			{Key: keys[1], From: loyalty.Issuance("referral"), To: loyalty.Member(referee), Amount: s.cfg.RefereeReward, Reason: "joined through a referral"},
		} {
			if p.Amount <= 0 {
				continue // a reward switched off in the config
			}
			if err := tx.PutPayment(p); err != nil {
				return err
			}
		}
		return tx.PutReferral(ref)
	})
	if err != nil || !found {
		return ref, false, err
	}
	// Recorded with the status, posted after it: a retry or Resume pays exactly once.
	if err := s.step("qualify", 1); err != nil {
		return ref, false, err
	}
	for _, k := range keys {
		if _, err := s.pay(ctx, k); err != nil {
			return ref, false, fmt.Errorf("pay referral of %d: %w", referee, err)
		}
	}
	return ref, !ref.Replay, nil
}

// Erase forgets what the programme holds about member that could identify
// them beyond a member number: the notes on their submissions, their
// referral code and their application text. Their pending submissions are
// rejected, so no row of an erased member waits in the review queue.
// Submissions (public posts) and referral records stay for the audit trail
// of the points they paid.
func (s *Service) Erase(ctx context.Context, member uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx Tx) error {
		ids, err := collect(func(fn func(uint64) error) error { return tx.SubmissionIDsOf(member, OldestFirst, fn) })
		if err != nil {
			return err
		}
		for _, id := range ids {
			sub, err := getSubmission(tx, id)
			if err != nil {
				return err
			}
			sub.Note = ""
			if sub.Status == Pending {
				sub.Status, sub.Reason, sub.Reviewed = Rejected, ReasonErased, s.now()
			}
			if err := tx.PutSubmission(sub); err != nil {
				return err
			}
		}
		if code, ok, err := tx.MemberCode(member); err != nil {
			return err
		} else if ok {
			if err := tx.DeleteCode(code); err != nil {
				return err
			}
			if err := tx.DeleteMemberCode(member); err != nil {
				return err
			}
		}
		if app, found, err := tx.Application(member); err != nil {
			return err
		} else if found {
			app.Why = ""
			if app.Status == AppPending {
				app.Status, app.Decided = AppRejected, s.now()
			}
			return tx.PutApplication(app)
		}
		return nil
	})
}

// ReasonErased is the rejection reason of submissions whose author erased
// their data before review.
const ReasonErased = "member erased their data"

// Merge moves what member from has in the programme to member to, when
// /link folds two chat accounts into one: submissions, the referrals they
// made, the referral that brought them (unless to has one), their
// referral code (which now credits to) and an application to has not got.
func (s *Service) Merge(ctx context.Context, from, to uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx Tx) error {
		subs, err := collect(func(fn func(uint64) error) error { return tx.SubmissionIDsOf(from, OldestFirst, fn) })
		if err != nil {
			return err
		}
		for _, id := range subs {
			sub, err := getSubmission(tx, id)
			if err != nil {
				return err
			}
			sub.Member = to // and into to's index
			if err := tx.PutSubmission(sub); err != nil {
				return err
			}
		}
		referees, err := collect(func(fn func(uint64) error) error { return tx.RefereesOf(from, fn) })
		if err != nil {
			return err
		}
		for _, referee := range referees {
			ref, found, err := tx.Referral(referee)
			if err != nil {
				return err
			}
			if found {
				ref.Referrer = to // and into to's index
				if err := tx.PutReferral(ref); err != nil {
					return err
				}
			}
		}
		if ref, found, err := tx.Referral(from); err != nil {
			return err
		} else if found {
			if _, has, err := tx.Referral(to); err != nil {
				return err
			} else if !has && ref.Referrer != to {
				ref.Referee = to
				if err := tx.PutReferral(ref); err != nil {
					return err
				}
			}
			if err := tx.DeleteReferral(from); err != nil {
				return err
			}
		}
		if code, ok, err := tx.MemberCode(from); err != nil {
			return err
		} else if ok {
			if err := tx.PutCode(code, to); err != nil {
				return err
			}
			if err := tx.DeleteMemberCode(from); err != nil {
				return err
			}
			if _, has, err := tx.MemberCode(to); err != nil {
				return err
			} else if !has {
				if err := tx.PutMemberCode(to, code); err != nil {
					return err
				}
			}
		}
		if app, found, err := tx.Application(from); err != nil {
			return err
		} else if found {
			if _, has, err := tx.Application(to); err != nil {
				return err
			} else if !has {
				app.Member = to
				if err := tx.PutApplication(app); err != nil {
					return err
				}
			}
			return tx.DeleteApplication(from)
		}
		return nil
	})
}

// ReferralOf returns the referral that brought referee in, if any.
func (s *Service) ReferralOf(ctx context.Context, referee uint64) (Referral, bool, error) {
	var ref Referral
	var found bool
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		ref, found, err = tx.Referral(referee)
		return err
	})
	return ref, found, err
}

// ReferralsBy returns the referrals a member made, newest first.
func (s *Service) ReferralsBy(ctx context.Context, referrer uint64) ([]Referral, error) {
	var out []Referral
	err := s.store.View(ctx, func(tx ReadTx) error {
		return tx.RefereesOf(referrer, func(referee uint64) error {
			ref, found, err := tx.Referral(referee)
			if err != nil {
				return err
			}
			if found {
				out = append(out, ref)
			}
			return nil
		})
	})
	slices.Reverse(out)
	return out, err
}

// Rejected returns up to limit rejected referrals, newest first, for managers.
func (s *Service) Rejected(ctx context.Context, limit int) ([]Referral, error) {
	var out []Referral
	err := s.store.View(ctx, func(tx ReadTx) error {
		return stopped(tx.RejectedReferrals(NewestFirst, func(ref Referral) error {
			if len(out) >= limit {
				return errStop
			}
			out = append(out, ref)
			return nil
		}))
	})
	return out, err
}
