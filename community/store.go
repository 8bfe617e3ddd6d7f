package community

import (
	"context"
	"crypto/sha256"
	"errors"
	"strings"
	"time"

	"github.com/loyalbot/loyalbot/internal/outbox"
)

// SchemaVersion is the version of the community's stored data this code
// reads and writes. A store migrates older data to it when it opens, in
// one transaction, and refuses data from a newer release.
const SchemaVersion = 3

// Store is where the community keeps its members, their accounts, chats,
// audit log and recorded jobs. community/bolt implements it on bbolt. An
// implementation is safe for concurrent use.
type Store interface {
	// Update runs fn in one read-write transaction: all of fn's writes
	// happen, or none (fn's error rolls back and is returned). fn is called
	// once. It returns ctx's error, starting nothing, when ctx is done.
	Update(ctx context.Context, fn func(tx Tx) error) error
	// View runs fn in a read-only, consistent snapshot. It returns ctx's
	// error, starting nothing, when ctx is done.
	View(ctx context.Context, fn func(tx ReadTx) error) error
}

// Order is the order a walk visits records in.
type Order int

// Walk orders.
const (
	OldestFirst Order = iota // ascending ids (or times)
	NewestFirst              // descending ids (or times)
)

// AccountHash is the SHA-256 of a platform account ("platform\x00user
// id"): what the community keeps of an account that erased its data, so
// erasing and rejoining farms no signup bonus, without a readable id.
type AccountHash [sha256.Size]byte

// HashAccount returns the hash an erased platform account is kept as.
func HashAccount(platform, user string) AccountHash {
	return sha256.Sum256([]byte(platform + "\x00" + user))
}

// LinkCode is a one-time /link code's record: whose wallet it joins, and
// until when it works.
type LinkCode struct {
	Member  uint64    `json:"member"`
	Expires time.Time `json:"expires"`
}

// Job kinds.
const (
	JobLink  = "link"
	JobErase = "erase"
)

// Job is one recorded multi-step operation that spans domains (/link,
// /erase), kept from the moment it starts until every step is done, so a
// crash between steps is finished by Resume. Every step is idempotent, so
// running a job again from the start finishes it.
type Job struct {
	Key     string    `json:"key"`
	Kind    string    `json:"kind"` // JobLink or JobErase
	From    uint64    `json:"from,omitempty"`
	To      uint64    `json:"to,omitempty"`
	Member  uint64    `json:"member,omitempty"`
	Created time.Time `json:"created"`
}

// Live reports whether m is a live member: neither folded into another by
// /link nor erased. Only live members are in the member indexes (by role,
// join date and last activity).
func (m Member) Live() bool { return m.MergedInto == 0 && m.Erased.IsZero() }

// ReadTx reads the community's data inside a transaction. It is valid
// only until the function it was given to returns.
//
// A walk calls fn once per record, in the order named; an error from fn
// ends the walk and is returned as it is. fn may read through the same
// transaction but must not write: collect what to change, and change it
// after the walk.
//
// A handle is a platform user name as the community indexes it: lowercase,
// without "@" (see NormHandle). A day is a community date, "2006-01-02".
type ReadTx interface {
	// SchemaVersion returns the version of the stored data; a store opened
	// by this release has migrated it to SchemaVersion.
	SchemaVersion() (int, error)

	// Member returns the member record with id as stored: a folded
	// member's own record, MergedInto not followed. ok is false when there
	// is none.
	Member(id uint64) (m Member, ok bool, err error)
	// Members walks every member record, folded and erased ones included,
	// by id.
	Members(fn func(Member) error) error
	// MemberIDsWithRole walks the ids of the live members whose stored role
	// is role (an empty role counts as RoleMember), by id, from an index by
	// role.
	MemberIDsWithRole(role Role, fn func(id uint64) error) error
	// RoleIndex walks every entry of the index by role, by role then id.
	RoleIndex(fn func(role Role, id uint64) error) error
	// MembersByJoined walks the live members' join times and ids, from an
	// index by join date.
	MembersByJoined(order Order, fn func(joined time.Time, id uint64) error) error
	// MembersByActive walks the live members' last activity times and ids,
	// from an index by last activity.
	MembersByActive(order Order, fn func(active time.Time, id uint64) error) error

	// IdentityMember returns the member a platform account belongs to.
	IdentityMember(platform, user string) (member uint64, ok bool, err error)
	// Identities walks every platform account and its member, by platform
	// then user id.
	Identities(fn func(platform, user string, member uint64) error) error
	// HandleMember returns the member a platform handle names.
	HandleMember(platform, handle string) (member uint64, ok bool, err error)
	// Handles walks every handle and its member, by platform then handle.
	Handles(fn func(platform, handle string, member uint64) error) error

	// LinkCode returns the record of a /link code.
	LinkCode(code string) (lc LinkCode, ok bool, err error)

	// Chats walks every chat the bot has seen, group and private, by
	// platform then chat id.
	Chats(fn func(Chat) error) error
	// GroupChats walks the group chats, by platform then chat id, from an
	// index of group chats (not one record per member's private chat).
	GroupChats(fn func(Chat) error) error
	// BrandChats walks the brand chats added with /setup.
	BrandChats(fn func(BrandChat) error) error

	// Erased reports whether the account hashed as h erased its data.
	Erased(h AccountHash) (bool, error)
	// DayMarked reports whether the day marker key was recorded.
	DayMarked(key string) (bool, error)

	// AuditEntry returns the audit entry with id.
	AuditEntry(id uint64) (e AuditEntry, ok bool, err error)
	// AuditEntries walks every audit entry by id.
	AuditEntries(order Order, fn func(AuditEntry) error) error
	// AuditIDsOf walks the ids of the entries whose actor or target is
	// member, oldest first, from an index by member.
	AuditIDsOf(member uint64, fn func(id uint64) error) error
	// AuditIDByKey returns the id of the entry recorded under an
	// idempotency key.
	AuditIDByKey(key string) (id uint64, ok bool, err error)
	// GrantUsage returns the points manager gave on day, as counted
	// against their daily limit.
	GrantUsage(manager uint64, day string) (int64, error)

	// Jobs walks the recorded jobs by key.
	Jobs(fn func(Job) error) error
}

// Tx reads and writes the community's data inside a read-write
// transaction.
type Tx interface {
	ReadTx

	// NextMemberID returns a member id never returned before, each greater
	// than the last.
	NextMemberID() (uint64, error)
	// PutMember stores m under m.ID, replacing what was there, and keeps
	// the indexes by role, join date and last activity in step with it
	// (a member that is not Live leaves them).
	PutMember(m Member) error
	// PutIdentity makes a platform account belong to member.
	PutIdentity(platform, user string, member uint64) error
	// DeleteIdentity forgets a platform account.
	DeleteIdentity(platform, user string) error
	// PutHandle makes a platform handle name member.
	PutHandle(platform, handle string, member uint64) error
	// DeleteHandle forgets a platform handle.
	DeleteHandle(platform, handle string) error

	// PutLinkCode stores a /link code.
	PutLinkCode(code string, lc LinkCode) error
	// DeleteLinkCode uses a /link code up.
	DeleteLinkCode(code string) error

	// PutChat stores c under its platform and id, replacing what was
	// there, and keeps the index of group chats in step with it.
	PutChat(c Chat) error
	// PutBrandChat stores a brand chat under its platform and id.
	PutBrandChat(bc BrandChat) error
	// DeleteBrandChat forgets a brand chat.
	DeleteBrandChat(platform, id string) error

	// PutErased records that the account hashed as h erased its data.
	PutErased(h AccountHash) error
	// MarkDay records the day marker key.
	MarkDay(key string) error

	// NextAuditID returns an audit entry id never returned before, each
	// greater than the last.
	NextAuditID() (uint64, error)
	// PutAuditEntry stores e under e.ID, replacing what was there, and
	// keeps the indexes by member (actor and target) and by key in step
	// with it.
	PutAuditEntry(e AuditEntry) error
	// PutGrantUsage sets the points manager gave on day.
	PutGrantUsage(manager uint64, day string, points int64) error

	// PutJob records j under j.Key, replacing what was there.
	PutJob(j Job) error

	// Publish appends a domain event to the outbox, in this transaction
	// (see package outbox); an event whose key is there already is not
	// appended again.
	Publish(ev outbox.Event) error
	// DeleteJob forgets the job recorded under key.
	DeleteJob(key string) error
}

// NormHandle is how a handle is indexed: lowercase, without "@".
func NormHandle(handle string) string { return strings.ToLower(strings.TrimPrefix(handle, "@")) }

// errStop ends a walk early; the walk's caller then returns nil.
var errStop = errors.New("community: stop the walk")

// stopped turns a walk's errStop into nil.
func stopped(err error) error {
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}
