package support

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/loyalbot/loyalbot/internal/outbox"
)

// ErrNoTicket is returned for an unknown ticket.
var ErrNoTicket = errors.New("support: no such ticket")

// ErrTicketFull is returned for adding to a ticket that has maxTurns
// lines already: the member waits for the team.
var ErrTicketFull = errors.New("support: the ticket is full")

// maxTurns bounds the lines of one ticket (a member flooding it would
// otherwise store megabytes).
const maxTurns = 200

// ErrClosed is returned for closing a ticket that is closed already.
var ErrClosed = errors.New("support: ticket already closed")

// Turn is one line of a conversation.
type Turn struct {
	From  string    `json:"from"` // "member", "bot" or a manager's name
	Text  string    `json:"text"`
	At    time.Time `json:"at"`
	Staff bool      `json:"staff,omitempty"` // a manager wrote it
}

// Ticket is a conversation handed to humans.
type Ticket struct {
	ID       uint64    `json:"id"`
	Member   uint64    `json:"member"`
	Name     string    `json:"name"`
	Platform string    `json:"platform"` // where the member asked: replies go back there
	UserID   string    `json:"user_id"`
	Open     bool      `json:"open"`
	Turns    []Turn    `json:"turns"`
	Created  time.Time `json:"created"`
	Updated  time.Time `json:"updated"`
}

// Tickets stores hand-off tickets in a TicketStore. It is safe for
// concurrent use.
type Tickets struct {
	store TicketStore
	now   func() time.Time
}

// NewTickets returns the tickets kept in store, stamped with now (time.Now
// when nil). It does no I/O: the store is opened by its package
// (community/support/bolt's Open).
func NewTickets(store TicketStore, now func() time.Time) *Tickets {
	if now == nil {
		now = time.Now
	}
	return &Tickets{store: store, now: now}
}

// Open opens a ticket for the member with the given turns, or adds them to
// the member's open ticket. isNew says which. It returns ErrTicketFull,
// adding nothing, past maxTurns lines.
func (t *Tickets) Open(ctx context.Context, tk Ticket) (got Ticket, isNew bool, err error) {
	if err := ctx.Err(); err != nil {
		return Ticket{}, false, err
	}
	now := t.now()
	err = t.store.Update(ctx, func(tx TicketTx) error {
		open, ok, err := openFor(tx, tk.Member)
		if err != nil {
			return err
		}
		if ok {
			if len(open.Turns)+len(tk.Turns) > maxTurns {
				return fmt.Errorf("ticket #%d: %w", open.ID, ErrTicketFull)
			}
			open.Turns = append(open.Turns, tk.Turns...)
			open.Updated = now
			got = open
			return tx.PutTicket(got)
		}
		id, err := tx.NextTicketID()
		if err != nil {
			return err
		}
		tk.ID, tk.Open, tk.Created, tk.Updated = id, true, now, now
		got, isNew = tk, true
		return tx.PutTicket(got)
	})
	return got, isNew, err
}

// read runs fn in a read-only snapshot of the store and returns what it
// read.
func read[T any](ctx context.Context, t *Tickets, fn func(TicketReadTx) (T, error)) (T, error) {
	var out T
	err := t.store.View(ctx, func(tx TicketReadTx) error {
		var err error
		out, err = fn(tx)
		return err
	})
	return out, err
}

// Get returns the ticket with id; ok is false when there is none.
func (t *Tickets) Get(ctx context.Context, id uint64) (tk Ticket, ok bool, err error) {
	err = t.store.View(ctx, func(tx TicketReadTx) error {
		tk, ok, err = tx.Ticket(id)
		return err
	})
	return tk, ok, err
}

// OpenFor returns the member's open ticket, if any.
func (t *Tickets) OpenFor(ctx context.Context, member uint64) (Ticket, bool, error) {
	var tk Ticket
	var ok bool
	err := t.store.View(ctx, func(tx TicketReadTx) error {
		var err error
		tk, ok, err = openFor(tx, member)
		return err
	})
	return tk, ok, err
}

// List returns open tickets (or all), oldest first, up to limit.
func (t *Tickets) List(ctx context.Context, openOnly bool, limit int) ([]Ticket, error) {
	return read(ctx, t, func(tx TicketReadTx) ([]Ticket, error) { return tx.Tickets(openOnly, limit) })
}

// Reply adds a manager's answer to a ticket and returns it, so the caller
// can deliver the text. It returns ErrNoTicket for an unknown ticket.
func (t *Tickets) Reply(ctx context.Context, id uint64, from, text string) (Ticket, error) {
	return t.update(ctx, id, func(_ TicketTx, tk *Ticket) error {
		tk.Turns = append(tk.Turns, Turn{From: from, Text: text, At: t.now(), Staff: true})
		return nil
	})
}

// Close closes a ticket and, when a manager answered it, proposes an FAQ
// entry from it in the same transaction (proposed is false when there is
// none). It returns ErrClosed, changing nothing, for a ticket closed
// before, and ErrNoTicket for an unknown ticket.
func (t *Tickets) Close(ctx context.Context, id uint64) (tk Ticket, s Suggestion, proposed bool, err error) {
	tk, err = t.update(ctx, id, func(tx TicketTx, tk *Ticket) error {
		if !tk.Open {
			return ErrClosed
		}
		tk.Open = false
		if err := tx.Publish(outbox.Event{Key: "ticket-closed:" + strconv.FormatUint(tk.ID, 10), Type: outbox.TicketClosed, Member: tk.Member,
			At: t.now(), Props: map[string]string{"ticket": strconv.FormatUint(tk.ID, 10)}}); err != nil {
			return err
		}
		if s, proposed = propose(*tk); !proposed {
			return nil
		}
		if s.ID, err = tx.NextSuggestionID(); err != nil {
			return err
		}
		s.Created = t.now()
		return tx.PutSuggestion(s)
	})
	if err != nil {
		return tk, Suggestion{}, false, err
	}
	return tk, s, proposed, nil
}

// Suggestions returns up to limit FAQ suggestions with status (any when
// empty), oldest first.
func (t *Tickets) Suggestions(ctx context.Context, status string, limit int) ([]Suggestion, error) {
	return read(ctx, t, func(tx TicketReadTx) ([]Suggestion, error) { return tx.Suggestions(status, limit) })
}

// maxLearned bounds the accepted suggestions merged into the FAQ.
const maxLearned = 100_000

// Learned returns the FAQ entries of the accepted suggestions.
func (t *Tickets) Learned(ctx context.Context) ([]Entry, error) {
	ss, err := t.Suggestions(ctx, SuggestionAccepted, maxLearned)
	if err != nil {
		return nil, err
	}
	out := make([]Entry, len(ss))
	for i, s := range ss {
		out[i] = s.Entry()
	}
	return out, nil
}

// suggestion returns the suggestion with id, or an error wrapping
// ErrNoSuggestion.
func suggestion(tx TicketReadTx, id uint64) (Suggestion, error) {
	s, ok, err := tx.Suggestion(id)
	if err == nil && !ok {
		err = fmt.Errorf("suggestion %d: %w", id, ErrNoSuggestion)
	}
	return s, err
}

// Rephrase replaces a suggestion's questions with a manager's wording
// (then it stays when the member who asked erases their data). It
// returns ErrNoSuggestion for an unknown id and ErrNoQuestion for a
// question that says nothing.
func (t *Tickets) Rephrase(ctx context.Context, id uint64, question string) (Suggestion, error) {
	return t.editSuggestion(ctx, id, func(s *Suggestion) error {
		question = strings.TrimSpace(invisible.ReplaceAllString(question, ""))
		if !meaningful(question) {
			return fmt.Errorf("suggestion %d: %w", id, ErrNoQuestion)
		}
		s.Questions, s.Rephrased = []string{question}, true
		return nil
	})
}

// Decide accepts a suggestion into the FAQ, or rejects it (which also
// retires an accepted one), recording the manager who did. A non-empty
// answer replaces the proposed one on acceptance. It returns
// ErrNoSuggestion for an unknown id, ErrDecided when the suggestion has
// that status already, ErrRedacted for accepting an answer that still
// has "***" in it, and ErrNoAnswer for one that says nothing (a word, or
// only invisible characters); each changes nothing.
func (t *Tickets) Decide(ctx context.Context, id uint64, accept bool, answer string, by uint64) (Suggestion, error) {
	return t.editSuggestion(ctx, id, func(s *Suggestion) error {
		status := SuggestionRejected
		if accept {
			status = SuggestionAccepted
		}
		if s.Status == status {
			return fmt.Errorf("suggestion %d is %s: %w", id, s.Status, ErrDecided)
		}
		if answer = strings.TrimSpace(invisible.ReplaceAllString(answer, "")); accept && answer != "" {
			s.Answer = answer
		}
		if accept && !meaningful(s.Answer) {
			return fmt.Errorf("suggestion %d: %w", id, ErrNoAnswer)
		}
		if accept && Redacted(s.Answer) {
			return fmt.Errorf("suggestion %d: %w", id, ErrRedacted)
		}
		s.Status, s.Decided, s.DecidedBy = status, t.now(), by
		return nil
	})
}

// editSuggestion changes the suggestion with id by fn in one transaction:
// fn's error changes nothing and is returned with the suggestion as it
// stood (ErrNoSuggestion for an unknown id).
func (t *Tickets) editSuggestion(ctx context.Context, id uint64, fn func(*Suggestion) error) (Suggestion, error) {
	if err := ctx.Err(); err != nil {
		return Suggestion{}, err
	}
	var s Suggestion
	err := t.store.Update(ctx, func(tx TicketTx) error {
		var err error
		if s, err = suggestion(tx, id); err != nil {
			return err
		}
		edited := s
		if err := fn(&edited); err != nil {
			return err
		}
		s = edited
		return tx.PutSuggestion(s)
	})
	return s, err
}

func (t *Tickets) update(ctx context.Context, id uint64, fn func(TicketTx, *Ticket) error) (Ticket, error) {
	if err := ctx.Err(); err != nil {
		return Ticket{}, err
	}
	var tk Ticket
	err := t.store.Update(ctx, func(tx TicketTx) error {
		var ok bool
		var err error
		if tk, ok, err = tx.Ticket(id); err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("ticket #%d: %w", id, ErrNoTicket)
		}
		if err := fn(tx, &tk); err != nil {
			return err
		}
		tk.Updated = t.now()
		return tx.PutTicket(tk)
	})
	return tk, err
}

// Of returns every ticket of member, oldest first.
func (t *Tickets) Of(ctx context.Context, member uint64) ([]Ticket, error) {
	return read(ctx, t, func(tx TicketReadTx) ([]Ticket, error) { return tx.TicketsOf(member) })
}

// Erase deletes every ticket of member, with the conversations in them,
// and the FAQ suggestions from those tickets whose question is still the
// member's words (accepted ones too: they leave the FAQ); one a manager
// rephrased stays, as the brand's text.
func (t *Tickets) Erase(ctx context.Context, member uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return t.store.Update(ctx, func(tx TicketTx) error {
		tks, err := tx.TicketsOf(member)
		if err != nil {
			return err
		}
		theirs := map[uint64]bool{}
		for _, tk := range tks {
			theirs[tk.ID] = true
			if err := tx.DeleteTicket(tk.ID); err != nil {
				return err
			}
		}
		if len(theirs) == 0 {
			return nil
		}
		all, err := tx.Suggestions("", maxLearned)
		if err != nil {
			return err
		}
		for _, s := range all {
			if theirs[s.Ticket] && !s.Rephrased {
				if err := tx.DeleteSuggestion(s.ID); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// openFor returns the member's open ticket. Should there be several (a
// merge of two accounts that each had one), it is the newest.
func openFor(tx TicketReadTx, member uint64) (Ticket, bool, error) {
	tks, err := tx.TicketsOf(member)
	if err != nil {
		return Ticket{}, false, err
	}
	for i := len(tks) - 1; i >= 0; i-- {
		if tks[i].Open {
			return tks[i], true, nil
		}
	}
	return Ticket{}, false, nil
}

// Merge moves member from's tickets to member to, when /link folds two
// chat accounts into one. Replies still go to the account each ticket was
// opened from.
func (t *Tickets) Merge(ctx context.Context, from, to uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return t.store.Update(ctx, func(tx TicketTx) error {
		tks, err := tx.TicketsOf(from)
		if err != nil {
			return err
		}
		for _, tk := range tks {
			tk.Member = to
			if err := tx.PutTicket(tk); err != nil {
				return err
			}
		}
		return nil
	})
}
