// Package bolt holds what every domain's bbolt store shares: ids and JSON
// records in buckets, and walking a bucket in either order. The stores
// themselves are <domain>/bolt; they import this as boltrec.
package bolt

import (
	"encoding/binary"
	"encoding/json"
	"fmt"

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
