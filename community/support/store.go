package support

import (
	"context"

	"github.com/loyalbot/loyalbot/internal/outbox"
)

// TicketStore is where Tickets keeps hand-off tickets.
// community/support/bolt implements it on bbolt. An implementation is safe
// for concurrent use.
type TicketStore interface {
	// Update runs fn in one read-write transaction: all of fn's writes
	// happen, or none (fn's error rolls back and is returned). fn is called
	// once. It returns ctx's error, starting nothing, when ctx is done.
	Update(ctx context.Context, fn func(tx TicketTx) error) error
	// View runs fn in a read-only, consistent snapshot. It returns ctx's
	// error, starting nothing, when ctx is done.
	View(ctx context.Context, fn func(tx TicketReadTx) error) error
}

// TicketReadTx reads tickets inside a transaction. It is valid only until
// the function it was given to returns.
type TicketReadTx interface {
	// Ticket returns the ticket with id; ok is false when there is none.
	Ticket(id uint64) (tk Ticket, ok bool, err error)
	// TicketsOf returns every ticket of member, oldest (lowest id) first,
	// from an index by member rather than a scan of all tickets.
	TicketsOf(member uint64) ([]Ticket, error)
	// Tickets returns up to limit tickets, oldest first: only the open ones
	// when openOnly is set (from an index of open tickets).
	Tickets(openOnly bool, limit int) ([]Ticket, error)
	// Suggestion returns the FAQ suggestion with id; ok is false when
	// there is none.
	Suggestion(id uint64) (s Suggestion, ok bool, err error)
	// Suggestions returns up to limit FAQ suggestions with status (every
	// one when status is empty), oldest first.
	Suggestions(status string, limit int) ([]Suggestion, error)
}

// TicketTx reads and writes tickets inside a read-write transaction.
type TicketTx interface {
	TicketReadTx
	// PutTicket stores tk under tk.ID, replacing what was there, and keeps
	// the indexes by member and of open tickets in step with it.
	PutTicket(tk Ticket) error
	// DeleteTicket deletes the ticket with id and its index entries. It
	// does nothing for an unknown id.
	DeleteTicket(id uint64) error
	// NextTicketID returns a ticket id never returned before.
	NextTicketID() (uint64, error)
	// Publish appends a domain event to the outbox, in this transaction.
	Publish(ev outbox.Event) error
	// PutSuggestion stores s under s.ID, replacing what was there.
	PutSuggestion(s Suggestion) error
	// DeleteSuggestion deletes the suggestion with id; nothing for an
	// unknown id.
	DeleteSuggestion(id uint64) error
	// NextSuggestionID returns a suggestion id never returned before.
	NextSuggestionID() (uint64, error)
}
