// Package bolt holds what every domain's bbolt store shares: ids and JSON
// records in buckets, and walking a bucket in either order. The stores
// themselves are <domain>/bolt; they import this as boltrec.
package bolt

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/loyalbot/loyalbot/internal/outbox"
	"go.etcd.io/bbolt"
)

// ID decodes a stored id; ok is false when v is nil (no such key).
func ID(v []byte) (id uint64, ok bool, err error) {
	switch {
	case v == nil:
		return 0, false, nil
	case len(v) != 8:
		return 0, false, fmt.Errorf("stored id %x is not 8 bytes", v)
	}
	return binary.BigEndian.Uint64(v), true, nil
}

// GetJSON decodes a stored record into into; ok is false when v is nil
// (no such key).
func GetJSON(v []byte, into any) (ok bool, err error) {
	if v == nil {
		return false, nil
	}
	return true, json.Unmarshal(v, into)
}

// PutJSON stores v as JSON under k.
func PutJSON(b *bbolt.Bucket, k []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(k, data)
}

// Walk calls fn with each key and value of b, in key order or, with
// newestFirst, in reverse; fn's error stops the walk and is returned.
func Walk(b *bbolt.Bucket, newestFirst bool, fn func(k, v []byte) error) error {
	c := b.Cursor()
	first, next := c.First, c.Next
	if newestFirst {
		first, next = c.Last, c.Prev
	}
	for k, v := first(); k != nil; k, v = next() {
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

// The outbox every bbolt store appends domain events to (see package
// outbox): events by sequence number, and sequence numbers by key.
var (
	bucketOutbox     = []byte("outbox.events")
	bucketOutboxKeys = []byte("outbox.keys")
)

// CreateOutbox creates the outbox's buckets when they are missing.
func CreateOutbox(tx *bbolt.Tx) error {
	for _, b := range [][]byte{bucketOutbox, bucketOutboxKeys} {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	return nil
}

// Publish appends ev to the outbox in tx, numbering it, and returns its
// sequence number. An event whose key is already there is not appended
// again: Publish returns the first one's number and false.
func Publish(tx *bbolt.Tx, ev outbox.Event) (seq uint64, added bool, err error) {
	if err := CreateOutbox(tx); err != nil {
		return 0, false, err
	}
	keys, events := tx.Bucket(bucketOutboxKeys), tx.Bucket(bucketOutbox)
	if ev.Key == "" {
		return 0, false, fmt.Errorf("outbox: event %s has no key", ev.Type)
	}
	if seq, ok, err := ID(keys.Get([]byte(ev.Key))); err != nil || ok {
		return seq, false, err
	}
	if seq, err = events.NextSequence(); err != nil {
		return 0, false, err
	}
	ev.Seq = seq
	if err := PutJSON(events, Key(seq), ev); err != nil {
		return 0, false, err
	}
	return seq, true, keys.Put([]byte(ev.Key), Key(seq))
}

// Events calls fn with the outbox's events after sequence number after,
// oldest first, until fn returns an error, which is returned.
func Events(tx *bbolt.Tx, after uint64, fn func(outbox.Event) error) error {
	b := tx.Bucket(bucketOutbox)
	if b == nil {
		return nil
	}
	c := b.Cursor()
	for k, v := c.Seek(Key(after + 1)); k != nil; k, v = c.Next() {
		var ev outbox.Event
		if err := json.Unmarshal(v, &ev); err != nil {
			return fmt.Errorf("outbox event %x: %w", k, err)
		}
		if err := fn(ev); err != nil {
			return err
		}
	}
	return nil
}

// ScrubEvents drops the properties of member's outbox events (when they
// erase their data); the events stay, so consumers' counts do not change.
// It walks the whole outbox, which TrimEvents keeps short.
func ScrubEvents(tx *bbolt.Tx, member uint64) error {
	b := tx.Bucket(bucketOutbox)
	if b == nil {
		return nil
	}
	type change struct {
		k  []byte
		ev outbox.Event
	}
	var changes []change
	err := b.ForEach(func(k, v []byte) error {
		var ev outbox.Event
		if err := json.Unmarshal(v, &ev); err != nil {
			return err
		}
		if ev.Member == member && ev.Props != nil {
			ev.Props = nil
			changes = append(changes, change{append([]byte(nil), k...), ev})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, c := range changes {
		if err := PutJSON(b, c.k, c.ev); err != nil {
			return err
		}
	}
	return nil
}

// TrimEvents deletes the outbox events up to sequence number upTo that
// happened before before, and returns how many went. Their keys stay, so a
// redelivered event is still recognised.
func TrimEvents(tx *bbolt.Tx, upTo uint64, before time.Time) (int, error) {
	b := tx.Bucket(bucketOutbox)
	if b == nil {
		return 0, nil
	}
	var gone [][]byte
	c := b.Cursor()
	for k, v := c.First(); k != nil && binary.BigEndian.Uint64(k) <= upTo; k, v = c.Next() {
		var ev outbox.Event
		if err := json.Unmarshal(v, &ev); err != nil {
			return 0, err
		}
		if !ev.At.Before(before) {
			break
		}
		gone = append(gone, append([]byte(nil), k...))
	}
	for _, k := range gone {
		if err := b.Delete(k); err != nil {
			return 0, err
		}
	}
	return len(gone), nil
}

// Key encodes an id as an 8-byte big-endian key, so keys sort as ids do.
func Key(id uint64) []byte { return binary.BigEndian.AppendUint64(nil, id) }
