package loyalty

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
)

// AccountID names a ledger account. Member accounts are "member:<id>" (see
// Member); system accounts are RedemptionAccount, ExpiryAccount, AdjustmentAccount and
// "issuance:<source>" (see Issuance). System accounts may go negative; member
// accounts never do.
type AccountID string

// System accounts.
const (
	// RedemptionAccount receives points members spend on rewards.
	RedemptionAccount AccountID = "redemption"
	// ExpiryAccount receives points that expired.
	ExpiryAccount AccountID = "expiry"
	// AdjustmentAccount is the counter-account of manager grants and deductions.
	AdjustmentAccount AccountID = "adjustment"
)

const (
	memberPrefix   = "member:"
	issuancePrefix = "issuance:"
	maxSourceLen   = 32
)

// Member returns the account of the member with the given id.
func Member(id uint64) AccountID { return AccountID(memberPrefix + strconv.FormatUint(id, 10)) }

// Issuance returns the system account that issues points for source, such as
// "checkin", "ugc" or "referral".
func Issuance(source string) AccountID { return AccountID(issuancePrefix + source) }

// MemberID returns the member id of a member account, and false for any other account.
func (a AccountID) MemberID() (uint64, bool) {
	s, ok := strings.CutPrefix(string(a), memberPrefix)
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil || id == 0 || strconv.FormatUint(id, 10) != s {
		return 0, false
	}
	return id, true
}

// IsMember reports whether a is a well-formed member account.
func (a AccountID) IsMember() bool {
	_, ok := a.MemberID()
	return ok
}

// Validate returns an error wrapping ErrUnknownAccount unless a is a member
// account or a known system account.
func (a AccountID) Validate() error {
	switch {
	case a == RedemptionAccount, a == ExpiryAccount, a == AdjustmentAccount, a.IsMember():
		return nil
	case strings.HasPrefix(string(a), issuancePrefix):
		src := strings.TrimPrefix(string(a), issuancePrefix)
		if src != "" && len(src) <= maxSourceLen && strings.Trim(src, "abcdefghijklmnopqrstuvwxyz0123456789_-") == "" {
			return nil
		}
	}
	return fmt.Errorf("%w: %q", ErrUnknownAccount, string(a))
}

// earns reports whether a posting from → to counts towards the member's
// earned points (used by tiers and leaderboards), and with which sign.
func earnSign(from, to AccountID) int64 {
	switch {
	case to.IsMember() && (from == AdjustmentAccount || strings.HasPrefix(string(from), issuancePrefix)):
		return 1
	case from.IsMember() && to == AdjustmentAccount:
		return -1
	}
	return 0
}

// account is the stored state of one account: 24 bytes in loyalty.accounts.
type account struct {
	Balance int64 // points on the account, held ones included
	Held    int64 // points reserved by open holds
	Earned  int64 // lifetime earned points (members only)
}

func decodeAccount(b []byte) account {
	if len(b) < 24 {
		return account{}
	}
	return account{
		Balance: int64(binary.BigEndian.Uint64(b)),
		Held:    int64(binary.BigEndian.Uint64(b[8:])),
		Earned:  int64(binary.BigEndian.Uint64(b[16:])),
	}
}

func (a account) encode() []byte {
	b := make([]byte, 24)
	binary.BigEndian.PutUint64(b, uint64(a.Balance))
	binary.BigEndian.PutUint64(b[8:], uint64(a.Held))
	binary.BigEndian.PutUint64(b[16:], uint64(a.Earned))
	return b
}

// u64 encodes v as an 8-byte big-endian key so cursors iterate in order.
func u64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

// acctKey builds "<account>\x00<parts...>", the key layout of per-account indexes.
func acctKey(a AccountID, parts ...[]byte) []byte {
	n := len(a) + 1
	for _, p := range parts {
		n += len(p)
	}
	b := make([]byte, 0, n)
	b = append(b, a...)
	b = append(b, 0)
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// addChecked returns a+b, or ErrOverflow when the sum leaves the int64 range.
func addChecked(a, b int64) (int64, error) {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		return 0, ErrOverflow
	}
	return s, nil
}
