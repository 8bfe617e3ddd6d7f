package discord

import (
	"context"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/loyalbot/loyalbot/bots"
)

// This file is the one place where Discord updates become bots.Events
// and are dispatched; the handlers in adapter.go and interactions.go only
// deliver the replies.

// messageEvent turns a message into an event: free text, or a "!command"
// (with the author's platform role, which counts only in a brand chat).
func (a *Adapter) messageEvent(s *discordgo.Session, m *discordgo.MessageCreate) *bots.Event {
	ev := &bots.Event{ID: "discord:" + m.ID, Platform: bots.Discord, Kind: bots.EventMessage, ChatID: m.ChannelID, Server: m.GuildID, MessageID: m.ID,
		UserID: m.Author.ID, Name: displayName(m.Author, m.Member), Username: m.Author.Username, LangCode: m.Author.Locale,
		Text: m.Content, Time: m.Timestamp}
	if m.GuildID == "" {
		ev.Chat, ev.Mentioned = bots.ChatPrivate, true
	}
	if s.State.User != nil {
		ev.BotUsername = s.State.User.Username
		for _, u := range m.Mentions {
			ev.Mentioned = ev.Mentioned || u.ID == s.State.User.ID
		}
	}
	if m.MessageReference != nil {
		ev.ReplyTo = m.MessageReference.MessageID
	}
	if cmd, ok := strings.CutPrefix(ev.Text, a.prefix); ok && cmd != "" && !strings.HasPrefix(cmd, " ") {
		ev.Text = "/" + cmd
		ev.PlatformRole = a.memberRole(m.GuildID, m.Member, m.Author.ID, 0)
	}
	return ev
}

// joinEvent is a member joining a guild, with the invite they used. Its
// id carries the join time, so a redelivered join is recognised.
func (a *Adapter) joinEvent(s *discordgo.Session, m *discordgo.GuildMemberAdd) *bots.Event {
	ev := a.memberEvent(m.Member, m.GuildID, m.JoinedAt)
	ev.Kind, ev.ID = bots.EventJoin, "discord:join:"+m.GuildID+":"+m.User.ID+":"+m.JoinedAt.UTC().Format(time.RFC3339)
	a.joins.Put(m.GuildID+":"+m.User.ID, m.JoinedAt)
	ev.Invite, ev.Inviter = a.usedInvite(m.GuildID)
	if g, err := s.State.Guild(m.GuildID); err == nil && g.SystemChannelID != "" {
		ev.ChatID = g.SystemChannelID
	}
	return ev
}

// leaveEvent is a member leaving a guild. Discord's event has no id or
// time of its own, so its id names the join it ends: a redelivered leave
// has the same id, a leave after rejoining another. The join comes from the
// event, else from the joins this process saw (bounded), else it is left
// out (one leave per member is then recognised across restarts).
func (a *Adapter) leaveEvent(m *discordgo.GuildMemberRemove) *bots.Event {
	joined := time.Time{}
	if !m.JoinedAt.IsZero() {
		joined = m.JoinedAt
	} else if t, ok := a.joins.Get(m.GuildID + ":" + m.User.ID); ok {
		joined = t
	}
	ev := a.memberEvent(m.Member, m.GuildID, a.now())
	ev.Kind, ev.ID = bots.EventLeave, "discord:leave:"+m.GuildID+":"+m.User.ID
	if !joined.IsZero() {
		ev.ID += ":" + joined.UTC().Format(time.RFC3339)
	}
	return ev
}

func (a *Adapter) memberEvent(m *discordgo.Member, guildID string, at time.Time) *bots.Event {
	return &bots.Event{Platform: bots.Discord, UserID: m.User.ID, Name: displayName(m.User, m), Username: m.User.Username,
		LangCode: m.User.Locale, Time: at, ChatID: guildID, Server: guildID}
}

// interactionEvent turns a slash command or a button press into an event.
// Its time is the interaction's snowflake time, so a retried interaction
// carries the time it was made. ok is false for other interaction types.
func (a *Adapter) interactionEvent(i *discordgo.InteractionCreate) (ev *bots.Event, ephemeral, ok bool) {
	u := i.User
	if i.Member != nil {
		u = i.Member.User
	}
	if u == nil {
		return nil, false, false
	}
	at, err := discordgo.SnowflakeTimestamp(i.ID)
	if err != nil {
		at = a.now()
	}
	ev = &bots.Event{ID: "discord:" + i.ID, Platform: bots.Discord, ChatID: i.ChannelID, Server: i.GuildID, UserID: u.ID, Name: displayName(u, i.Member),
		Username: u.Username, LangCode: string(i.Locale), Time: at, Mentioned: true}
	if i.GuildID == "" {
		ev.Chat = bots.ChatPrivate
	}
	if i.Member != nil {
		ev.PlatformRole = a.memberRole(i.GuildID, i.Member, u.ID, i.Member.Permissions)
	}
	switch i.Type {
	case discordgo.InteractionApplicationCommand:
		data := i.ApplicationCommandData()
		ev.Kind, ev.Text = bots.EventMessage, commandLine(data)
		return ev, personal[data.Name], true
	case discordgo.InteractionMessageComponent:
		ev.Kind, ev.Callback = bots.EventCallback, i.MessageComponentData().CustomID
		if i.Message != nil {
			ev.MessageID = i.Message.ID
		}
		return ev, false, true
	}
	return nil, false, false
}

// dispatch hands an event to the dispatcher within a bounded context
// (discordgo calls handlers without one; Run waits for them at shutdown).
func (a *Adapter) dispatch(ev *bots.Event) []bots.Reply {
	d := a.dispatcher()
	if d == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return d.Dispatch(ctx, ev)
}
