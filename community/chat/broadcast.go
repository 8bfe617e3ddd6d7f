package chat

import (
	"context"
	"strings"
	"unicode"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/community"
	"github.com/loyalbot/loyalbot/loyalty/insights"
)

// Broadcast is /broadcast: a message to every brand group, or with --segment privately to one RFM segment.
type Broadcast struct{ *base }

// Register adds the commands to r.
func (c *Broadcast) Register(r *bots.Router) {
	broadcastMessages.addTo(r)
	cmd := bots.Command{Name: "broadcast", Help: "cmd.broadcast", Role: bots.RoleManager, Args: []bots.Arg{{Name: "text", Kind: bots.ArgText, Max: 3500}}, Handler: bots.HandlerFunc(c.broadcast)}
	if c.orders != nil { // segments come from the shop's orders
		cmd.Variants = []bots.Variant{{
			Args: []bots.Arg{bots.Literal("--segment"), {Name: "segment"}, {Name: "text", Kind: bots.ArgText}},
			Help: "cmd.broadcast_segment", Role: bots.RoleManager,
		}}
	}
	r.Handle(cmd)
}

// broadcast sends text to every brand group chat, or with --segment to
// the members of one RFM segment privately.
func (c *Broadcast) broadcast(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	if c.notify == nil {
		return bots.Say(ev, "broadcast.none"), nil
	}
	text := ev.Arg("text")
	first, rest := cutFlag(text)
	if seg, ok := strings.CutPrefix(first, "--segment="); ok { // --segment=at-risk
		first, rest = "--segment", seg+" "+rest
	}
	if first == "--segment" {
		if c.orders == nil {
			return bots.Say(ev, "segment.no_shop"), nil
		}
		return c.broadcastSegment(ctx, ev, rest)
	}
	if isFlag(first) { // a flag mistyped must not reach every group
		return bots.Say(ev, "broadcast.unknown_flag", first), nil
	}
	sent, total, err := c.admin.Broadcast(ctx, community.ActorOf(ev), text)
	if err != nil {
		return nil, err
	}
	if total == 0 {
		return bots.Say(ev, "broadcast.none"), nil
	}
	return []bots.Reply{{Text: ev.TN("broadcast.ok", int64(total), sent, total)}}, nil
}

// cutFlag splits off the first word of a broadcast, read as a flag the way
// phones and hurried managers type it: any case, an em or en dash for the
// two hyphens autocorrect joins, any white space after it.
func cutFlag(text string) (first, rest string) {
	text = strings.TrimSpace(text)
	i := strings.IndexFunc(text, unicode.IsSpace)
	if i < 0 {
		i = len(text)
	}
	first, rest = text[:i], strings.TrimSpace(text[i:])
	for _, dash := range []string{"—", "–", "−"} {
		if r, ok := strings.CutPrefix(first, dash); ok {
			first = "--" + strings.TrimLeft(r, "-")
		}
	}
	if strings.HasPrefix(first, "--") {
		flag, value, hasValue := strings.Cut(first, "=")
		first = strings.ToLower(flag)
		if hasValue {
			first += "=" + value
		}
	}
	return first, rest
}

// isFlag reports whether word reads as an option: two dashes and a letter.
func isFlag(word string) bool {
	r, ok := strings.CutPrefix(word, "--")
	return ok && r != "" && unicode.IsLetter([]rune(r)[0])
}

// cutSegment splits "at-risk We miss you" or "\"Can't Lose Them\" Come
// back" into the segment as typed and the message, which loses the quotes
// around it when it is quoted whole.
func cutSegment(rest string) (name, text string) {
	rest = strings.TrimSpace(rest)
	if rest == "" {
		return "", ""
	}
	if q := rest[0]; q == '"' || q == '\'' {
		// A quoted name may hold the other quote: "Can't Lose Them".
		if end := strings.IndexByte(rest[1:], q); end >= 0 {
			name, text = rest[1:1+end], rest[2+end:]
		}
	} else if i := strings.IndexFunc(rest, unicode.IsSpace); i >= 0 {
		name, text = rest[:i], rest[i:]
	} else {
		name = rest
	}
	text = strings.TrimSpace(text)
	for _, q := range [][2]string{{`"`, `"`}, {`'`, `'`}, {"“", "”"}, {"「", "」"}} {
		if len(text) >= len(q[0])+len(q[1]) && strings.HasPrefix(text, q[0]) && strings.HasSuffix(text, q[1]) {
			text = strings.TrimSpace(text[len(q[0]) : len(text)-len(q[1])])
			break
		}
	}
	return name, text
}

// segmentUsage lists the segments as typed, with their names.
func (c *Broadcast) segmentUsage(ev *bots.Event) []bots.Reply {
	var names []string
	for _, s := range insights.Segments() {
		names = append(names, ev.T("segment.usage_item", segmentCode(s), segmentName(ev, s)))
	}
	return bots.Say(ev, "segment.usage", strings.Join(names, ", "))
}

// broadcastSegment messages, privately, the members whose shop customer is
// in one RFM segment: "/broadcast --segment at-risk We miss you!". Members
// who turned marketing off are left out.
func (c *Broadcast) broadcastSegment(ctx context.Context, ev *bots.Event, rest string) ([]bots.Reply, error) {
	name, text := cutSegment(rest)
	segment := matchSegment(name)
	if segment == "" || text == "" {
		return c.segmentUsage(ev), nil
	}
	sent, optedOut, err := c.admin.BroadcastSegment(ctx, community.ActorOf(ev), segment, segmentCode(segment), text)
	if err != nil {
		return nil, err
	}
	return []bots.Reply{{Text: ev.TN("segment.sent", int64(sent), segmentName(ev, segment), sent, optedOut)}}, nil
}

// broadcastMessages are the messages broadcast.go renders.
var broadcastMessages = messages{
	bots.English: {
		"cmd.broadcast_segment":  "message the members of one customer segment privately; /segments lists them",
		"broadcast.unknown_flag": "I don't know the option %s, so I sent nothing. To message a segment: /broadcast --segment <segment> <text>.",
		"broadcast.ok#one":       "Broadcast sent to %d of %d group chat.",
		"broadcast.ok#other":     "Broadcast sent to %d of %d group chats.",
		"broadcast.none":         "There is nowhere to broadcast to yet.",
	},
	bots.Chinese: {
		"cmd.broadcast_segment":  "私信发送给某个客户分群的成员，分群见 /segments",
		"broadcast.unknown_flag": "不认识选项 %s，所以什么都没有发送。发给某个分群：/broadcast --segment <分群> <内容>。",
		"broadcast.ok#other":     "广播已发送到 %d/%d 个群。",
		"broadcast.none":         "还没有可以广播的群。",
	},
}
