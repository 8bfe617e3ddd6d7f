package bolt

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/loyalbot/loyalbot/loyalty"
)

// rewardTx reads and writes the reward catalogue, redemptions and their
// indexes (codes, pending, by account) and per-member redemption counts.
type rewardTx struct{ *txn }

func (t *rewardTx) Reward(id string) (loyalty.Reward, bool, error) {
	v := t.bucket(bRewards).Get([]byte(id))
	if v == nil {
		return loyalty.Reward{}, false, nil
	}
	r, err := decodeJSON[loyalty.Reward](v, "reward", id)
	return r, err == nil, err
}

func (t *rewardTx) Rewards(fn func(loyalty.Reward) error) error {
	return t.bucket(bRewards).ForEach(func(k, v []byte) error {
		r, err := decodeJSON[loyalty.Reward](v, "reward", string(k))
		if err != nil {
			return err
		}
		return fn(r)
	})
}

func (t *rewardTx) PutReward(r loyalty.Reward) error {
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return t.bucket(bRewards).Put([]byte(r.ID), v)
}

func (t *rewardTx) Redemption(id uint64) (loyalty.Redemption, bool, error) {
	v := t.bucket(bRedemptions).Get(u64(id))
	if v == nil {
		return loyalty.Redemption{}, false, nil
	}
	rd, err := decodeJSON[loyalty.Redemption](v, "redemption", id)
	return rd, err == nil, err
}

// redemptionByIndex returns the redemption an index names, which must exist.
func (t *rewardTx) redemptionByIndex(id uint64) (loyalty.Redemption, error) {
	rd, ok, err := t.Redemption(id)
	if err == nil && !ok {
		err = fmt.Errorf("indexed redemption %d missing: %w", id, ErrCorrupt)
	}
	return rd, err
}

func (t *rewardTx) RedemptionByCode(code string) (loyalty.Redemption, bool, error) {
	v := t.bucket(bCodes).Get([]byte(code))
	if v == nil {
		return loyalty.Redemption{}, false, nil
	}
	rd, err := t.redemptionByIndex(getU64(v))
	return rd, err == nil, err
}

func (t *rewardTx) Redemptions(fn func(loyalty.Redemption) error) error {
	c := t.bucket(bRedemptions).Cursor()
	for k, v := c.Last(); k != nil; k, v = c.Prev() {
		rd, err := decodeJSON[loyalty.Redemption](v, "redemption", getU64(k))
		if err != nil {
			return err
		}
		if err := fn(rd); err != nil {
			return err
		}
	}
	return nil
}

func (t *rewardTx) PendingRedemptions(fn func(loyalty.Redemption) error) error {
	c := t.bucket(bPending).Cursor()
	for k, _ := c.Last(); k != nil; k, _ = c.Prev() {
		rd, err := t.redemptionByIndex(getU64(k))
		if err != nil {
			return err
		}
		if err := fn(rd); err != nil {
			return err
		}
	}
	return nil
}

func (t *rewardTx) RedemptionsOf(a loyalty.AccountID, fn func(loyalty.Redemption) error) error {
	prefix := acctKey(a)
	c := t.bucket(bRedeemIndex).Cursor()
	k, _ := c.Seek(acctKey(a, u64(^uint64(0))))
	if k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Prev() {
		rd, err := t.redemptionByIndex(binary.BigEndian.Uint64(k[len(prefix):]))
		if err != nil {
			return err
		}
		if err := fn(rd); err != nil {
			return err
		}
	}
	return nil
}

func (t *rewardTx) NextRedemptionID() (uint64, error) { return t.bucket(bRedemptions).NextSequence() }

func (t *rewardTx) PutRedemption(rd loyalty.Redemption) error {
	old, had, err := t.Redemption(rd.ID)
	if err != nil {
		return err
	}
	if had && (old.Code != rd.Code || old.Account != rd.Account) {
		return fmt.Errorf("redemption %d: code or account changed", rd.ID)
	}
	if !had {
		if err := t.bucket(bCodes).Put([]byte(rd.Code), u64(rd.ID)); err != nil {
			return err
		}
		if err := t.bucket(bRedeemIndex).Put(acctKey(rd.Account, u64(rd.ID)), nil); err != nil {
			return err
		}
	}
	wasPending, pending := had && old.State == loyalty.RedemptionPending, rd.State == loyalty.RedemptionPending
	switch {
	case pending && !wasPending:
		err = t.bucket(bPending).Put(u64(rd.ID), nil)
	case wasPending && !pending:
		err = t.bucket(bPending).Delete(u64(rd.ID))
	}
	if err != nil {
		return err
	}
	v, err := json.Marshal(rd)
	if err != nil {
		return err
	}
	return t.bucket(bRedemptions).Put(u64(rd.ID), v)
}

func (t *rewardTx) RedeemCount(a loyalty.AccountID, reward string) (int64, error) {
	return int64(getU64(t.bucket(bRedeemCounts).Get(acctKey(a, []byte(reward))))), nil
}

func (t *rewardTx) RedeemCountsOf(a loyalty.AccountID, fn func(string, int64) error) error {
	prefix := acctKey(a)
	type count struct {
		reward string
		n      int64
	}
	var cs []count
	c := t.bucket(bRedeemCounts).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		if n := int64(getU64(v)); n != 0 { // releases before kept zero counts
			cs = append(cs, count{string(k[len(prefix):]), n})
		}
	}
	for _, ct := range cs {
		if err := fn(ct.reward, ct.n); err != nil {
			return err
		}
	}
	return nil
}

func (t *rewardTx) SetRedeemCount(a loyalty.AccountID, reward string, n int64) error {
	k := acctKey(a, []byte(reward))
	switch {
	case n < 0:
		return fmt.Errorf("redemption count %s/%s: %d below zero", a, reward, n)
	case n == 0:
		return t.bucket(bRedeemCounts).Delete(k)
	}
	return t.bucket(bRedeemCounts).Put(k, u64(uint64(n)))
}
