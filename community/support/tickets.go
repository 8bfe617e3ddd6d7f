package support

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

var bucketTickets = []byte("support.tickets") // id → Ticket

// ErrNoTicket is returned for an unknown ticket.
var ErrNoTicket = errors.New("support: no such ticket")

// ErrClosed is returned for closing a ticket that is closed already.
var ErrClosed = errors.New("support: ticket already closed")

// Turn is one line of a conversation.
type Turn struct {
	From string    `json:"from"` // "member", "bot" or a manager's name
	Text string    `json:"text"`
	At   time.Time `json:"at"`
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

// Tickets stores hand-off tickets. It is safe for concurrent use.
type Tickets struct {
	db  *bolt.DB
	now func() time.Time
}

// NewTickets creates the ticket bucket in db.
func NewTickets(db *bolt.DB, now func() time.Time) (*Tickets, error) {
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketTickets)
		return err
	}); err != nil {
		return nil, fmt.Errorf("open tickets: %w", err)
	}
	return &Tickets{db: db, now: now}, nil
}

// Open opens a ticket for the member with the given turns, or adds them to
// the member's open ticket. isNew says which.
func (t *Tickets) Open(ctx context.Context, tk Ticket) (got Ticket, isNew bool, err error) {
	if err := ctx.Err(); err != nil {
		return Ticket{}, false, err
	}
	now := t.now()
	err = t.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTickets)
		if open, ok := openFor(b, tk.Member); ok {
			open.Turns = append(open.Turns, tk.Turns...)
			open.Updated = now
			got = open
			return put(b, got)
		}
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		tk.ID, tk.Open, tk.Created, tk.Updated = id, true, now, now
		got, isNew = tk, true
		return put(b, got)
	})
	return got, isNew, err
}

// OpenFor returns the member's open ticket, if any.
func (t *Tickets) OpenFor(ctx context.Context, member uint64) (Ticket, bool, error) {
	var tk Ticket
	var ok bool
	err := t.db.View(func(tx *bolt.Tx) error {
		tk, ok = openFor(tx.Bucket(bucketTickets), member)
		return nil
	})
	return tk, ok, err
}

// List returns open tickets (or all), oldest first, up to limit.
func (t *Tickets) List(ctx context.Context, openOnly bool, limit int) ([]Ticket, error) {
	var out []Ticket
	err := t.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketTickets).ForEach(func(_, v []byte) error {
			var tk Ticket
			if err := json.Unmarshal(v, &tk); err != nil {
				return err
			}
			if (!openOnly || tk.Open) && len(out) < limit {
				out = append(out, tk)
			}
			return nil
		})
	})
	return out, err
}

// Reply adds a manager's answer to a ticket and returns it, so the caller
// can deliver the text.
func (t *Tickets) Reply(ctx context.Context, id uint64, from, text string) (Ticket, error) {
	return t.update(ctx, id, func(tk *Ticket) error {
		tk.Turns = append(tk.Turns, Turn{From: from, Text: text, At: t.now()})
		return nil
	})
}

// Close closes a ticket. It returns ErrClosed, changing nothing, for a
// ticket closed before.
func (t *Tickets) Close(ctx context.Context, id uint64) (Ticket, error) {
	return t.update(ctx, id, func(tk *Ticket) error {
		if !tk.Open {
			return ErrClosed
		}
		tk.Open = false
		return nil
	})
}

func (t *Tickets) update(ctx context.Context, id uint64, fn func(*Ticket) error) (Ticket, error) {
	if err := ctx.Err(); err != nil {
		return Ticket{}, err
	}
	var tk Ticket
	err := t.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTickets)
		v := b.Get(binary.BigEndian.AppendUint64(nil, id))
		if v == nil {
			return fmt.Errorf("ticket #%d: %w", id, ErrNoTicket)
		}
		if err := json.Unmarshal(v, &tk); err != nil {
			return err
		}
		if err := fn(&tk); err != nil {
			return err
		}
		tk.Updated = t.now()
		return put(b, tk)
	})
	return tk, err
}

// Of returns every ticket of member, oldest first.
func (t *Tickets) Of(ctx context.Context, member uint64) ([]Ticket, error) {
	var out []Ticket
	err := t.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketTickets).ForEach(func(_, v []byte) error {
			var tk Ticket
			if err := json.Unmarshal(v, &tk); err != nil {
				return err
			}
			if tk.Member == member {
				out = append(out, tk)
			}
			return nil
		})
	})
	return out, err
}

// Erase deletes every ticket of member, with the conversations in them.
func (t *Tickets) Erase(ctx context.Context, member uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return t.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTickets)
		var keys [][]byte
		if err := b.ForEach(func(k, v []byte) error {
			var tk Ticket
			if json.Unmarshal(v, &tk) == nil && tk.Member == member {
				keys = append(keys, append([]byte(nil), k...))
			}
			return nil
		}); err != nil {
			return err
		}
		for _, k := range keys {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

func openFor(b *bolt.Bucket, member uint64) (Ticket, bool) {
	var found Ticket
	var ok bool
	_ = b.ForEach(func(_, v []byte) error {
		var tk Ticket
		if json.Unmarshal(v, &tk) == nil && tk.Member == member && tk.Open {
			found, ok = tk, true
		}
		return nil
	})
	return found, ok
}

func put(b *bolt.Bucket, tk Ticket) error {
	v, err := json.Marshal(tk)
	if err != nil {
		return err
	}
	return b.Put(binary.BigEndian.AppendUint64(nil, tk.ID), v)
}

// Merge moves member from's tickets to member to, when /link folds two
// chat accounts into one. Replies still go to the account each ticket was
// opened from.
func (t *Tickets) Merge(ctx context.Context, from, to uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return t.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTickets)
		var moved []Ticket
		if err := b.ForEach(func(_, v []byte) error {
			var tk Ticket
			if json.Unmarshal(v, &tk) == nil && tk.Member == from {
				tk.Member = to
				moved = append(moved, tk)
			}
			return nil
		}); err != nil {
			return err
		}
		for _, tk := range moved {
			if err := put(b, tk); err != nil {
				return err
			}
		}
		return nil
	})
}
