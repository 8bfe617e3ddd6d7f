package campaign

import (
	"context"
	"time"

	"github.com/loyalbot/loyalbot/internal/outbox"
)

// RunState is where a member's run of a campaign stands.
type RunState string

// Run states.
const (
	Running  RunState = "running"  // on its way through the steps
	Done     RunState = "done"     // ran off the end of the steps
	Exited   RunState = "exited"   // an exit step or a failed condition ended it
	HeldOut  RunState = "held_out" // in the holdout: gets nothing, tracked for the goal
	Capped   RunState = "capped"   // a marketing message was past the member's weekly cap
	Left     RunState = "left"     // the member left, erased their data or withdrew consent
	Disabled RunState = "disabled" // the campaign was switched off or removed
)

// Run is one member's progress through one campaign: the latest entry
// (entering again replaces it).
type Run struct {
	Campaign string    `json:"campaign"`
	Version  int       `json:"version"` // the campaign version it runs
	Member   uint64    `json:"member"`
	State    RunState  `json:"state"`
	PC       int       `json:"pc"`           // the next operation
	Due      time.Time `json:"due,omitzero"` // when the next operation runs (Running only)
	Entered  time.Time `json:"entered"`      // when this entry began
	// Occurrence is the trigger occurrence this entry is for (an event's
	// key, the last activity of a spell of inactivity, a year, a scheduled
	// time): a member enters once per occurrence.
	Occurrence string            `json:"occurrence"`
	Entries    int               `json:"entries"`            // how many times the member entered
	Converted  time.Time         `json:"converted,omitzero"` // when the goal event happened, inside its window
	Coupon     string            `json:"coupon,omitempty"`   // the code an offer step gave
	Seen       []string          `json:"seen,omitempty"`     // event types a condition asks about, seen since entering
	WaitFor    string            `json:"wait_for,omitempty"` // the event a wait_for step waits for
	Messages   int               `json:"messages,omitempty"` // messages sent in this entry
	Props      map[string]string `json:"props,omitempty"`    // the entering event\'s properties, {{event.<name>}} in messages
	Reached    []int             `json:"reached,omitempty"`  // the operations done, for the funnel
}

// Version is one stored version of a campaign's definition; runs keep the
// version they entered.
type Version struct {
	N     int        `json:"n"`
	Hash  string     `json:"hash"`
	Def   Definition `json:"def"`
	Since time.Time  `json:"since"`
}

// State is a campaign's stored state beside its versions.
type State struct {
	Paused bool `json:"paused,omitempty"`
	// Watermark is how far a scan-based trigger got: the last-activity
	// cutoff of an inactivity scan, the last scheduled occurrence, the
	// expiry cutoff.
	Watermark time.Time `json:"watermark,omitzero"`
	// Day is the last community day a date trigger was evaluated.
	Day string `json:"day,omitempty"`
	// First is when the campaign was first seen (a schedule's origin).
	First time.Time `json:"first,omitzero"`
}

// Stats are a campaign's counters, kept in the same transaction as the
// runs they count.
type Stats struct {
	Entered       int         `json:"entered"`
	HeldOut       int         `json:"held_out"`
	Converted     int         `json:"converted"`      // treated members who met the goal in its window
	HeldConverted int         `json:"held_converted"` // held-out members who did
	Done          int         `json:"done"`
	Exited        int         `json:"exited"`
	Capped        int         `json:"capped"`
	Left          int         `json:"left"`
	Sent          int         `json:"sent"`       // messages queued
	Muted         int         `json:"muted"`      // messages not sent: notifications off or no private chat
	NoConsent     int         `json:"no_consent"` // marketing the trigger would have entered, but for consent
	Steps         map[int]int `json:"steps"`      // operation → members who reached it
}

// Message is a message waiting to be sent (the outgoing queue).
type Message struct {
	Seq      uint64    `json:"seq"`
	Member   uint64    `json:"member"`
	Campaign string    `json:"campaign"`
	Key      string    `json:"key"` // campaign:<id>:<member>:<op>:<entry>
	Text     string    `json:"text"`
	Group    bool      `json:"group,omitempty"` // to the brand's groups, not privately
	Email    string    `json:"email,omitempty"` // "always" or "fallback": see Step.Email
	Subject  string    `json:"subject,omitempty"`
	Buttons  []Choice  `json:"buttons,omitempty"`
	Created  time.Time `json:"created"`
	// Attempted is set, durably, just before the message is handed to the
	// platform: a crash after that does not send it again (at most once;
	// the log names it).
	Attempted bool `json:"attempted,omitempty"`
	Tries     int  `json:"tries,omitempty"` // deliveries the platform refused
}

// Choice is a rendered button: a label and the command it sends.
type Choice struct {
	Label   string `json:"label"`
	Command string `json:"command"`
}

// Answer is a member's survey answer.
type Answer struct {
	Campaign string    `json:"campaign"`
	Member   uint64    `json:"member"`
	Survey   string    `json:"survey"` // NPS or CSAT
	Score    int       `json:"score"`
	Comment  string    `json:"comment,omitempty"`
	At       time.Time `json:"at"`
}

// Coupon is a one-time code an offer step gave a member.
type Coupon struct {
	Code     string    `json:"code"`
	Member   uint64    `json:"member"`
	Campaign string    `json:"campaign"`
	Offer    Offer     `json:"offer"`
	Expires  time.Time `json:"expires"`
	Used     time.Time `json:"used,omitzero"` // when a manager marked it used
}

// Store is where campaigns keep their versions, runs, queue, answers and
// counters. campaign/bolt implements it on bbolt.
type Store interface {
	// Update runs fn in one read-write transaction: all of fn's writes
	// happen, or none.
	Update(ctx context.Context, fn func(tx Tx) error) error
	// View runs fn in a read-only, consistent snapshot.
	View(ctx context.Context, fn func(tx ReadTx) error) error
}

// ReadTx reads campaign data inside a transaction. Walks stop at fn's
// first error and return it.
type ReadTx interface {
	// Versions returns a campaign's stored versions, oldest first.
	Versions(id string) ([]Version, error)
	// State returns a campaign's state (the zero State when none).
	State(id string) (State, error)
	// Stats returns a campaign's counters.
	Stats(id string) (Stats, error)
	// Run returns member's run of campaign.
	Run(campaign string, member uint64) (Run, bool, error)
	// RunsOf walks member's runs, by campaign.
	RunsOf(member uint64, fn func(Run) error) error
	// Due walks the running runs due at or before until, earliest first.
	Due(until time.Time, fn func(campaign string, member uint64, due time.Time) error) error
	// NextDue returns the earliest due time of a running run.
	NextDue() (time.Time, bool, error)
	// Cursor returns how far the consumer name read a feed.
	Cursor(name string) (uint64, error)
	// Events walks the outbox after sequence number after, oldest first.
	Events(after uint64, fn func(outbox.Event) error) error
	// Outgoing walks the queued messages, oldest first.
	Outgoing(fn func(Message) error) error
	// Sends returns the times of member's recent marketing messages.
	Sends(member uint64) ([]time.Time, error)
	// Tags returns member's tags.
	Tags(member uint64) ([]string, error)
	// Answers walks campaign's survey answers, by member.
	Answers(campaign string, fn func(Answer) error) error
	// Answer returns member's latest answer to campaign's survey.
	Answer(campaign string, member uint64) (Answer, bool, error)
	// Coupon returns the coupon with code.
	Coupon(code string) (Coupon, bool, error)
	// HookState returns an outbound webhook's state.
	HookState(id string) (HookState, error)
	// Segment returns the RFM segment member was in at the last tracking.
	Segment(member uint64) (string, bool, error)
	// Secret returns the community's coupon secret (nil before the first).
	Secret() ([]byte, error)
}

// Tx reads and writes campaign data inside a read-write transaction.
type Tx interface {
	ReadTx
	PutVersion(id string, v Version) error
	PutState(id string, s State) error
	PutStats(id string, s Stats) error
	// PutRun stores r, keeping the due index in step with it.
	PutRun(r Run) error
	// DeleteRun forgets member's run of campaign and its due entry.
	DeleteRun(campaign string, member uint64) error
	PutCursor(name string, seq uint64) error
	// Publish appends an event to the outbox (see package outbox).
	Publish(ev outbox.Event) (added bool, err error)
	// ScrubEvents drops the properties of member's outbox events.
	ScrubEvents(member uint64) error
	// TrimEvents deletes outbox events up to upTo that happened before before.
	TrimEvents(upTo uint64, before time.Time) (int, error)
	// PutOutgoing queues m, numbering it, and returns its number.
	PutOutgoing(m Message) (uint64, error)
	// UpdateOutgoing replaces the queued message with m.Seq.
	UpdateOutgoing(m Message) error
	DeleteOutgoing(seq uint64) error
	PutSends(member uint64, times []time.Time) error
	PutTags(member uint64, tags []string) error
	PutAnswer(a Answer) error
	DeleteAnswer(campaign string, member uint64) error
	PutCoupon(c Coupon) error
	DeleteCoupon(code string) error
	PutHookState(id string, s HookState) error
	PutSegment(member uint64, segment string) error
	PutSecret(secret []byte) error
}
