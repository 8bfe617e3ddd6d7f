package community

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/loyalbot/loyalbot/loyalty"
)

// Signup pays member the signup bonus once (idempotent on
// "signup:<member>") and reports whether this call paid it. An account
// that erased its data and came back gets no second bonus.
func (c *Community) Signup(ctx context.Context, member uint64) (paid bool, err error) {
	if ok, err := c.members.signupAllowed(ctx, member); err != nil || !ok {
		return false, err
	}
	if c.cfg.SignupBonus <= 0 {
		return false, nil
	}
	rc, err := c.ledger.Credit(ctx, loyalty.Member(member), "signup", c.cfg.SignupBonus, "signup:"+strconv.FormatUint(member, 10), "signup bonus")
	if err != nil {
		return false, fmt.Errorf("signup bonus: %w", err)
	}
	return !rc.Replay, nil
}

// Fresh reports whether a member registered by the event at hand is new
// to the community: not a platform account that erased its data before
// (erasing and rejoining farms no signup bonus and no referral).
func (c *Community) Fresh(ctx context.Context, member uint64) (bool, error) {
	return c.members.signupAllowed(ctx, member)
}

// CheckinResult is what a check-in did.
type CheckinResult struct {
	Already    bool      // the member checked in today before: nothing paid
	Next       time.Time // when the next check-in opens, in the community's time zone
	Earned     int64     // points paid for the check-in (tier multiplier applied)
	Streak     int       // days in a row, today included
	Bonus      int64     // the streak bonus paid today, if any
	Referral   bool      // the check-in qualified the member's referral
	Balance    int64     // after
	TierChange *loyalty.TierChange
}

// Checkin pays the member's daily check-in once per community day (key
// names the member's day), keeps the streak, pays the streak bonus every
// StreakDays days in a row, and qualifies their referral with their first
// check-in (name is how the referrer is told about them).
func (c *Community) Checkin(ctx context.Context, member uint64, name string) (CheckinResult, error) {
	now := c.now().In(c.loc)
	today := now.Format(time.DateOnly)
	key := "checkin:" + strconv.FormatUint(member, 10) + ":" + today
	var res CheckinResult
	var rc loyalty.Receipt
	var err error
	if c.cfg.CheckinPoints > 0 {
		rc, err = c.ledger.Post(ctx, loyalty.Posting{Key: key, From: loyalty.Issuance("checkin"),
			To: loyalty.Member(member), Amount: c.cfg.CheckinPoints, Reason: "daily check-in", Multiply: true})
	} else { // a zero-point marker still counts the day once
		var first bool
		first, err = c.members.markDay(ctx, key)
		rc.Replay = !first
	}
	if err != nil {
		return res, fmt.Errorf("check-in: %w", err)
	}
	if rc.Replay {
		res.Already = true
		res.Next = time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, c.loc)
		return res, nil
	}
	yesterday := now.AddDate(0, 0, -1).Format(time.DateOnly)
	m, err := c.members.Update(ctx, member, func(m *Member) error {
		switch m.LastCheck {
		case today: // a concurrent check-in already counted the day
		case yesterday:
			m.Streak++
		default:
			m.Streak = 1
		}
		m.LastCheck = today
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("check-in streak: %w", err)
	}
	res.Earned, res.Streak, res.TierChange = rc.Entry.Amount, m.Streak, rc.TierChange
	if m.Streak%c.cfg.StreakDays == 0 && c.cfg.StreakBonus > 0 {
		bonus, err := c.ledger.Post(ctx, loyalty.Posting{Key: "streak:" + strconv.FormatUint(member, 10) + ":" + today, From: loyalty.Issuance("checkin"),
			To: loyalty.Member(member), Amount: c.cfg.StreakBonus, Reason: "check-in streak bonus", Multiply: true})
		if err != nil {
			return res, fmt.Errorf("streak bonus: %w", err)
		}
		res.Bonus = bonus.Entry.Amount
		if bonus.TierChange != nil {
			res.TierChange = bonus.TierChange
		}
	}
	if _, res.Referral, err = c.QualifyReferral(ctx, member, name); err != nil {
		return res, err
	}
	b, err := c.ledger.Balance(ctx, loyalty.Member(member))
	if err != nil {
		return res, err
	}
	res.Balance = b.Balance
	return res, nil
}

// activity remembers each member's last paid message, for message points.
// It is safe for concurrent use.
type activity struct {
	mu   sync.Mutex
	last map[uint64]lastMessage
}

type lastMessage struct {
	at   time.Time
	text string
}

// ActivityPoints pays for a group message (key identifies it): at least
// MessageMinLength characters, not a repeat of the member's last message,
// and at most one per MessageCooldown. It reports whether it paid.
func (c *Community) ActivityPoints(ctx context.Context, member uint64, text, key string) (bool, error) {
	if member == 0 || c.cfg.MessagePoints <= 0 {
		return false, nil
	}
	text = strings.Join(strings.Fields(strings.ToLower(text)), " ")
	if utf8.RuneCountInString(text) < c.cfg.MessageMinLength {
		return false, nil
	}
	now := c.now()
	c.activity.mu.Lock()
	last := c.activity.last[member]
	ok := now.Sub(last.at) >= c.cfg.MessageCooldown && text != last.text
	if ok {
		c.activity.last[member] = lastMessage{at: now, text: text}
	} else if text != last.text {
		last.text = text
		c.activity.last[member] = last
	}
	c.activity.mu.Unlock()
	if !ok {
		return false, nil
	}
	_, err := c.ledger.Post(ctx, loyalty.Posting{Key: key, From: loyalty.Issuance("message"), To: loyalty.Member(member),
		Amount: c.cfg.MessagePoints, Reason: "chat activity", Multiply: true})
	if err != nil {
		return false, fmt.Errorf("message points: %w", err)
	}
	return true, nil
}

// Redeem spends member's points on a reward, once per key (a retried
// request redeems once: Redemption.Replay). It returns the ledger's
// *InsufficientFundsError, ErrOutOfStock, ErrRewardInactive,
// ErrLimitReached, ErrUnknownReward and ErrIdempotencyConflict.
func (c *Community) Redeem(ctx context.Context, member uint64, reward, key string) (loyalty.Redemption, error) {
	rd, err := c.ledger.Redeem(ctx, key, loyalty.Member(member), reward)
	if err == nil && !rd.Replay {
		c.log.InfoContext(ctx, "reward redeemed", "member", member, "reward", reward, "code", rd.Code)
	}
	return rd, err
}
