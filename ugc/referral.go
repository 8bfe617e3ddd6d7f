package ugc

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/loyalbot/loyalbot/loyalty"
	refcode "github.com/loyalbot/loyalbot/loyalty/code"
	bolt "go.etcd.io/bbolt"
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
	err := s.db.View(func(tx *bolt.Tx) error {
		code = string(tx.Bucket(bucketMemberCodes).Get(u64(member)))
		return nil
	})
	if err != nil || code != "" {
		return code, err
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketMemberCodes).Get(u64(member)); v != nil {
			code = string(v)
			return nil
		}
		codes := tx.Bucket(bucketCodes)
		var err error
		if code, err = refcode.New(6, func(s string) bool { return codes.Get([]byte(s)) == nil }); err != nil {
			return err
		}
		if err := codes.Put([]byte(code), u64(member)); err != nil {
			return err
		}
		return tx.Bucket(bucketMemberCodes).Put(u64(member), []byte(code))
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
	err := s.db.Update(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketCodes).Get([]byte(code))
		if v == nil {
			return fmt.Errorf("referral code %q: %w", code, ErrNotFound)
		}
		referrer := binary.BigEndian.Uint64(v)
		ref = Referral{Referrer: referrer, Referee: referee, Code: code, Via: via, Status: RefPending, Created: s.now()}
		existing, found, err := getReferral(tx, referee)
		if err != nil {
			return err
		}
		if found && existing.Referrer == referrer {
			ref, ref.Replay = existing, true
			return nil
		}
		dayKey := append(u64(referrer), s.day()...)
		today := getCount(tx.Bucket(bucketAttrDaily).Get(dayKey))
		back, backFound, err := getReferral(tx, referrer)
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
		case today >= uint64(s.cfg.DailyAttributions):
			ref.Reason = ReasonDailyLimit
		}
		if ref.Reason != "" {
			ref.Status = RefRejected
			rb := tx.Bucket(bucketRejectedRef)
			seq, err := rb.NextSequence()
			if err != nil {
				return err
			}
			return putJSON(rb, u64(seq), ref)
		}
		if err := tx.Bucket(bucketAttrDaily).Put(dayKey, u64(today+1)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketByReferrer).Put(pair(referrer, referee), nil); err != nil {
			return err
		}
		return putJSON(tx.Bucket(bucketReferrals), u64(referee), ref)
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
	err = s.db.Update(func(tx *bolt.Tx) error {
		if ref, found, err = getReferral(tx, referee); err != nil || !found {
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
		lvl := s.levelTx(tx, ref.Referrer)
		ref.Status, ref.Qualified, ref.Paid = RefQualified, s.now(), s.cfg.ReferrerReward*lvl.Multiplier/100
		for i, p := range []loyalty.Posting{
			{Key: keys[0], From: loyalty.Issuance("referral"), To: loyalty.Member(ref.Referrer), Amount: ref.Paid, Reason: "referred member " + id},
			{Key: keys[1], From: loyalty.Issuance("referral"), To: loyalty.Member(referee), Amount: s.cfg.RefereeReward, Reason: "joined through a referral"},
		} {
			if p.Amount <= 0 {
				continue // a reward switched off in the config
			}
			if err := putJSON(tx.Bucket(bucketPayments), []byte(keys[i]), p); err != nil {
				return err
			}
		}
		return putJSON(tx.Bucket(bucketReferrals), u64(referee), ref)
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
	return s.db.Update(func(tx *bolt.Tx) error {
		prefix := u64(member)
		var ids []uint64
		c := tx.Bucket(bucketByMember).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			ids = append(ids, binary.BigEndian.Uint64(k[8:]))
		}
		for _, id := range ids {
			sub, err := getSubmission(tx, id)
			if err != nil {
				return err
			}
			sub.Note = ""
			if sub.Status == Pending {
				sub.Status, sub.Reason, sub.Reviewed = Rejected, ReasonErased, s.now()
				if err := tx.Bucket(bucketPending).Delete(u64(id)); err != nil {
					return err
				}
			}
			if err := putSubmission(tx, sub); err != nil {
				return err
			}
		}
		if code := tx.Bucket(bucketMemberCodes).Get(u64(member)); code != nil {
			if err := tx.Bucket(bucketCodes).Delete(append([]byte(nil), code...)); err != nil {
				return err
			}
			if err := tx.Bucket(bucketMemberCodes).Delete(u64(member)); err != nil {
				return err
			}
		}
		if app, found, err := getApp(tx, member); err != nil {
			return err
		} else if found {
			app.Why = ""
			if app.Status == AppPending {
				app.Status, app.Decided = AppRejected, s.now()
			}
			return putJSON(tx.Bucket(bucketApps), u64(member), app)
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
	return s.db.Update(func(tx *bolt.Tx) error {
		bm := tx.Bucket(bucketByMember)
		var subs []uint64
		c := bm.Cursor()
		for k, _ := c.Seek(u64(from)); k != nil && bytes.HasPrefix(k, u64(from)); k, _ = c.Next() {
			subs = append(subs, binary.BigEndian.Uint64(k[8:]))
		}
		for _, id := range subs {
			sub, err := getSubmission(tx, id)
			if err != nil {
				return err
			}
			sub.Member = to
			if err := putSubmission(tx, sub); err != nil {
				return err
			}
			if err := bm.Delete(pair(from, id)); err != nil {
				return err
			}
			if err := bm.Put(pair(to, id), nil); err != nil {
				return err
			}
		}
		br, rb := tx.Bucket(bucketByReferrer), tx.Bucket(bucketReferrals)
		var referees []uint64
		c = br.Cursor()
		for k, _ := c.Seek(u64(from)); k != nil && bytes.HasPrefix(k, u64(from)); k, _ = c.Next() {
			referees = append(referees, binary.BigEndian.Uint64(k[8:]))
		}
		for _, referee := range referees {
			ref, found, err := getReferral(tx, referee)
			if err != nil {
				return err
			}
			if found {
				ref.Referrer = to
				if err := putJSON(rb, u64(referee), ref); err != nil {
					return err
				}
			}
			if err := br.Delete(pair(from, referee)); err != nil {
				return err
			}
			if err := br.Put(pair(to, referee), nil); err != nil {
				return err
			}
		}
		if ref, found, err := getReferral(tx, from); err != nil {
			return err
		} else if found {
			if _, has, err := getReferral(tx, to); err != nil {
				return err
			} else if !has && ref.Referrer != to {
				ref.Referee = to
				if err := putJSON(rb, u64(to), ref); err != nil {
					return err
				}
				if err := br.Put(pair(ref.Referrer, to), nil); err != nil {
					return err
				}
			}
			if err := rb.Delete(u64(from)); err != nil {
				return err
			}
			if err := br.Delete(pair(ref.Referrer, from)); err != nil {
				return err
			}
		}
		mc, codes := tx.Bucket(bucketMemberCodes), tx.Bucket(bucketCodes)
		if code := mc.Get(u64(from)); code != nil {
			code = append([]byte(nil), code...)
			if err := codes.Put(code, u64(to)); err != nil {
				return err
			}
			if err := mc.Delete(u64(from)); err != nil {
				return err
			}
			if mc.Get(u64(to)) == nil {
				if err := mc.Put(u64(to), code); err != nil {
					return err
				}
			}
		}
		if app, found, err := getApp(tx, from); err != nil {
			return err
		} else if found {
			if _, has, err := getApp(tx, to); err != nil {
				return err
			} else if !has {
				app.Member = to
				if err := putJSON(tx.Bucket(bucketApps), u64(to), app); err != nil {
					return err
				}
			}
			return tx.Bucket(bucketApps).Delete(u64(from))
		}
		return nil
	})
}

// ReferralOf returns the referral that brought referee in, if any.
func (s *Service) ReferralOf(ctx context.Context, referee uint64) (Referral, bool, error) {
	var ref Referral
	var found bool
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		ref, found, err = getReferral(tx, referee)
		return err
	})
	return ref, found, err
}

// ReferralsBy returns the referrals a member made, newest first.
func (s *Service) ReferralsBy(ctx context.Context, referrer uint64) ([]Referral, error) {
	var out []Referral
	err := s.db.View(func(tx *bolt.Tx) error {
		prefix := u64(referrer)
		c := tx.Bucket(bucketByReferrer).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			ref, found, err := getReferral(tx, binary.BigEndian.Uint64(k[8:]))
			if err != nil {
				return err
			}
			if found {
				out = append(out, ref)
			}
		}
		return nil
	})
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, err
}

// Rejected returns up to limit rejected referrals, newest first, for managers.
func (s *Service) Rejected(ctx context.Context, limit int) ([]Referral, error) {
	var out []Referral
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketRejectedRef).Cursor()
		for k, v := c.Last(); k != nil && len(out) < limit; k, v = c.Prev() {
			var ref Referral
			if err := json.Unmarshal(v, &ref); err != nil {
				return err
			}
			out = append(out, ref)
		}
		return nil
	})
	return out, err
}

func getReferral(tx *bolt.Tx, referee uint64) (Referral, bool, error) {
	v := tx.Bucket(bucketReferrals).Get(u64(referee))
	if v == nil {
		return Referral{}, false, nil
	}
	var ref Referral
	if err := json.Unmarshal(v, &ref); err != nil {
		return Referral{}, false, fmt.Errorf("decode referral of %d: %w", referee, err)
	}
	return ref, true, nil
}

func putJSON(b *bolt.Bucket, k []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(k, data)
}
