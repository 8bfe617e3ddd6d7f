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

// Referrals is the referral side of the programme: members' personal
// codes, attributing new members to them with fraud checks, and paying both
// sides once a referral qualifies. Service.Referrals returns it; it shares
// the Service's store, ledger and rules, and Service.Resume posts any of its
// payments a crash left unposted. It is safe for concurrent use.
type Referrals struct {
	*programme
	ambassadors *Ambassadors // the referrer's level scales their reward
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
func (r *Referrals) Code(ctx context.Context, member uint64) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	var code string
	var found bool
	err := r.store.View(ctx, func(tx ReadTx) error {
		var err error
		code, found, err = tx.MemberCode(member)
		return err
	})
	if err != nil || found {
		return code, err
	}
	err = r.store.Update(ctx, func(tx Tx) error {
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
func (r *Referrals) Attribute(ctx context.Context, referee uint64, code, via string, newMember bool) (Referral, error) {
	if err := ctx.Err(); err != nil {
		return Referral{}, err
	}
	code = NormalizeCode(code)
	var ref Referral
	err := r.store.Update(ctx, func(tx Tx) error {
		referrer, ok, err := tx.CodeOwner(code)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("referral code %q: %w", code, ErrNotFound)
		}
		ref = Referral{Referrer: referrer, Referee: referee, Code: code, Via: via, Status: RefPending, Created: r.now()}
		existing, found, err := tx.Referral(referee)
		if err != nil {
			return err
		}
		if found && existing.Referrer == referrer {
			ref, ref.Replay = existing, true
			return nil
		}
		day := r.day()
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
		case uint64(today) >= uint64(r.cfg.DailyAttributions):
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
		r.log.InfoContext(ctx, "referral rejected", "referrer", ref.Referrer, "referee", referee, "reason", ref.Reason)
	}
	return ref, err
}

// Qualify pays a pending referral of referee: ReferrerReward (times the
// referrer's level multiplier) to the referrer and RefereeReward to the
// referee, once ("referral:<referee>", "referral-welcome:<referee>").
// Call it when the new member does something real, such as a first
// check-in. paid is false when there was nothing (new) to pay.
func (r *Referrals) Qualify(ctx context.Context, referee uint64) (ref Referral, paid bool, err error) {
	if err := ctx.Err(); err != nil {
		return Referral{}, false, err
	}
	var found bool
	id := strconv.FormatUint(referee, 10)
	keys := []string{"referral:" + id, "referral-welcome:" + id}
	err = r.store.Update(ctx, func(tx Tx) error {
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
		lvl, err := r.ambassadors.levelTx(tx, ref.Referrer)
		if err != nil {
			return err
		}
		ref.Status, ref.Qualified, ref.Paid = RefQualified, r.now(), r.cfg.ReferrerReward*lvl.Multiplier/100
		for _, p := range []loyalty.Posting{
			{Key: keys[0], From: loyalty.Issuance("referral"), To: loyalty.Member(ref.Referrer), Amount: ref.Paid, Reason: "referred member " + id},
			{Key: keys[1], From: loyalty.Issuance("referral"), To: loyalty.Member(referee), Amount: r.cfg.RefereeReward, Reason: "joined through a referral"},
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
	if err := r.step("qualify", 1); err != nil {
		return ref, false, err
	}
	for _, k := range keys {
		if _, err := r.pay(ctx, k); err != nil {
			return ref, false, fmt.Errorf("pay referral of %d: %w", referee, err)
		}
	}
	return ref, !ref.Replay, nil
}

// Of returns the referral that brought referee in, if any.
func (r *Referrals) Of(ctx context.Context, referee uint64) (Referral, bool, error) {
	var ref Referral
	var found bool
	err := r.store.View(ctx, func(tx ReadTx) error {
		var err error
		ref, found, err = tx.Referral(referee)
		return err
	})
	return ref, found, err
}

// By returns the referrals a member made, newest first.
func (r *Referrals) By(ctx context.Context, referrer uint64) ([]Referral, error) {
	var out []Referral
	err := r.store.View(ctx, func(tx ReadTx) error {
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
func (r *Referrals) Rejected(ctx context.Context, limit int) ([]Referral, error) {
	var out []Referral
	err := r.store.View(ctx, func(tx ReadTx) error {
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
