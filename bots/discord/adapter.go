// Package discord connects loyalbot to Discord through discordgo: the
// gateway with the intents loyalbot needs, slash commands in English and
// Chinese, ephemeral answers, buttons, invite tracking and tier roles.
package discord

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/loyalbot/loyalbot/bots"
)

// Intents loyalbot asks for. Message content and guild members are
// privileged: they must be switched on in the developer portal.
const (
	baseIntents       = discordgo.IntentGuilds | discordgo.IntentGuildMessages | discordgo.IntentGuildInvites | discordgo.IntentDirectMessages
	privilegedIntents = discordgo.IntentMessageContent | discordgo.IntentGuildMembers
)

// commandLister is what command sync needs from the dispatcher; *bots.Router has it.
type commandLister interface {
	Commands(role bots.Role) []bots.Command
	Catalog() *bots.Catalog
}

// Adapter is the Discord adapter. It is safe for concurrent use.
type Adapter struct {
	token       string
	apiURL      string
	guildID     string // commands are registered in this guild (instant) instead of globally
	shardID     int
	shardCount  int
	managerRole string
	tierRoles   map[string]string // tier name → role id
	prefix      string
	log         *slog.Logger

	s *discordgo.Session

	mu       sync.Mutex
	d        bots.Dispatcher
	invites  map[string]map[string]invite // guild → code → uses and inviter
	inflight sync.WaitGroup
	joins    *bots.Cache[string, time.Time] // guild:user → join time, to name leave events
	now      func() time.Time
}

type invite struct {
	uses    int
	inviter string
}

// Option configures an Adapter.
type Option func(*Adapter)

// WithAPIURL points REST calls and gateway discovery at another base URL,
// such as a rate-limit proxy or a test fake.
func WithAPIURL(u string) Option { return func(a *Adapter) { a.apiURL = strings.TrimRight(u, "/") } }

// WithGuild registers slash commands in one guild, where updates are
// instant, instead of globally.
func WithGuild(id string) Option { return func(a *Adapter) { a.guildID = id } }

// WithShard runs shard id of count.
func WithShard(id, count int) Option { return func(a *Adapter) { a.shardID, a.shardCount = id, count } }

// WithManagerRole makes members with this role managers, besides those
// with the Manage Server permission.
func WithManagerRole(id string) Option { return func(a *Adapter) { a.managerRole = id } }

// WithTierRoles maps tier names to the roles that show them.
func WithTierRoles(m map[string]string) Option { return func(a *Adapter) { a.tierRoles = m } }

// WithClock sets the clock for events Discord gives no time for. The
// default is time.Now.
func WithClock(now func() time.Time) Option { return func(a *Adapter) { a.now = now } }

// WithLogger sets the adapter's logger. The default discards everything.
func WithLogger(l *slog.Logger) Option { return func(a *Adapter) { a.log = l } }

// New returns an adapter for the bot token. It does no network I/O; Run
// does. It returns an error for an empty token.
func New(token string, opts ...Option) (*Adapter, error) {
	if token == "" {
		return nil, errors.New("discord: empty bot token")
	}
	a := &Adapter{token: token, prefix: "!", shardCount: 1, log: slog.New(slog.DiscardHandler), invites: map[string]map[string]invite{}, now: time.Now}
	for _, o := range opts {
		o(a)
	}
	a.log = a.log.With("component", "discord")
	a.joins = bots.NewCache[string, time.Time](10000, 30*24*time.Hour, a.now)
	s, err := discordgo.New("Bot " + token)
	if err != nil {
		return nil, fmt.Errorf("discord: %w", err)
	}
	s.Identify.Intents = baseIntents | privilegedIntents
	s.ShouldReconnectOnError = true
	if a.shardCount > 1 {
		s.Identify.Shard = &[2]int{a.shardID, a.shardCount}
	}
	if a.apiURL != "" {
		base, err := url.Parse(a.apiURL)
		if err != nil {
			return nil, fmt.Errorf("discord api url: %w", err)
		}
		s.Client = &http.Client{Timeout: 20 * time.Second, Transport: rewrite{base: base, next: http.DefaultTransport}}
	}
	s.LogLevel = discordgo.LogError
	a.s = s
	s.AddHandler(a.onReady)
	s.AddHandler(a.onGuildCreate)
	s.AddHandler(a.onMessage)
	s.AddHandler(a.onInteraction)
	s.AddHandler(a.onMemberAdd)
	s.AddHandler(a.onMemberRemove)
	s.AddHandler(a.onInviteCreate)
	return a, nil
}

// Platform returns bots.Discord.
func (a *Adapter) Platform() string { return bots.Discord }

// Run connects to the gateway and dispatches events until ctx ends, then
// waits for in-flight events and closes the connection. When Discord
// refuses the privileged intents, it says which switches to turn on and
// carries on without them (no message points, no join welcomes).
func (a *Adapter) Run(ctx context.Context, d bots.Dispatcher) error {
	a.mu.Lock()
	a.d = d
	a.mu.Unlock()
	err := a.s.Open()
	if err != nil && strings.Contains(err.Error(), "4014") {
		a.log.Error("Discord refused the privileged intents: in the developer portal, Bot → Privileged Gateway Intents, " +
			"turn on MESSAGE CONTENT (for message points) and SERVER MEMBERS (for welcomes and invites); continuing without them")
		a.s.Identify.Intents = baseIntents
		err = a.s.Open()
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("discord gateway: %w", scrub(err, a.token))
	}
	a.log.Info("discord connected", "shard", a.shardID, "shards", a.shardCount)
	<-ctx.Done()
	a.inflight.Wait()
	return a.s.Close()
}

func (a *Adapter) dispatcher() bots.Dispatcher {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.d
}

// onReady registers the slash commands once the bot knows its application id.
func (a *Adapter) onReady(s *discordgo.Session, r *discordgo.Ready) {
	cl, ok := a.dispatcher().(commandLister)
	if !ok || r.User == nil {
		return
	}
	if _, err := s.ApplicationCommandBulkOverwrite(r.User.ID, a.guildID, slashCommands(cl)); err != nil {
		a.log.Error("registering slash commands failed", "guild", a.guildID, "err", scrub(err, a.token))
	}
}

// onGuildCreate caches the guild's invite counts, to see which invite a
// new member used.
func (a *Adapter) onGuildCreate(s *discordgo.Session, g *discordgo.GuildCreate) {
	invs, err := s.GuildInvites(g.ID)
	if err != nil {
		a.log.Warn("cannot read invites (the bot needs Manage Server to track them)", "guild", g.ID, "err", scrub(err, a.token))
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	m := map[string]invite{}
	for _, inv := range invs {
		m[inv.Code] = invite{uses: inv.Uses, inviter: userID(inv.Inviter)}
	}
	a.invites[g.ID] = m
}

func (a *Adapter) onInviteCreate(_ *discordgo.Session, inv *discordgo.InviteCreate) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.invites[inv.GuildID] == nil {
		a.invites[inv.GuildID] = map[string]invite{}
	}
	a.invites[inv.GuildID][inv.Code] = invite{uses: inv.Uses, inviter: userID(inv.Inviter)}
}

// usedInvite diffs the guild's invite counts against the cache.
func (a *Adapter) usedInvite(guildID string) (code, inviter string) {
	invs, err := a.s.GuildInvites(guildID)
	if err != nil {
		return "", ""
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	old := a.invites[guildID]
	m := map[string]invite{}
	for _, inv := range invs {
		m[inv.Code] = invite{uses: inv.Uses, inviter: userID(inv.Inviter)}
		if inv.Uses > old[inv.Code].uses {
			code, inviter = inv.Code, userID(inv.Inviter)
		}
	}
	a.invites[guildID] = m
	return code, inviter
}

func userID(u *discordgo.User) string {
	if u == nil {
		return ""
	}
	return u.ID
}

func (a *Adapter) onMemberAdd(s *discordgo.Session, m *discordgo.GuildMemberAdd) {
	if m.User == nil || m.User.Bot {
		return
	}
	a.inflight.Add(1)
	defer a.inflight.Done()
	ev := a.joinEvent(s, m)
	a.deliver(ev, a.dispatch(ev))
}

func (a *Adapter) onMemberRemove(_ *discordgo.Session, m *discordgo.GuildMemberRemove) {
	if m.User == nil || m.User.Bot {
		return
	}
	a.inflight.Add(1)
	defer a.inflight.Done()
	ev := a.leaveEvent(m)
	a.deliver(ev, a.dispatch(ev))
}

func displayName(u *discordgo.User, m *discordgo.Member) string {
	switch {
	case m != nil && m.Nick != "":
		return m.Nick
	case u.GlobalName != "":
		return u.GlobalName
	}
	return u.Username
}

// onMessage handles a chat message: free text for points and questions,
// or a "!command".
func (a *Adapter) onMessage(s *discordgo.Session, m *discordgo.MessageCreate) {
	if m.Author == nil || m.Author.Bot {
		return
	}
	a.inflight.Add(1)
	defer a.inflight.Done()
	ev := a.messageEvent(s, m)
	a.deliver(ev, a.dispatch(ev))
}

// memberRole grants manager to members with Manage Server (or
// Administrator), the guild owner, and holders of the manager role.
func (a *Adapter) memberRole(guildID string, m *discordgo.Member, userID string, perms int64) bots.Role {
	const manage = discordgo.PermissionManageGuild | discordgo.PermissionAdministrator
	if perms&manage != 0 {
		return bots.RoleManager
	}
	if guildID == "" || m == nil {
		return bots.RoleNone
	}
	for _, r := range m.Roles {
		if r == a.managerRole && r != "" {
			return bots.RoleManager
		}
	}
	if g, err := a.s.State.Guild(guildID); err == nil {
		if g.OwnerID == userID {
			return bots.RoleManager
		}
		for _, role := range g.Roles {
			for _, r := range m.Roles {
				if role.ID == r && role.Permissions&manage != 0 {
					return bots.RoleManager
				}
			}
		}
	}
	return bots.RoleNone
}

// deliver sends an event's replies: in its chat, or privately.
func (a *Adapter) deliver(ev *bots.Event, replies []bots.Reply) {
	for _, r := range replies {
		var err error
		if r.Private && ev.Chat != bots.ChatPrivate {
			err = a.sendPrivate(ev.UserID, r)
		} else {
			err = a.send(ev.ChatID, r, ev.MessageID)
		}
		if err != nil {
			a.log.Error("discord send failed", "chat", ev.ChatID, "err", scrub(err, a.token))
		}
	}
}

// Send delivers replies outside a conversation: to a channel, or as a
// direct message to a user.
func (a *Adapter) Send(_ context.Context, to bots.Address, replies ...bots.Reply) error {
	var errs []error
	for _, r := range replies {
		if to.UserID != "" {
			errs = append(errs, a.sendPrivate(to.UserID, r))
		} else {
			errs = append(errs, a.send(to.ChatID, r, ""))
		}
	}
	return errors.Join(errs...)
}

func (a *Adapter) sendPrivate(userID string, r bots.Reply) error {
	ch, err := a.s.UserChannelCreate(userID)
	if err != nil {
		return fmt.Errorf("open DM with %s: %w", userID, err)
	}
	return a.send(ch.ID, r, "")
}

// send posts a reply, split at 2,000 characters (or as an embed for a
// card), with mentions disabled so a member's text can never ping @everyone.
func (a *Adapter) send(channelID string, r bots.Reply, replyTo string) error {
	if embed, ok := card(r); ok {
		msg := &discordgo.MessageSend{Embeds: []*discordgo.MessageEmbed{embed}, Components: components(r),
			AllowedMentions: &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}}
		if replyTo != "" {
			msg.Reference = &discordgo.MessageReference{MessageID: replyTo, ChannelID: channelID, FailIfNotExists: new(bool)}
		}
		_, err := a.s.ChannelMessageSendComplex(channelID, msg)
		return err
	}
	parts := split(r.Text, maxMessage)
	for i, p := range parts {
		msg := &discordgo.MessageSend{Content: p, AllowedMentions: &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}}
		if i == 0 && replyTo != "" {
			msg.Reference = &discordgo.MessageReference{MessageID: replyTo, ChannelID: channelID, FailIfNotExists: new(bool)}
		}
		if i == len(parts)-1 {
			msg.Components = components(r)
		}
		if _, err := a.s.ChannelMessageSendComplex(channelID, msg); err != nil {
			return err
		}
	}
	return nil
}

// SyncTier gives a member the role of their new tier and takes the old
// one's away. Failures (a missing permission, a role above the bot's) are
// returned for the caller to report.
func (a *Adapter) SyncTier(_ context.Context, userID, from, to string) error {
	guild := a.guildID
	if guild == "" {
		for _, g := range a.s.State.Guilds {
			guild = g.ID
			break
		}
	}
	if guild == "" {
		return errors.New("discord: no guild to sync roles in")
	}
	var errs []error
	if id := a.tierRoles[to]; id != "" {
		if err := a.s.GuildMemberRoleAdd(guild, userID, id); err != nil {
			errs = append(errs, fmt.Errorf("add role %s (%s): %w", to, id, scrub(err, a.token)))
		}
	}
	if id := a.tierRoles[from]; id != "" && from != to {
		if err := a.s.GuildMemberRoleRemove(guild, userID, id); err != nil {
			errs = append(errs, fmt.Errorf("remove role %s (%s): %w", from, id, scrub(err, a.token)))
		}
	}
	return errors.Join(errs...)
}

// rewrite sends requests for discord.com to another base URL.
type rewrite struct {
	base *url.URL
	next http.RoundTripper
}

func (t rewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host == "discord.com" {
		r = r.Clone(r.Context())
		r.URL.Scheme, r.URL.Host = t.base.Scheme, t.base.Host
		r.URL.Path = strings.TrimRight(t.base.Path, "/") + r.URL.Path
		r.Host = t.base.Host
	}
	return t.next.RoundTrip(r)
}

func scrub(err error, token string) error {
	if err == nil {
		return nil
	}
	return errors.New(strings.ReplaceAll(err.Error(), token, "***"))
}

var _ bots.Adapter = (*Adapter)(nil)
