package discord

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
	"github.com/loyalbot/loyalbot/bots"
)

// maxMessage is Discord's limit on a message's content, in characters.
const maxMessage = 2000

// personal commands answer ephemerally: only the member sees the reply.
var personal = map[string]bool{"points": true, "history": true, "profile": true, "export": true, "erase": true, "link": true,
	"ref": true, "referrals": true, "submissions": true, "human": true, "lang": true}

// slashCommands turns the router's commands into Discord's, with Chinese
// (zh-CN) descriptions and, for manager commands, Manage Server as the
// default permission.
func slashCommands(cl commandLister) []*discordgo.ApplicationCommand {
	cat := cl.Catalog()
	manage := int64(discordgo.PermissionManageGuild)
	var out []*discordgo.ApplicationCommand
	for _, c := range cl.Commands(bots.RoleOwner) {
		ac := &discordgo.ApplicationCommand{
			Name:                     c.Name,
			Description:              clip(cat.Format(bots.English, c.Help), 100),
			DescriptionLocalizations: &map[discordgo.Locale]string{discordgo.ChineseCN: clip(cat.Format(bots.Chinese, c.Help), 100)},
		}
		for _, al := range c.Aliases {
			if r, _ := utf8.DecodeRuneInString(al); r > 0x2E80 { // a Chinese alias names the command in Chinese
				ac.NameLocalizations = &map[discordgo.Locale]string{discordgo.ChineseCN: al}
			}
		}
		if c.Role >= bots.RoleManager {
			ac.DefaultMemberPermissions = &manage
		}
		for _, arg := range c.Args {
			if arg.Hidden {
				continue
			}
			ac.Options = append(ac.Options, option(arg))
		}
		out = append(out, ac)
	}
	return out
}

func option(a bots.Arg) *discordgo.ApplicationCommandOption {
	o := &discordgo.ApplicationCommandOption{Name: a.Name, Description: a.Name, Required: !a.Optional, Type: discordgo.ApplicationCommandOptionString}
	switch a.Kind {
	case bots.ArgMember:
		o.Type = discordgo.ApplicationCommandOptionUser
	case bots.ArgInt:
		o.Type = discordgo.ApplicationCommandOptionInteger
		if a.Min != 0 || a.Max != 0 {
			lo := float64(a.Min)
			o.MinValue, o.MaxValue = &lo, float64(min(a.Max, 1<<53))
		}
	case bots.ArgWord:
		for _, ch := range a.Choices {
			o.Choices = append(o.Choices, &discordgo.ApplicationCommandOptionChoice{Name: ch, Value: ch})
		}
	}
	return o
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// onInteraction answers slash commands and button presses within Discord's
// three seconds: it defers at once (ephemerally for personal commands),
// dispatches, then edits in the reply and sends any others as follow-ups.
func (a *Adapter) onInteraction(s *discordgo.Session, i *discordgo.InteractionCreate) {
	a.inflight.Add(1)
	defer a.inflight.Done()
	ev, ephemeral, ok := a.interactionEvent(i)
	if !ok {
		return
	}
	resp := discordgo.InteractionResponseDeferredChannelMessageWithSource
	if ev.Kind == bots.EventCallback {
		resp = discordgo.InteractionResponseDeferredMessageUpdate
	}
	ack := &discordgo.InteractionResponse{Type: resp}
	if ephemeral {
		ack.Data = &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral}
	}
	if err := s.InteractionRespond(i.Interaction, ack); err != nil {
		a.log.Warn("interaction not acknowledged in time", "err", scrub(err, a.token))
		return
	}
	replies := a.dispatch(ev)
	none := []bots.Reply{{Text: "✅"}}
	if len(replies) == 0 {
		replies = none
	}
	for n, r := range replies {
		parts := split(r.Text, maxMessage)
		noPing := &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
		if n == 0 {
			comps := components(r)
			edit := &discordgo.WebhookEdit{Content: &parts[0], Components: &comps, AllowedMentions: noPing}
			if embed, ok := card(r); ok {
				empty := ""
				edit.Content, edit.Embeds, parts = &empty, &[]*discordgo.MessageEmbed{embed}, parts[:1]
			}
			if _, err := s.InteractionResponseEdit(i.Interaction, edit); err != nil {
				a.log.Error("interaction reply failed", "chat", ev.ChatID, "err", scrub(err, a.token))
			}
			parts = parts[1:]
		}
		for _, p := range parts {
			params := &discordgo.WebhookParams{Content: p, AllowedMentions: noPing}
			if ephemeral || r.Private {
				params.Flags = discordgo.MessageFlagsEphemeral
			}
			if _, err := s.FollowupMessageCreate(i.Interaction, false, params); err != nil {
				a.log.Error("interaction follow-up failed", "chat", ev.ChatID, "err", scrub(err, a.token))
			}
		}
	}
}

// commandLine rebuilds "/give <@123> 50 welcome gift" from a slash
// command's options, in the order the command declares them.
func commandLine(data discordgo.ApplicationCommandInteractionData) string {
	var b strings.Builder
	b.WriteString("/" + data.Name)
	for _, o := range data.Options {
		b.WriteByte(' ')
		switch o.Type {
		case discordgo.ApplicationCommandOptionUser:
			b.WriteString("<@" + fmt.Sprint(o.Value) + ">")
		case discordgo.ApplicationCommandOptionInteger, discordgo.ApplicationCommandOptionNumber:
			if f, ok := o.Value.(float64); ok {
				b.WriteString(strconv.FormatInt(int64(f), 10))
			} else {
				b.WriteString(fmt.Sprint(o.Value))
			}
		default:
			v := fmt.Sprint(o.Value)
			if strings.ContainsAny(v, " \t\"") && o.Name != "reason" && o.Name != "text" && o.Name != "note" && o.Name != "filter" && o.Name != "rest" {
				v = strconv.Quote(v)
			}
			b.WriteString(v)
		}
	}
	return b.String()
}

// components turns reply buttons into action rows (five buttons a row, a
// custom id of at most 100 characters).
func components(r bots.Reply) []discordgo.MessageComponent {
	var rows []discordgo.MessageComponent
	for _, row := range r.Buttons {
		var btns []discordgo.MessageComponent
		for _, b := range row {
			if len(b.Data) > 100 || len(btns) == 5 {
				continue
			}
			btns = append(btns, discordgo.Button{Label: clip(b.Label, 80), CustomID: b.Data, Style: discordgo.PrimaryButton})
		}
		if len(btns) > 0 {
			rows = append(rows, discordgo.ActionsRow{Components: btns})
		}
	}
	return rows
}

// split cuts text into messages of at most limit characters, at line
// breaks where it can.
func split(text string, limit int) []string {
	var parts []string
	var cur strings.Builder
	n := 0
	for _, line := range strings.SplitAfter(text, "\n") {
		l := utf8.RuneCountInString(line)
		if n+l > limit && n > 0 {
			parts = append(parts, strings.TrimRight(cur.String(), "\n"))
			cur.Reset()
			n = 0
		}
		for l > limit {
			r := []rune(line)
			parts = append(parts, string(r[:limit]))
			line, l = string(r[limit:]), l-limit
		}
		cur.WriteString(line)
		n += l
	}
	if n > 0 || len(parts) == 0 {
		parts = append(parts, strings.TrimRight(cur.String(), "\n"))
	}
	return parts
}

// embedColor is the brand-neutral green of loyalbot's cards.
const embedColor = 0x3BA55D

// card renders a card reply as an embed: its first line the title, the
// rest the description. ok is false for other replies and for cards too
// long for an embed (they go as text).
func card(r bots.Reply) (*discordgo.MessageEmbed, bool) {
	if !r.Card {
		return nil, false
	}
	title, desc, _ := strings.Cut(r.Text, "\n")
	title = strings.TrimRight(title, ":：")
	if utf8.RuneCountInString(title) > 256 || utf8.RuneCountInString(desc) > 4096 {
		return nil, false
	}
	return &discordgo.MessageEmbed{Title: title, Description: desc, Color: embedColor}, true
}
