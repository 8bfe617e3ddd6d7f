// Package outbox defines loyalbot's domain events: what a use case
// publishes, in the same transaction as the change it describes, for
// campaigns, outbound webhooks and the dashboard to consume. A store
// appends an event to its outbox inside its own transaction (the bbolt
// stores share one outbox bucket, see internal/bolt); consumers read the
// outbox in order, after the sequence number they last handled.
package outbox

import "time"

// Event types published to the outbox. Events derived from the ledger
// (check-ins, points, orders, approvals, referrals) are read from the
// ledger's entries, which are written in the same transaction as the
// points they move, and carry the same types.
const (
	MemberJoined       = "member_joined"
	CheckedIn          = "checked_in"
	PointsEarned       = "points_earned"
	PointsRedeemed     = "points_redeemed"
	PointsExpired      = "points_expired"
	TierChanged        = "tier_changed"
	OrderPaid          = "order_paid"
	OrderRefunded      = "order_refunded"
	SubmissionApproved = "submission_approved"
	ReferralQualified  = "referral_qualified"
	TicketClosed       = "ticket_closed"
	SurveyAnswered     = "survey_answered"
)

// Event is one thing that happened to a member.
type Event struct {
	// Seq is the event's place in the outbox, set when it is appended:
	// each greater than the last.
	Seq uint64 `json:"seq"`
	// Key identifies the event for de-duplication: an inbound event's
	// event_id, or the key of the change it describes. Appending an event
	// whose key is already in the outbox does nothing.
	Key string `json:"key"`
	// Type is one of the constants above or an inbound event's own type
	// (cart_abandoned, product_viewed, ...).
	Type   string    `json:"type"`
	Member uint64    `json:"member"`
	At     time.Time `json:"at"`
	// Props are the event's properties, such as a ticket's id or a cart's
	// value; triggers filter on them.
	Props map[string]string `json:"props,omitempty"`
}
