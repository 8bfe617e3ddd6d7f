package bolt

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/loyalbot/loyalbot/loyalty"
)

// ErrCorrupt is wrapped by the errors returned for a stored record that
// cannot be decoded, or indexes that contradict their records.
var ErrCorrupt = errors.New("loyalty/bolt: stored record is corrupt")

// u64 encodes v as an 8-byte big-endian key so cursors iterate in order.
func u64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

func getU64(b []byte) uint64 {
	if len(b) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

// acctKey builds "<account>\x00<parts...>", the key layout of per-account indexes.
func acctKey(a loyalty.AccountID, parts ...[]byte) []byte {
	n := len(a) + 1
	for _, p := range parts {
		n += len(p)
	}
	b := make([]byte, 0, n)
	b = append(b, a...)
	b = append(b, 0)
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// neverExpires is the expiry key of the lot that never expires: it sorts last.
const neverExpires = math.MaxUint64

func expKey(t time.Time) uint64 {
	if t.IsZero() {
		return neverExpires
	}
	return uint64(t.Unix())
}

func expTime(k uint64) time.Time {
	if k == neverExpires {
		return time.Time{}
	}
	return time.Unix(int64(k), 0).UTC()
}

// account is an account record as stored: loyalty.Account and the head of
// the account's history.
type account struct {
	loyalty.Account
	Last  uint64 // newest entry of the account
	dirty bool   // changed in this transaction (not stored)
}

const accountLen = 4*8 + 4 + len(loyalty.Account{}.Months)*8

// decodeAccount reads an account record; a missing or short one is the
// zero account.
func decodeAccount(b []byte) account {
	var a account
	if len(b) != accountLen {
		return a
	}
	a.Balance = int64(binary.BigEndian.Uint64(b))
	a.Held = int64(binary.BigEndian.Uint64(b[8:]))
	a.Earned = int64(binary.BigEndian.Uint64(b[16:]))
	a.Last = binary.BigEndian.Uint64(b[24:])
	a.Month = binary.BigEndian.Uint32(b[32:])
	for i := range a.Months {
		a.Months[i] = int64(binary.BigEndian.Uint64(b[36+8*i:]))
	}
	return a
}

func (a account) encode() []byte {
	b := make([]byte, 0, accountLen)
	b = binary.BigEndian.AppendUint64(b, uint64(a.Balance))
	b = binary.BigEndian.AppendUint64(b, uint64(a.Held))
	b = binary.BigEndian.AppendUint64(b, uint64(a.Earned))
	b = binary.BigEndian.AppendUint64(b, a.Last)
	b = binary.BigEndian.AppendUint32(b, a.Month)
	for _, m := range a.Months {
		b = binary.BigEndian.AppendUint64(b, uint64(m))
	}
	return b
}

// storedEntry is an Entry as stored, with the links history walks follow.
type storedEntry struct {
	loyalty.Entry
	PrevFrom uint64 // previous entry of From
	PrevTo   uint64 // previous entry of To
}

// prev returns the entry before e in account a's history.
func (e storedEntry) prev(a loyalty.AccountID) uint64 {
	if e.To == a {
		return e.PrevTo
	}
	return e.PrevFrom
}

// entryVersion leads every stored entry so the layout can change later.
const entryVersion = 1

// encode lays an entry out as a version byte, seven uvarints (id, amount,
// time in ns, reverses, expires in s, prev from, prev to), four
// length-prefixed strings (key, from, to, reason) and, when not zero, the
// spend as a varint. Entries are the largest and most written records, and
// this is several times cheaper than JSON.
func (e storedEntry) encode() []byte {
	b := make([]byte, 0, 64+len(e.Key)+len(e.From)+len(e.To)+len(e.Reason))
	b = append(b, entryVersion)
	var expires int64
	if !e.Expires.IsZero() {
		expires = e.Expires.Unix()
	}
	for _, v := range []uint64{e.ID, uint64(e.Amount), uint64(e.Time.UnixNano()), e.Reverses, uint64(expires), e.PrevFrom, e.PrevTo} {
		b = binary.AppendUvarint(b, v)
	}
	for _, str := range []string{e.Key, string(e.From), string(e.To), e.Reason} {
		b = binary.AppendUvarint(b, uint64(len(str)))
		b = append(b, str...)
	}
	if e.Spend != 0 { // optional trailer
		b = binary.AppendVarint(b, e.Spend)
	}
	return b
}

func decodeEntry(b []byte) (storedEntry, error) {
	if len(b) == 0 || b[0] != entryVersion {
		return storedEntry{}, ErrCorrupt
	}
	b = b[1:]
	var nums [7]uint64
	for i := range nums {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return storedEntry{}, ErrCorrupt
		}
		nums[i], b = v, b[n:]
	}
	var strs [4]string
	for i := range strs {
		l, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < l {
			return storedEntry{}, ErrCorrupt
		}
		strs[i], b = string(b[n:n+int(l)]), b[n+int(l):]
	}
	e := storedEntry{
		Entry: loyalty.Entry{
			ID: nums[0], Amount: int64(nums[1]), Time: time.Unix(0, int64(nums[2])).UTC(), Reverses: nums[3],
			Key: strs[0], From: loyalty.AccountID(strs[1]), To: loyalty.AccountID(strs[2]), Reason: strs[3],
		},
		PrevFrom: nums[5], PrevTo: nums[6],
	}
	if nums[4] != 0 {
		e.Expires = time.Unix(int64(nums[4]), 0).UTC()
	}
	if len(b) > 0 {
		spend, n := binary.Varint(b)
		if n <= 0 {
			return storedEntry{}, ErrCorrupt
		}
		e.Spend = spend
	}
	return e, nil
}

// encodeUses lays lot uses out as (expiry key, amount) pairs of 8 bytes each.
func encodeUses(uses []loyalty.LotUse) []byte {
	b := make([]byte, 0, 16*len(uses))
	for _, u := range uses {
		b = binary.BigEndian.AppendUint64(b, expKey(u.Expires))
		b = binary.BigEndian.AppendUint64(b, uint64(u.Amount))
	}
	return b
}

func decodeUses(b []byte) []loyalty.LotUse {
	if len(b) < 16 {
		return nil
	}
	uses := make([]loyalty.LotUse, 0, len(b)/16)
	for ; len(b) >= 16; b = b[16:] {
		uses = append(uses, loyalty.LotUse{Expires: expTime(binary.BigEndian.Uint64(b)), Amount: int64(binary.BigEndian.Uint64(b[8:]))})
	}
	return uses
}

// keyLen is the length of a key record: kind, 16-byte hash, 8-byte ref.
const keyLen = 25

func encodeKey(r loyalty.KeyRecord) []byte {
	v := make([]byte, keyLen)
	v[0] = byte(r.Kind)
	copy(v[1:17], r.Hash[:])
	binary.BigEndian.PutUint64(v[17:], r.Ref)
	return v
}

func decodeKey(v []byte) (loyalty.KeyRecord, bool) {
	if len(v) != keyLen {
		return loyalty.KeyRecord{}, false
	}
	r := loyalty.KeyRecord{Kind: loyalty.KeyKind(v[0]), Ref: binary.BigEndian.Uint64(v[17:])}
	copy(r.Hash[:], v[1:17])
	return r, true
}

// decodeJSON decodes a JSON record; what and id name it in the error.
func decodeJSON[T any](v []byte, what string, id any) (T, error) {
	var x T
	if err := json.Unmarshal(v, &x); err != nil {
		return x, fmt.Errorf("decode %s %v: %w: %v", what, id, ErrCorrupt, err)
	}
	return x, nil
}
