package telegram

import (
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"
	"github.com/loyalbot/loyalbot/bots"
)

// events turns one update into the events loyalbot handles: none for
// update types it does not use.
func (a *Adapter) events(upd *models.Update) []*bots.Event {
	id := "telegram:" + strconv.FormatInt(upd.ID, 10)
	switch {
	case upd.Message != nil:
		return a.messageEvents(id, upd.Message)
	case upd.CallbackQuery != nil:
		q := upd.CallbackQuery
		ev := a.userEvent(id, &q.From)
		ev.Kind, ev.Callback = bots.EventCallback, q.Data
		if m := q.Message.Message; m != nil {
			setChat(ev, m.Chat)
			ev.MessageID = strconv.Itoa(m.ID)
		} else if im := q.Message.InaccessibleMessage; im != nil {
			setChat(ev, im.Chat)
			ev.MessageID = strconv.Itoa(im.MessageID)
		} else {
			ev.ChatID, ev.Chat = strconv.FormatInt(q.From.ID, 10), bots.ChatPrivate
		}
		return []*bots.Event{ev}
	case upd.ChatMember != nil:
		cm := upd.ChatMember
		was, is := present(cm.OldChatMember.Type), present(cm.NewChatMember.Type)
		if was == is {
			return nil // a promotion or restriction, not a join or leave
		}
		u := memberUser(cm.NewChatMember)
		if u == nil {
			return nil
		}
		ev := a.userEvent(id, u)
		setChat(ev, cm.Chat)
		ev.Kind, ev.Time = bots.EventLeave, time.Unix(int64(cm.Date), 0)
		if is {
			ev.Kind = bots.EventJoin
			if cm.InviteLink != nil {
				ev.Invite = inviteName(cm.InviteLink)
			}
		}
		return []*bots.Event{ev}
	}
	return nil
}

func (a *Adapter) messageEvents(id string, m *models.Message) []*bots.Event {
	if m.From == nil || m.From.IsBot && len(m.NewChatMembers) == 0 {
		return nil
	}
	if len(m.NewChatMembers) > 0 { // the service message for members added or joining by link
		var evs []*bots.Event
		for i := range m.NewChatMembers {
			u := &m.NewChatMembers[i]
			if u.IsBot {
				continue
			}
			ev := a.userEvent(id+":"+strconv.Itoa(i), u)
			setChat(ev, m.Chat)
			ev.Kind = bots.EventJoin
			evs = append(evs, ev)
		}
		return evs
	}
	if m.LeftChatMember != nil {
		ev := a.userEvent(id, m.LeftChatMember)
		setChat(ev, m.Chat)
		ev.Kind = bots.EventLeave
		return []*bots.Event{ev}
	}
	text := m.Text
	if text == "" {
		text = m.Caption
	}
	if text == "" {
		return nil // stickers, photos without captions, service messages
	}
	ev := a.userEvent(id, m.From)
	setChat(ev, m.Chat)
	ev.Text, ev.MessageID, ev.Time = text, strconv.Itoa(m.ID), time.Unix(int64(m.Date), 0)
	if m.ReplyToMessage != nil {
		ev.ReplyTo = strconv.Itoa(m.ReplyToMessage.ID)
		ev.Mentioned = m.ReplyToMessage.From != nil && m.ReplyToMessage.From.Username == a.botName()
	}
	if name := a.botName(); name != "" && strings.Contains(strings.ToLower(text), "@"+strings.ToLower(name)) {
		ev.Mentioned = true
	}
	return []*bots.Event{ev}
}

func (a *Adapter) userEvent(id string, u *models.User) *bots.Event {
	name := strings.TrimSpace(u.FirstName + " " + u.LastName)
	return &bots.Event{
		ID:          id,
		Platform:    bots.Telegram,
		UserID:      strconv.FormatInt(u.ID, 10),
		Name:        name,
		Username:    u.Username,
		LangCode:    u.LanguageCode,
		BotUsername: a.botName(),
		Time:        time.Now(),
	}
}

func setChat(ev *bots.Event, c models.Chat) {
	ev.ChatID = strconv.FormatInt(c.ID, 10)
	ev.Chat = bots.ChatGroup
	if c.Type == models.ChatTypePrivate {
		ev.Chat, ev.Mentioned = bots.ChatPrivate, true
	}
}

// present reports whether a chat member status means "in the chat".
func present(t models.ChatMemberType) bool {
	switch t {
	case models.ChatMemberTypeOwner, models.ChatMemberTypeAdministrator, models.ChatMemberTypeMember, models.ChatMemberTypeRestricted:
		return true
	}
	return false
}

func memberUser(cm models.ChatMember) *models.User {
	switch {
	case cm.Owner != nil:
		return cm.Owner.User
	case cm.Administrator != nil:
		return &cm.Administrator.User
	case cm.Member != nil:
		return cm.Member.User
	case cm.Restricted != nil:
		return cm.Restricted.User
	case cm.Left != nil:
		return cm.Left.User
	case cm.Banned != nil:
		return cm.Banned.User
	}
	return nil
}

// inviteName names the invite link a member joined through: its name when
// the creator gave it one, else the link itself.
func inviteName(l *models.ChatInviteLink) string {
	if l.Name != "" {
		return l.Name
	}
	return l.InviteLink
}

// roleOf maps a chat member status to the role the platform grants.
func roleOf(cm *models.ChatMember) bots.Role {
	switch cm.Type {
	case models.ChatMemberTypeOwner, models.ChatMemberTypeAdministrator:
		return bots.RoleManager
	}
	return bots.RoleNone
}
