package community

import (
	"context"

	"github.com/loyalbot/loyalbot/community/support"
	"github.com/loyalbot/loyalbot/loyalty"
	"github.com/loyalbot/loyalbot/ugc"
)

// QualifyReferral pays a pending referral of member once they checked in
// for the first time, and tells the referrer (name is how the newcomer is
// called). paid reports whether this call paid it.
func (c *Community) QualifyReferral(ctx context.Context, member uint64, name string) (ref ugc.Referral, paid bool, err error) {
	if c.ugc == nil {
		return ugc.Referral{}, false, nil
	}
	ref, paid, err = c.ugc.Referrals().Qualify(ctx, member)
	if err != nil || !paid {
		return ref, paid, err
	}
	c.log.InfoContext(ctx, "referral qualified", "referrer", ref.Referrer, "referee", ref.Referee, "paid", ref.Paid)
	c.tell.member(ctx, loyalty.Member(ref.Referrer), "notify.referral", name, pointsN(ref.Paid))
	return ref, true, nil
}

// Support returns the customer service the community was given (nil
// without WithSupport), for the chat surface that answers questions.
func (c *Community) Support() (*support.Assistant, *support.Tickets) { return c.assistant, c.tickets }
