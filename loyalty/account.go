package loyalty

import (
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

// addMonth adds delta to the points earned in month m. Months that have
// left the window are dropped.
func (a *Account) addMonth(m uint32, delta int64) {
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
func (a Account) window(now time.Time) int64 { return a.windowAt(monthIndex(now)) }

// windowAt returns the points earned in the 12 months ending with month end
// (a month index).
func (a Account) windowAt(end uint32) int64 {
	var sum int64
	for m := max(end, a.Month) - tierWindow + 1; m <= min(end, a.Month); m++ {
		sum += a.Months[m%tierWindow]
	}
	return sum
}

// addChecked returns a+b, or ErrOverflow when the sum leaves the int64 range.
func addChecked(a, b int64) (int64, error) {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		return 0, ErrOverflow
	}
	return s, nil
}
