package bolt

import (
	"fmt"

	boltrec "github.com/loyalbot/loyalbot/internal/bolt"

	"github.com/loyalbot/loyalbot/ugc"
)

func (t *referralTxn) CodeOwner(code string) (uint64, bool, error) {
	member, ok, err := boltrec.ID(t.b(bucketCodes).Get([]byte(code)))
	if err != nil {
		return 0, false, fmt.Errorf("owner of code %s: %w", code, err)
	}
	return member, ok, nil
}

func (t *referralTxn) MemberCode(member uint64) (string, bool, error) {
	v := t.b(bucketMemberCodes).Get(u64(member))
	return string(v), v != nil, nil
}

func (t *referralTxn) PutCode(code string, member uint64) error {
	return t.b(bucketCodes).Put([]byte(code), u64(member))
}

func (t *referralTxn) DeleteCode(code string) error { return t.b(bucketCodes).Delete([]byte(code)) }

func (t *referralTxn) PutMemberCode(member uint64, code string) error {
	return t.b(bucketMemberCodes).Put(u64(member), []byte(code))
}

func (t *referralTxn) DeleteMemberCode(member uint64) error {
	return t.b(bucketMemberCodes).Delete(u64(member))
}

func (t *referralTxn) Referral(referee uint64) (ugc.Referral, bool, error) {
	var ref ugc.Referral
	ok, err := boltrec.GetJSON(t.b(bucketReferrals).Get(u64(referee)), &ref)
	if err != nil {
		return ugc.Referral{}, false, fmt.Errorf("decode referral of %d: %w", referee, err)
	}
	return ref, ok, nil
}

func (t *referralTxn) RefereesOf(referrer uint64, fn func(referee uint64) error) error {
	return t.walkPairs(bucketByReferrer, referrer, ugc.OldestFirst, fn)
}

func (t *referralTxn) RejectedReferrals(order ugc.Order, fn func(ugc.Referral) error) error {
	return walk(t.b(bucketRejectedRef), order, func(k, v []byte) error {
		var ref ugc.Referral
		if _, err := boltrec.GetJSON(v, &ref); err != nil {
			return fmt.Errorf("decode rejected referral %x: %w", k, err)
		}
		return fn(ref)
	})
}

func (t *referralTxn) DailyAttributions(referrer uint64, day string) (int, error) {
	return getCount(t.b(bucketAttrDaily).Get(dayKey(referrer, day))), nil
}

// PutReferral writes ref and moves its entry in the index by referrer
// when the referrer changed (or writes it for a new one).
func (t *referralTxn) PutReferral(ref ugc.Referral) error {
	old, found, err := t.Referral(ref.Referee)
	if err != nil {
		return err
	}
	if !found || old.Referrer != ref.Referrer {
		br := t.b(bucketByReferrer)
		if found {
			if err := br.Delete(pair(old.Referrer, ref.Referee)); err != nil {
				return err
			}
		}
		if err := br.Put(pair(ref.Referrer, ref.Referee), nil); err != nil {
			return err
		}
	}
	return boltrec.PutJSON(t.b(bucketReferrals), u64(ref.Referee), ref)
}

func (t *referralTxn) DeleteReferral(referee uint64) error {
	old, found, err := t.Referral(referee)
	if err != nil || !found {
		return err
	}
	if err := t.b(bucketByReferrer).Delete(pair(old.Referrer, referee)); err != nil {
		return err
	}
	return t.b(bucketReferrals).Delete(u64(referee))
}

func (t *referralTxn) AddRejectedReferral(ref ugc.Referral) error {
	b := t.b(bucketRejectedRef)
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	return boltrec.PutJSON(b, u64(seq), ref)
}

func (t *referralTxn) PutDailyAttributions(referrer uint64, day string, n int) error {
	return t.b(bucketAttrDaily).Put(dayKey(referrer, day), u64(uint64(n)))
}
