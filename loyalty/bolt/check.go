package bolt

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/loyalbot/loyalbot/loyalty"
	bbolt "go.etcd.io/bbolt"
)

// Check checks, in one read transaction, that the store's indexes agree
// with their records, and returns every disagreement found, joined, each
// wrapping ErrCorrupt: lots and their expiry index, open holds and their
// account and expiry indexes, redemptions and their code, pending and
// account indexes, and every account's history (the links from its record
// through its entries reach exactly the entries that name it, newest
// first). The ledger's own rules are loyalty.Ledger.Verify's. Check reads
// everything: run it from tests and operators' checks.
func (s *Store) Check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...)))
	}
	err := s.db.View(func(btx *bbolt.Tx) error {
		t := newTx(btx)
		for _, c := range []func(*tx, func(string, ...any)) error{checkLots, checkHolds, checkRedemptions, checkHistory, checkBoards} {
			if err := c(t, bad); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("check loyalty store: %w", err)
	}
	return errors.Join(errs...)
}

// keySet returns the keys of a bucket, to tick off.
func keySet(b *bbolt.Bucket) (map[string]bool, error) {
	m := map[string]bool{}
	err := b.ForEach(func(k, _ []byte) error {
		m[string(k)] = true
		return nil
	})
	return m, err
}

func checkLots(t *tx, bad func(string, ...any)) error {
	index, err := keySet(t.bucket(bLotExpiry))
	if err != nil {
		return err
	}
	err = t.bucket(bLots).ForEach(func(k, v []byte) error {
		if len(k) < 9 || k[len(k)-9] != 0 || getU64(v) == 0 {
			bad("lot %q: bad key or empty", k)
			return nil
		}
		exp := binary.BigEndian.Uint64(k[len(k)-8:])
		if exp == neverExpires {
			return nil
		}
		ik := string(append(u64(exp), k[:len(k)-9]...))
		if !index[ik] {
			bad("lot %q not in the expiry index", k)
		}
		delete(index, ik)
		return nil
	})
	for k := range index {
		bad("expiry index names no lot: %x", k)
	}
	return err
}

func checkHolds(t *tx, bad func(string, ...any)) error {
	byAccount, err := keySet(t.bucket(bHoldIndex))
	if err != nil {
		return err
	}
	byExpiry, err := keySet(t.bucket(bHoldExpiry))
	if err != nil {
		return err
	}
	err = t.Holds(func(hd loyalty.Hold) error {
		if hd.State != loyalty.HoldOpen {
			return nil
		}
		if ak := string(acctKey(hd.Account, u64(hd.ID))); byAccount[ak] {
			delete(byAccount, ak)
		} else {
			bad("open hold %d not in the account index", hd.ID)
		}
		if ek := string(holdExpiryKey(hd)); byExpiry[ek] {
			delete(byExpiry, ek)
		} else {
			bad("open hold %d not in the expiry index", hd.ID)
		}
		return nil
	})
	for k := range byAccount {
		bad("hold account index names no open hold: %q", k)
	}
	for k := range byExpiry {
		bad("hold expiry index names no open hold: %x", k)
	}
	return err
}

func checkRedemptions(t *tx, bad func(string, ...any)) error {
	codes, err := keySet(t.bucket(bCodes))
	if err != nil {
		return err
	}
	pending, err := keySet(t.bucket(bPending))
	if err != nil {
		return err
	}
	byAccount, err := keySet(t.bucket(bRedeemIndex))
	if err != nil {
		return err
	}
	err = t.Redemptions(func(rd loyalty.Redemption) error {
		if id := getU64(t.bucket(bCodes).Get([]byte(rd.Code))); id != rd.ID {
			bad("code %s names redemption %d, not %d", rd.Code, id, rd.ID)
		}
		delete(codes, rd.Code)
		if pk := string(u64(rd.ID)); pending[pk] != (rd.State == loyalty.RedemptionPending) {
			bad("redemption %d is %s, pending index says %v", rd.ID, rd.State, pending[pk])
		}
		delete(pending, string(u64(rd.ID)))
		if ak := string(acctKey(rd.Account, u64(rd.ID))); byAccount[ak] {
			delete(byAccount, ak)
		} else {
			bad("redemption %d not in the account index", rd.ID)
		}
		return nil
	})
	for k := range codes {
		bad("code %s names no redemption", k)
	}
	for k := range pending {
		bad("pending index names no redemption: %x", k)
	}
	for k := range byAccount {
		bad("account index names no redemption: %q", k)
	}
	return err
}

func checkHistory(t *tx, bad func(string, ...any)) error {
	counts := map[loyalty.AccountID]int{}
	if err := t.Entries(func(e loyalty.Entry) error {
		counts[e.From]++
		counts[e.To]++
		return nil
	}); err != nil {
		return err
	}
	return t.bucket(bAccounts).ForEach(func(k, _ []byte) error {
		a := loyalty.AccountID(k)
		n, last := 0, uint64(0)
		err := t.EntriesOf(a, 0, func(e loyalty.Entry) error {
			if e.From != a && e.To != a || last != 0 && e.ID >= last {
				return fmt.Errorf("history of %s reaches entry %d out of place: %w", a, e.ID, ErrCorrupt)
			}
			n, last = n+1, e.ID
			return nil
		})
		switch {
		case errors.Is(err, ErrCorrupt):
			bad("%v", err)
		case err != nil:
			return err
		case n != counts[a]:
			bad("history of %s has %d entries, %d name it", a, n, counts[a])
		}
		return nil
	})
}
