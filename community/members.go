package community

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/internal/outbox"
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
	// Consent is the member's yes to marketing messages (campaign offers,
	// win-back, surveys): given with /marketing on or the welcome's
	// buttons; Asked records that the welcome asked.
	Consent bool `json:"marketing_consent,omitempty"`
	Asked   bool `json:"consent_asked,omitempty"`
	// Muted turns campaigns' service messages off (/notifications off).
	Muted bool `json:"notifications_off,omitempty"`
	// Birthday is the member's birthday as "MM-DD" (/birthday), "" when not set.
	Birthday    string    `json:"birthday,omitempty"`
	BirthdaySet time.Time `json:"birthday_set,omitzero"` // when it was last set: a change waits a year
	// Email is the member's confirmed e-mail address (/email); EmailOff is
	// set when they unsubscribed from campaign mail.
	Email    string `json:"email,omitempty"`
	EmailOff bool   `json:"email_off,omitempty"`
	// EmailPending waits for the confirmation code whose SHA-256 is
	// EmailCode, until EmailExpires; EmailSent counts codes sent on
	// EmailDay, to bound them.
	EmailPending string    `json:"email_pending,omitempty"`
	EmailCode    string    `json:"email_code,omitempty"`
	EmailExpires time.Time `json:"email_expires,omitzero"`
	EmailDay     string    `json:"email_day,omitempty"`
	EmailSent    int       `json:"email_sent,omitempty"`
	EmailTries   int       `json:"email_tries,omitempty"` // wrong codes for the pending address
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
	store  Store
	now    func() time.Time
	owners map[string]bool // "platform:user id" of owners from config

	brand   brandChats
	mu      sync.Mutex
	touched map[uint64]time.Time // last LastActive write, to write it at most every few minutes
	chats   map[string]bool      // chats already recorded this run
}

// MembersOption configures Members.
type MembersOption func(*Members)

// NewMembers returns the members kept in store and loads its brand
// chats. owners lists "platform:user id" accounts that are owners whatever
// the store says. It fails when the store's data is not at SchemaVersion
// (the store migrates it when it opens).
func NewMembers(store Store, owners []string, now func() time.Time, opts ...MembersOption) (*Members, error) {
	m := &Members{store: store, now: now, owners: map[string]bool{}, touched: map[uint64]time.Time{}, chats: map[string]bool{},
		brand: brandChats{set: map[string]BrandChat{}}}
	for _, o := range owners {
		m.owners[o] = true
	}
	for _, o := range opts {
		o(m)
	}
	err := store.View(context.Background(), func(tx ReadTx) error {
		v, err := tx.SchemaVersion()
		if err != nil {
			return err
		}
		if v != SchemaVersion {
			return fmt.Errorf("the store has community schema %d, this release's is %d", v, SchemaVersion)
		}
		return m.loadBrandChats(tx)
	})
	if err != nil {
		return nil, fmt.Errorf("open members: %w", err)
	}
	return m, nil
}

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
	err := m.store.View(ctx, func(tx ReadTx) error {
		var err error
		mem, err = memberByIdentity(tx, ev.Platform, ev.UserID)
		return err
	})
	if errors.Is(err, ErrNoMember) {
		mem, isNew, err = m.register(ctx, ev, now)
	}
	if err != nil {
		return bots.Identity{}, err
	}
	if err := m.noteActivity(ctx, ev, mem, now); err != nil {
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
func (m *Members) register(ctx context.Context, ev *bots.Event, now time.Time) (mem Member, isNew bool, err error) {
	return m.create(ctx, NewMember{Platform: ev.Platform, UserID: ev.UserID, Handle: ev.Username, Name: cmp.Or(ev.Name, ev.Username), Invite: ev.Invite}, now)
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
	return m.create(ctx, nm, m.now())
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
	err := m.store.Update(ctx, func(tx Tx) error {
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

func (m *Members) create(ctx context.Context, nm NewMember, now time.Time) (mem Member, isNew bool, err error) {
	err = m.store.Update(ctx, func(tx Tx) error {
		mem, isNew, err = createIn(tx, nm, now)
		return err
	})
	return mem, isNew, err
}

// createIn registers nm in tx, or returns the member its account has.
func createIn(tx Tx, nm NewMember, now time.Time) (Member, bool, error) {
	existing, err := memberByIdentity(tx, nm.Platform, nm.UserID)
	switch {
	case err == nil:
		return existing, false, nil
	case !errors.Is(err, ErrNoMember):
		return Member{}, false, err
	}
	id, err := tx.NextMemberID()
	if err != nil {
		return Member{}, false, err
	}
	mem := Member{ID: id, Name: nm.Name, Role: RoleMember, Locale: nm.Locale, Joined: now, LastActive: now, Invite: nm.Invite,
		Identities: []Identity{{Platform: nm.Platform, UserID: nm.UserID, Handle: nm.Handle}}}
	if err := tx.PutIdentity(nm.Platform, nm.UserID, id); err != nil {
		return Member{}, false, err
	}
	if nm.Handle != "" {
		if err := tx.PutHandle(nm.Platform, NormHandle(nm.Handle), id); err != nil {
			return Member{}, false, err
		}
	}
	if err := tx.PutMember(mem); err != nil {
		return Member{}, false, err
	}
	return mem, true, tx.Publish(outbox.Event{Key: "joined:" + strconv.FormatUint(id, 10), Type: outbox.MemberJoined, Member: id, At: now,
		Props: map[string]string{"platform": nm.Platform}})
}

// activityWrite is how stale LastActive may get before Resolve writes it:
// often enough for win-back, rarely enough not to cost a write per message.
const activityWrite = 10 * time.Minute

func (m *Members) noteActivity(ctx context.Context, ev *bots.Event, mem Member, now time.Time) error {
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
	return m.store.Update(ctx, func(tx Tx) error {
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
			if err := tx.PutHandle(ev.Platform, NormHandle(ev.Username), cur.ID); err != nil {
				return err
			}
		}
		if newChat {
			if err := tx.PutChat(Chat{Platform: ev.Platform, ID: ev.ChatID, Server: ev.Server, Kind: chatKindOf(ev.Chat), LastSeen: now}); err != nil {
				return err
			}
		}
		return tx.PutMember(cur)
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
	err := m.store.View(ctx, func(tx ReadTx) error {
		if inner, ok := strings.CutPrefix(mention, "<@"); ok {
			user := strings.TrimPrefix(strings.TrimSuffix(inner, ">"), "!")
			mem, err := memberByIdentity(tx, platform, user)
			id = mem.ID
			return err
		}
		mid, ok, err := tx.HandleMember(platform, NormHandle(mention))
		switch {
		case err != nil:
			return err
		case !ok:
			return ErrNoMember
		}
		mem, err := getMember(tx, mid)
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
	err := m.store.View(ctx, func(tx ReadTx) error {
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
	err := m.store.Update(ctx, func(tx Tx) error {
		var err error
		if mem, err = getMember(tx, id); err != nil {
			return err
		}
		if err := fn(&mem); err != nil {
			return err
		}
		return tx.PutMember(mem)
	})
	return mem, err
}

// Names returns display names for member ids; unknown and erased members get "#<id>".
func (m *Members) Names(ctx context.Context, ids []uint64) (map[uint64]string, error) {
	out := make(map[uint64]string, len(ids))
	err := m.store.View(ctx, func(tx ReadTx) error {
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
	err := m.store.View(ctx, func(tx ReadTx) error {
		return tx.MemberIDsWithRole(RoleAt(role), func(id uint64) error {
			mem, err := getMember(tx, id)
			if err != nil {
				return err
			}
			if mem.Role.Level() == role {
				out = append(out, mem)
			}
			return nil
		})
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
	err := m.store.View(ctx, func(tx ReadTx) error {
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
	err = m.store.Update(ctx, func(tx Tx) error {
		marked, err := tx.DayMarked(key)
		if err != nil || marked {
			return err
		}
		first = true
		return tx.MarkDay(key)
	})
	return first, err
}

// Chats returns every chat of the given kind the bot has seen.
func (m *Members) Chats(ctx context.Context, kind ChatKind) ([]Chat, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []Chat
	err := m.store.View(ctx, func(tx ReadTx) error {
		add := func(c Chat) error {
			if c.Kind == kind {
				out = append(out, c)
			}
			return nil
		}
		if kind == ChatGroup { // the group index: not one record per member's private chat
			return tx.GroupChats(add)
		}
		return tx.Chats(add)
	})
	return out, err
}

func memberByIdentity(tx ReadTx, platform, user string) (Member, error) {
	id, ok, err := tx.IdentityMember(platform, user)
	switch {
	case err != nil:
		return Member{}, err
	case !ok:
		return Member{}, ErrNoMember
	}
	return getMember(tx, id)
}

// getMember loads a member, following MergedInto to the member that now owns
// the identity.
func getMember(tx ReadTx, id uint64) (Member, error) {
	for range 8 {
		mem, ok, err := tx.Member(id)
		switch {
		case err != nil:
			return Member{}, err
		case !ok:
			return Member{}, fmt.Errorf("member %d: %w", id, ErrNoMember)
		case mem.MergedInto == 0:
			return mem, nil
		}
		id = mem.MergedInto
	}
	return Member{}, fmt.Errorf("member %d: merge chain too long: %w", id, ErrNoMember)
}

var _ bots.Resolver = (*Members)(nil)
var _ bots.MentionResolver = (*Members)(nil)
