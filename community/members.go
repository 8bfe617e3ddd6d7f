package community

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/loyalbot/loyalbot/bots"
	bolt "go.etcd.io/bbolt"
)

// Bucket names: community owns every bucket prefixed "community.".
var (
	bucketMembers    = []byte("community.members")    // member id → Member (JSON)
	bucketIdentities = []byte("community.identities") // platform\0user id → member id
	bucketHandles    = []byte("community.handles")    // platform\0lowercase handle → member id
	bucketLinks      = []byte("community.links")      // link code → linkCode (JSON)
	bucketChats      = []byte("community.chats")      // platform\0chat id → Chat (JSON)
	bucketDays       = []byte("community.days")       // "checkin:<member>:<date>" → nil, for days that pay no points
)

// Identity is one platform account of a member.
type Identity struct {
	Platform string `json:"platform"`
	UserID   string `json:"user_id"`
	Handle   string `json:"handle,omitempty"`
}

// Member is one person in the community, whatever platforms they use.
type Member struct {
	ID         uint64     `json:"id"`
	Name       string     `json:"name"`
	Role       Role       `json:"role,omitempty"`   // "" is a member
	Locale     string     `json:"locale,omitempty"` // chosen with /lang; "" follows the platform
	Joined     time.Time  `json:"joined"`
	LastActive time.Time  `json:"last_active"`
	Left       time.Time  `json:"left,omitzero"`
	Invite     string     `json:"invite,omitempty"` // invite link the member joined through
	Identities []Identity `json:"identities"`
	Streak     int        `json:"streak,omitempty"`       // consecutive daily check-ins
	LastCheck  string     `json:"last_checkin,omitempty"` // date of the last check-in, YYYY-MM-DD
	MergedInto uint64     `json:"merged_into,omitempty"`  // set when /link folded this member into another
	Merged     []uint64   `json:"merged,omitempty"`       // members /link folded into this one
	Erased     time.Time  `json:"erased,omitzero"`        // set when the member erased their data
	// NoMarketing excludes the member from segment broadcasts (/marketing off).
	NoMarketing bool `json:"no_marketing,omitempty"`
}

// Chat is a chat the bot serves; broadcasts go to its groups.
type Chat struct {
	Platform string    `json:"platform"`
	ID       string    `json:"id"`
	Server   string    `json:"server,omitempty"` // the Discord guild a channel is in
	Kind     ChatKind  `json:"kind"`
	LastSeen time.Time `json:"last_seen"`
}

// Members stores members and maps platform accounts to them. It is safe for
// concurrent use.
type Members struct {
	db     *bolt.DB
	now    func() time.Time
	owners map[string]bool // "platform:user id" of owners from config

	brand   brandChats
	mu      sync.Mutex
	touched map[uint64]time.Time // last LastActive write, to write it at most every few minutes
	chats   map[string]bool      // chats already recorded this run
}

// MembersOption configures Members.
type MembersOption func(*Members)

// NewMembers creates the community buckets in db. owners lists
// "platform:user id" accounts that are owners whatever the database says.
func NewMembers(db *bolt.DB, owners []string, now func() time.Time, opts ...MembersOption) (*Members, error) {
	m := &Members{db: db, now: now, owners: map[string]bool{}, touched: map[uint64]time.Time{}, chats: map[string]bool{},
		brand: brandChats{set: map[string]BrandChat{}}}
	for _, o := range owners {
		m.owners[o] = true
	}
	for _, o := range opts {
		o(m)
	}
	err := db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketMembers, bucketIdentities, bucketHandles, bucketLinks, bucketChats, bucketErased,
			bucketBrand, bucketAudit, bucketAuditByMember, bucketAuditKeys, bucketGrantUsage, bucketJobs, bucketDays} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		if _, err := migrate(tx); err != nil {
			return err
		}
		return m.loadBrandChats(tx)
	})
	if err != nil {
		return nil, fmt.Errorf("open members: %w", err)
	}
	return m, nil
}

func identityKey(platform, user string) []byte { return []byte(platform + "\x00" + user) }

func handleKey(platform, handle string) []byte {
	return []byte(platform + "\x00" + strings.ToLower(strings.TrimPrefix(handle, "@")))
}

func idKey(id uint64) []byte { return binary.BigEndian.AppendUint64(nil, id) }

// Resolve implements bots.Resolver: it returns the member behind the event's
// sender, registering a newcomer as a member.
func (m *Members) Resolve(ctx context.Context, ev *bots.Event) (bots.Identity, error) {
	if ev.UserID == "" {
		return bots.Identity{}, nil
	}
	if err := ctx.Err(); err != nil {
		return bots.Identity{}, err
	}
	now := m.now()
	var mem Member
	var isNew bool
	err := m.db.View(func(tx *bolt.Tx) error {
		var err error
		mem, err = memberByIdentity(tx, ev.Platform, ev.UserID)
		return err
	})
	if errors.Is(err, ErrNoMember) {
		mem, isNew, err = m.register(ev, now)
	}
	if err != nil {
		return bots.Identity{}, err
	}
	if err := m.noteActivity(ev, mem, now); err != nil {
		return bots.Identity{}, err
	}
	return bots.Identity{Member: mem.ID, Role: m.roleOf(mem), Locale: mem.Locale, New: isNew, BrandChat: m.brand.has(brandKeyOf(ev))}, nil
}

// roleOf returns a member's role: owner when any of its accounts is an
// owner in the config, else the stored role.
func (m *Members) roleOf(mem Member) bots.Role {
	for _, id := range mem.Identities {
		if m.owners[id.Platform+":"+id.UserID] {
			return bots.RoleOwner
		}
	}
	return mem.Role.Level()
}

// register creates a member for the event's sender, or returns the one a
// concurrent event just created.
func (m *Members) register(ev *bots.Event, now time.Time) (mem Member, isNew bool, err error) {
	return m.create(NewMember{Platform: ev.Platform, UserID: ev.UserID, Handle: ev.Username, Name: cmp.Or(ev.Name, ev.Username), Invite: ev.Invite}, now)
}

// NewMember is a member to create outside a chat (the web dashboard, an
// import): the platform account they will use, and what is known of them.
type NewMember struct {
	Platform, UserID string // the account; required
	Handle           string // the platform user name, without "@"
	Name             string
	Locale           string // "", "en" or "zh"
	Invite           string
}

// Create registers a member for a platform account, as a chat message
// from it would. When the account belongs to a member already, that
// member is returned with created false.
func (m *Members) Create(ctx context.Context, nm NewMember) (mem Member, created bool, err error) {
	if err := ctx.Err(); err != nil {
		return Member{}, false, err
	}
	if nm.Platform == "" || nm.UserID == "" {
		return Member{}, false, errNoAccount
	}
	return m.create(nm, m.now())
}

// CreateMany registers many members in one transaction (an import, a
// generated community for benchmarks): the accounts already known are
// left as they are. It returns the members in the order given.
func (m *Members) CreateMany(ctx context.Context, nms []NewMember) ([]Member, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	now := m.now()
	out := make([]Member, len(nms))
	err := m.db.Update(func(tx *bolt.Tx) error {
		for i, nm := range nms {
			if nm.Platform == "" || nm.UserID == "" {
				return fmt.Errorf("new member %d: %w", i, errNoAccount)
			}
			var err error
			if out[i], _, err = createIn(tx, nm, now); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

var errNoAccount = errors.New("community: a new member needs a platform and a user id")

func (m *Members) create(nm NewMember, now time.Time) (mem Member, isNew bool, err error) {
	err = m.db.Update(func(tx *bolt.Tx) error {
		mem, isNew, err = createIn(tx, nm, now)
		return err
	})
	return mem, isNew, err
}

// createIn registers nm in tx, or returns the member its account has.
func createIn(tx *bolt.Tx, nm NewMember, now time.Time) (Member, bool, error) {
	if existing, err := memberByIdentity(tx, nm.Platform, nm.UserID); err == nil {
		return existing, false, nil
	}
	id, err := tx.Bucket(bucketMembers).NextSequence()
	if err != nil {
		return Member{}, false, err
	}
	mem := Member{ID: id, Name: nm.Name, Role: RoleMember, Locale: nm.Locale, Joined: now, LastActive: now, Invite: nm.Invite,
		Identities: []Identity{{Platform: nm.Platform, UserID: nm.UserID, Handle: nm.Handle}}}
	if err := tx.Bucket(bucketIdentities).Put(identityKey(nm.Platform, nm.UserID), idKey(id)); err != nil {
		return Member{}, false, err
	}
	if nm.Handle != "" {
		if err := tx.Bucket(bucketHandles).Put(handleKey(nm.Platform, nm.Handle), idKey(id)); err != nil {
			return Member{}, false, err
		}
	}
	return mem, true, putMember(tx, mem)
}

// activityWrite is how stale LastActive may get before Resolve writes it:
// often enough for win-back, rarely enough not to cost a write per message.
const activityWrite = 10 * time.Minute

func (m *Members) noteActivity(ev *bots.Event, mem Member, now time.Time) error {
	chatKey := ev.Platform + "\x00" + ev.ChatID
	m.mu.Lock()
	stale := now.Sub(m.touched[mem.ID]) > activityWrite && now.Sub(mem.LastActive) > activityWrite
	handleChanged := ev.Username != "" && !hasHandle(mem, ev.Platform, ev.Username)
	newChat := ev.ChatID != "" && !m.chats[chatKey]
	if stale {
		m.touched[mem.ID] = now
	}
	m.chats[chatKey] = true
	m.mu.Unlock()
	if !stale && !handleChanged && !newChat && ev.Kind != bots.EventLeave {
		return nil
	}
	return m.db.Update(func(tx *bolt.Tx) error {
		cur, err := getMember(tx, mem.ID)
		if err != nil {
			return err
		}
		cur.LastActive = now
		if ev.Kind == bots.EventLeave {
			cur.Left = now
		} else {
			cur.Left = time.Time{}
		}
		if handleChanged {
			for i, id := range cur.Identities {
				if id.Platform == ev.Platform && id.UserID == ev.UserID {
					cur.Identities[i].Handle = ev.Username
				}
			}
			if err := tx.Bucket(bucketHandles).Put(handleKey(ev.Platform, ev.Username), idKey(cur.ID)); err != nil {
				return err
			}
		}
		if newChat {
			c, _ := json.Marshal(Chat{Platform: ev.Platform, ID: ev.ChatID, Server: ev.Server, Kind: chatKindOf(ev.Chat), LastSeen: now})
			if err := tx.Bucket(bucketChats).Put([]byte(chatKey), c); err != nil {
				return err
			}
			if ev.Chat != bots.ChatPrivate {
				if err := tx.Bucket(bucketGroups).Put([]byte(chatKey), nil); err != nil {
					return err
				}
			}
		}
		return putMember(tx, cur)
	})
}

func hasHandle(mem Member, platform, handle string) bool {
	for _, id := range mem.Identities {
		if id.Platform == platform && strings.EqualFold(id.Handle, handle) {
			return true
		}
	}
	return false
}

// LookupMention implements bots.MentionResolver for "@handle" mentions, and
// for Discord's "<@id>" and Telegram's numeric "@id" forms.
func (m *Members) LookupMention(ctx context.Context, platform, mention string) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var id uint64
	err := m.db.View(func(tx *bolt.Tx) error {
		if inner, ok := strings.CutPrefix(mention, "<@"); ok {
			user := strings.TrimPrefix(strings.TrimSuffix(inner, ">"), "!")
			mem, err := memberByIdentity(tx, platform, user)
			id = mem.ID
			return err
		}
		v := tx.Bucket(bucketHandles).Get(handleKey(platform, mention))
		if v == nil {
			return ErrNoMember
		}
		mem, err := getMember(tx, binary.BigEndian.Uint64(v))
		id = mem.ID
		return err
	})
	if errors.Is(err, ErrNoMember) {
		return 0, bots.ErrUnknownMember
	}
	return id, err
}

// Get returns the member with id, following /link merges, or ErrNoMember.
func (m *Members) Get(ctx context.Context, id uint64) (Member, error) {
	if err := ctx.Err(); err != nil {
		return Member{}, err
	}
	var mem Member
	err := m.db.View(func(tx *bolt.Tx) error {
		var err error
		mem, err = getMember(tx, id)
		return err
	})
	return mem, err
}

// Update applies fn to member id in one transaction. fn's error aborts it.
func (m *Members) Update(ctx context.Context, id uint64, fn func(*Member) error) (Member, error) {
	if err := ctx.Err(); err != nil {
		return Member{}, err
	}
	var mem Member
	err := m.db.Update(func(tx *bolt.Tx) error {
		var err error
		if mem, err = getMember(tx, id); err != nil {
			return err
		}
		if err := fn(&mem); err != nil {
			return err
		}
		return putMember(tx, mem)
	})
	return mem, err
}

// Names returns display names for member ids; unknown and erased members get "#<id>".
func (m *Members) Names(ctx context.Context, ids []uint64) (map[uint64]string, error) {
	out := make(map[uint64]string, len(ids))
	err := m.db.View(func(tx *bolt.Tx) error {
		for _, id := range ids {
			if mem, err := getMember(tx, id); err == nil && mem.Name != "" {
				out[id] = mem.Name
			} else {
				out[id] = "#" + strconv.FormatUint(id, 10)
			}
		}
		return nil
	})
	return out, err
}

// WithRole returns the members whose stored role is role.
func (m *Members) WithRole(ctx context.Context, role bots.Role) ([]Member, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []Member
	err := m.db.View(func(tx *bolt.Tx) error {
		prefix := append([]byte(cmpRole(RoleAt(role))), 0)
		cur := tx.Bucket(bucketByRole).Cursor()
		for k, _ := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = cur.Next() {
			mem, err := getMember(tx, binary.BigEndian.Uint64(k[len(prefix):]))
			if err != nil {
				return err
			}
			if mem.Role.Level() == role {
				out = append(out, mem)
			}
		}
		return nil
	})
	return out, err
}

// Recipient is a platform account to tell something, in its member's language.
type Recipient struct {
	Identity
	Member uint64
	Locale string
}

// ManagerAccounts returns the platform accounts of managers (minOwner
// false) or of owners only: members whose stored role is high enough, and
// the configured owners.
func (m *Members) ManagerAccounts(ctx context.Context, ownersOnly bool) ([]Recipient, error) {
	seen := map[string]bool{}
	var out []Recipient
	add := func(r Recipient) {
		if k := r.Platform + ":" + r.UserID; !seen[k] {
			seen[k] = true
			out = append(out, r)
		}
	}
	roles := []bots.Role{bots.RoleManager, bots.RoleOwner}
	if ownersOnly {
		roles = roles[1:]
	}
	for _, role := range roles {
		ms, err := m.WithRole(ctx, role)
		if err != nil {
			return nil, err
		}
		for _, mem := range ms {
			for _, id := range mem.Identities {
				add(Recipient{Identity: id, Member: mem.ID, Locale: mem.Locale})
			}
		}
	}
	for o := range m.owners {
		if platform, user, ok := strings.Cut(o, ":"); ok {
			r := Recipient{Identity: Identity{Platform: platform, UserID: user}}
			if mem, err := m.byIdentity(ctx, platform, user); err == nil {
				r.Member, r.Locale = mem.ID, mem.Locale
			}
			add(r)
		}
	}
	return out, nil
}

func (m *Members) byIdentity(ctx context.Context, platform, user string) (Member, error) {
	if err := ctx.Err(); err != nil {
		return Member{}, err
	}
	var mem Member
	err := m.db.View(func(tx *bolt.Tx) error {
		var err error
		mem, err = memberByIdentity(tx, platform, user)
		return err
	})
	return mem, err
}

// markDay records key (a member's day of something) and reports whether
// this was the first time.
func (m *Members) markDay(ctx context.Context, key string) (first bool, err error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	err = m.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketDays)
		if b.Get([]byte(key)) != nil {
			return nil
		}
		first = true
		return b.Put([]byte(key), nil)
	})
	return first, err
}

// Chats returns every chat of the given kind the bot has seen.
func (m *Members) Chats(ctx context.Context, kind ChatKind) ([]Chat, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []Chat
	err := m.db.View(func(tx *bolt.Tx) error {
		decode := func(v []byte) error {
			var c Chat
			if err := json.Unmarshal(v, &c); err != nil {
				return err
			}
			if c.Kind == kind {
				out = append(out, c)
			}
			return nil
		}
		if kind == ChatGroup { // the group index: not one record per member's private chat
			chats := tx.Bucket(bucketChats)
			return tx.Bucket(bucketGroups).ForEach(func(k, _ []byte) error { return decode(chats.Get(k)) })
		}
		return tx.Bucket(bucketChats).ForEach(func(_, v []byte) error { return decode(v) })
	})
	return out, err
}

func memberByIdentity(tx *bolt.Tx, platform, user string) (Member, error) {
	v := tx.Bucket(bucketIdentities).Get(identityKey(platform, user))
	if v == nil {
		return Member{}, ErrNoMember
	}
	return getMember(tx, binary.BigEndian.Uint64(v))
}

// getMember loads a member, following MergedInto to the member that now owns
// the identity.
func getMember(tx *bolt.Tx, id uint64) (Member, error) {
	for range 8 {
		v := tx.Bucket(bucketMembers).Get(idKey(id))
		if v == nil {
			return Member{}, fmt.Errorf("member %d: %w", id, ErrNoMember)
		}
		var mem Member
		if err := json.Unmarshal(v, &mem); err != nil {
			return Member{}, fmt.Errorf("decode member %d: %w", id, err)
		}
		if mem.MergedInto == 0 {
			return mem, nil
		}
		id = mem.MergedInto
	}
	return Member{}, fmt.Errorf("member %d: merge chain too long: %w", id, ErrNoMember)
}

// putMember writes a member and keeps the member indexes in step.
func putMember(tx *bolt.Tx, mem Member) error {
	b := tx.Bucket(bucketMembers)
	var old Member
	if v := b.Get(idKey(mem.ID)); v != nil {
		if err := json.Unmarshal(v, &old); err != nil {
			return fmt.Errorf("member %d: %w", mem.ID, err)
		}
	}
	v, err := json.Marshal(mem)
	if err != nil {
		return err
	}
	if err := b.Put(idKey(mem.ID), v); err != nil {
		return err
	}
	return reindexMember(tx, old, mem)
}

var _ bots.Resolver = (*Members)(nil)
var _ bots.MentionResolver = (*Members)(nil)
