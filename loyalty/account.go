package loyalty

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"
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
	if err != nil || id == 0 || s[0] == '0' { // one spelling per member: no "007"
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

// earner reports whether a posting from → to changes a member's earned
// points (tiers and leaderboards use them): points issued or granted to a
// member count up, points a manager takes or an issuer claws back (a
// refunded purchase) count down, and spending, transfers and expiry do
// not count. sign is 0 when no member's earnings change.
func earner(from, to AccountID) (member AccountID, sign int64) {
	issuer := func(a AccountID) bool { return a == AdjustmentAccount || strings.HasPrefix(string(a), issuancePrefix) }
	switch {
	case to.IsMember() && issuer(from):
		return to, 1
	case from.IsMember() && issuer(to):
		return from, -1
	}
	return "", 0
}

// account is the stored state of one account in loyalty.accounts.
type account struct {
	Balance int64  // points on the account, held ones included
	Held    int64  // points reserved by open holds
	Earned  int64  // lifetime earned points (members only)
	Last    uint64 // newest entry of the account: the head of its history
	// Month is the month index (see monthIndex) of the newest slot of
	// Months, a ring of earned points per month: month m is Months[m%12]
	// while m > Month-12. Tiers read it without touching other records.
	Month  uint32
	Months [tierWindow]int64
}

const accountLen = 4*8 + 4 + tierWindow*8

func decodeAccount(b []byte) account {
	var a account
	if len(b) != accountLen {
		return a
	}
	a.Balance = int64(binary.BigEndian.Uint64(b))
	a.Held = int64(binary.BigEndian.Uint64(b[8:]))
	a.Earned = int64(binary.BigEndian.Uint64(b[16:]))
	a.Last = binary.BigEndian.Uint64(b[24:])
	a.Month = binary.BigEndian.Uint32(b[32:])
	for i := range a.Months {
		a.Months[i] = int64(binary.BigEndian.Uint64(b[36+8*i:]))
	}
	return a
}

func (a account) encode() []byte {
	b := make([]byte, 0, accountLen)
	b = binary.BigEndian.AppendUint64(b, uint64(a.Balance))
	b = binary.BigEndian.AppendUint64(b, uint64(a.Held))
	b = binary.BigEndian.AppendUint64(b, uint64(a.Earned))
	b = binary.BigEndian.AppendUint64(b, a.Last)
	b = binary.BigEndian.AppendUint32(b, a.Month)
	for _, m := range a.Months {
		b = binary.BigEndian.AppendUint64(b, uint64(m))
	}
	return b
}

// addMonth adds delta to the points earned in month m. Months that have
// left the window are dropped.
func (a *account) addMonth(m uint32, delta int64) {
	if m > a.Month {
		for x := a.Month + 1; x <= m && x <= a.Month+tierWindow; x++ {
			a.Months[x%tierWindow] = 0
		}
		a.Month = m
	}
	if m+tierWindow > a.Month {
		a.Months[m%tierWindow] += delta
	}
}

// window returns the points earned in the tier window: the 12 months ending
// with now's month.
func (a account) window(now time.Time) int64 {
	end := monthIndex(now)
	var sum int64
	for m := max(end, a.Month) - tierWindow + 1; m <= min(end, a.Month); m++ {
		sum += a.Months[m%tierWindow]
	}
	return sum
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
