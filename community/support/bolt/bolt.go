// Package bolt keeps customer-service tickets and the FAQ's embeddings in
// bbolt: it implements support.TicketStore and support.VectorStore.
//
// # Layout
//
// Records are JSON under the buckets the support package always used, so
// existing databases open unchanged:
//
//	support.tickets            id → Ticket
//	support.tickets_by_member  member id, ticket id → nil
//	support.open_tickets       ticket id → nil while the ticket is open
//	support.faq_suggestions    id → Suggestion (FAQ entries proposed from tickets)
//	support.embeddings         SHA-256 of model and text → float32s, little-endian
//
// The two indexes are kept in the same transaction as the ticket. Open
// builds them for a database written before they existed.
package bolt

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/loyalbot/loyalbot/community/support"
	boltrec "github.com/loyalbot/loyalbot/internal/bolt"
	"github.com/loyalbot/loyalbot/internal/outbox"
	bbolt "go.etcd.io/bbolt"
)

var (
	bucketTickets  = []byte("support.tickets")           // id → Ticket
	bucketByMember = []byte("support.tickets_by_member") // member id, ticket id → nil
	bucketOpen     = []byte("support.open_tickets")      // ticket id → nil while open
	bucketSuggest  = []byte("support.faq_suggestions")   // id → Suggestion
	bucketVectors  = []byte("support.embeddings")        // support.VectorKey → float32s
)

// Store is a support.TicketStore on a bbolt database. It is safe for
// concurrent use.
type Store struct {
	db *bbolt.DB
}

// Open creates the ticket buckets in db and, when the indexes are missing
// (a database written before them), builds them from the tickets, all in
// one transaction: opening again changes nothing. It returns an error
// wrapping the decode error when a stored ticket does not decode.
func Open(db *bbolt.DB) (*Store, error) {
	err := db.Update(func(tx *bbolt.Tx) error {
		for _, name := range [][]byte{bucketSuggest, bucketVectors} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		b, err := tx.CreateBucketIfNotExists(bucketTickets)
		if err != nil {
			return err
		}
		if tx.Bucket(bucketByMember) != nil && tx.Bucket(bucketOpen) != nil {
			return nil
		}
		return reindex(tx, b)
	})
	if err != nil {
		return nil, fmt.Errorf("open tickets: %w", err)
	}
	return &Store{db: db}, nil
}

// OpenReadOnly returns the store on a database opened read-only, for
// reading (a database written before a bucket existed reads as empty
// there); it creates nothing, so only View may be used.
func OpenReadOnly(db *bbolt.DB) *Store { return &Store{db: db} }

// reindex builds both indexes afresh from the tickets in b.
func reindex(tx *bbolt.Tx, b *bbolt.Bucket) error {
	for _, name := range [][]byte{bucketByMember, bucketOpen} {
		if err := tx.DeleteBucket(name); err != nil && !errors.Is(err, bbolt.ErrBucketNotFound) {
			return err
		}
		if _, err := tx.CreateBucket(name); err != nil {
			return err
		}
	}
	t := newTxn(tx)
	return b.ForEach(func(k, v []byte) error {
		tk, err := decode(k, v)
		if err != nil {
			return err
		}
		return t.index(tk)
	})
}

// Update runs fn in one bbolt read-write transaction.
func (s *Store) Update(ctx context.Context, fn func(tx support.TicketTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Update(func(tx *bbolt.Tx) error { return fn(newTxn(tx)) })
}

// View runs fn in one bbolt read-only transaction.
func (s *Store) View(ctx context.Context, fn func(tx support.TicketReadTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(func(tx *bbolt.Tx) error { return fn(newTxn(tx)) })
}

// txn is a support.TicketTx on the buckets of a bbolt transaction; in a
// read-only transaction only its read methods are called.
type txn struct {
	tx                                   *bbolt.Tx
	tickets, byMember, open, suggestions *bbolt.Bucket
}

func newTxn(tx *bbolt.Tx) *txn {
	return &txn{tx: tx, tickets: tx.Bucket(bucketTickets), byMember: tx.Bucket(bucketByMember), open: tx.Bucket(bucketOpen),
		suggestions: tx.Bucket(bucketSuggest)}
}

func (t *txn) Publish(ev outbox.Event) error {
	_, _, err := boltrec.Publish(t.tx, ev)
	return err
}

func u64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func pair(a, b uint64) []byte { return binary.BigEndian.AppendUint64(u64(a), b) }

func decode(k, v []byte) (support.Ticket, error) {
	var tk support.Ticket
	if err := json.Unmarshal(v, &tk); err != nil {
		return support.Ticket{}, fmt.Errorf("decode ticket %x: %w", k, err)
	}
	return tk, nil
}

func (t *txn) Ticket(id uint64) (support.Ticket, bool, error) {
	k := u64(id)
	v := t.tickets.Get(k)
	if v == nil {
		return support.Ticket{}, false, nil
	}
	tk, err := decode(k, v)
	return tk, err == nil, err
}

func (t *txn) TicketsOf(member uint64) ([]support.Ticket, error) {
	var out []support.Ticket
	prefix := u64(member)
	c := t.byMember.Cursor()
	for k, _ := c.Seek(prefix); len(k) == 16 && binary.BigEndian.Uint64(k) == member; k, _ = c.Next() {
		id := binary.BigEndian.Uint64(k[8:])
		tk, ok, err := t.Ticket(id)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("member %d's index names missing ticket #%d", member, id)
		}
		out = append(out, tk)
	}
	return out, nil
}

func (t *txn) Tickets(openOnly bool, limit int) ([]support.Ticket, error) {
	var out []support.Ticket
	if !openOnly {
		c := t.tickets.Cursor()
		for k, v := c.First(); k != nil && len(out) < limit; k, v = c.Next() {
			tk, err := decode(k, v)
			if err != nil {
				return nil, err
			}
			out = append(out, tk)
		}
		return out, nil
	}
	c := t.open.Cursor()
	for k, _ := c.First(); k != nil && len(out) < limit; k, _ = c.Next() {
		id := binary.BigEndian.Uint64(k)
		tk, ok, err := t.Ticket(id)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fmt.Errorf("open-ticket index names missing ticket #%d", id)
		}
		out = append(out, tk)
	}
	return out, nil
}

func (t *txn) PutTicket(tk support.Ticket) error {
	old, found, err := t.Ticket(tk.ID)
	if err != nil {
		return err
	}
	if found {
		if err := t.unindex(old); err != nil {
			return err
		}
	}
	v, err := json.Marshal(tk)
	if err != nil {
		return fmt.Errorf("encode ticket #%d: %w", tk.ID, err)
	}
	if err := t.tickets.Put(u64(tk.ID), v); err != nil {
		return err
	}
	return t.index(tk)
}

func (t *txn) DeleteTicket(id uint64) error {
	old, found, err := t.Ticket(id)
	if err != nil || !found {
		return err
	}
	if err := t.unindex(old); err != nil {
		return err
	}
	return t.tickets.Delete(u64(id))
}

func (t *txn) NextTicketID() (uint64, error) { return t.tickets.NextSequence() }

func (t *txn) index(tk support.Ticket) error {
	if err := t.byMember.Put(pair(tk.Member, tk.ID), nil); err != nil {
		return err
	}
	if tk.Open {
		return t.open.Put(u64(tk.ID), nil)
	}
	return nil
}

func (t *txn) unindex(tk support.Ticket) error {
	if err := t.byMember.Delete(pair(tk.Member, tk.ID)); err != nil {
		return err
	}
	return t.open.Delete(u64(tk.ID))
}

func (t *txn) Suggestion(id uint64) (support.Suggestion, bool, error) {
	if t.suggestions == nil { // read-only, before the bucket existed
		return support.Suggestion{}, false, nil
	}
	v := t.suggestions.Get(u64(id))
	if v == nil {
		return support.Suggestion{}, false, nil
	}
	var s support.Suggestion
	if err := json.Unmarshal(v, &s); err != nil {
		return support.Suggestion{}, false, fmt.Errorf("decode FAQ suggestion %d: %w", id, err)
	}
	return s, true, nil
}

func (t *txn) Suggestions(status string, limit int) ([]support.Suggestion, error) {
	var out []support.Suggestion
	if t.suggestions == nil { // read-only, before the bucket existed
		return nil, nil
	}
	c := t.suggestions.Cursor()
	for k, v := c.First(); k != nil && len(out) < limit; k, v = c.Next() {
		var s support.Suggestion
		if err := json.Unmarshal(v, &s); err != nil {
			return nil, fmt.Errorf("decode FAQ suggestion %x: %w", k, err)
		}
		if status == "" || s.Status == status {
			out = append(out, s)
		}
	}
	return out, nil
}

func (t *txn) PutSuggestion(s support.Suggestion) error {
	v, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encode FAQ suggestion %d: %w", s.ID, err)
	}
	return t.suggestions.Put(u64(s.ID), v)
}

func (t *txn) DeleteSuggestion(id uint64) error { return t.suggestions.Delete(u64(id)) }

func (t *txn) NextSuggestionID() (uint64, error) { return t.suggestions.NextSequence() }

// Vectors returns the stored vectors of keys.
func (s *Store) Vectors(ctx context.Context, keys []support.VectorKey) (map[support.VectorKey][]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := map[support.VectorKey][]float32{}
	err := s.db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketVectors)
		for _, k := range keys {
			v := b.Get(k[:])
			if v == nil {
				continue
			}
			if len(v)%4 != 0 {
				return fmt.Errorf("embedding %x: %d bytes is not a whole number of float32s", k[:4], len(v))
			}
			vec := make([]float32, len(v)/4)
			for i := range vec {
				vec[i] = math.Float32frombits(binary.LittleEndian.Uint32(v[4*i:]))
			}
			out[k] = vec
		}
		return nil
	})
	return out, err
}

// PutVectors stores vectors in one transaction.
func (s *Store) PutVectors(ctx context.Context, vs map[support.VectorKey][]float32) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketVectors)
		for k, vec := range vs {
			v := make([]byte, 0, 4*len(vec))
			for _, x := range vec {
				v = binary.LittleEndian.AppendUint32(v, math.Float32bits(x))
			}
			if err := b.Put(k[:], v); err != nil {
				return err
			}
		}
		return nil
	})
}

// Interface guards.
var (
	_ support.VectorStore = (*Store)(nil)
	_ support.TicketStore = (*Store)(nil)
	_ support.TicketTx    = (*txn)(nil)
)
