package bots

// Reply is one message the bot sends back. Adapters render it in their
// platform's form: escaping, length limits, keyboards, ephemeral answers.
type Reply struct {
	Text string
	// Buttons are rows of buttons. Where the platform has no buttons they
	// are shown as the commands they run.
	Buttons [][]Button
	// Private sends the reply only to the member: a direct message, or an
	// ephemeral answer where the platform has them.
	Private bool
	// ReplyTo quotes a message, usually the member's own.
	ReplyTo string
	// Card marks a list (leaderboard, catalogue) whose first line is its
	// title: platforms with rich cards (Discord embeds) show it as one;
	// others show the text as it is.
	Card bool
}

// Button is a button under a reply. Pressing it sends Data through the
// router as if the member had typed it, so Data is a command line such as
// "/redeem mug confirm".
type Button struct {
	Label string
	Data  string
}

// Say returns one reply with the message key formatted in the event's locale.
func Say(ev *Event, key string, args ...any) []Reply {
	return []Reply{{Text: ev.T(key, args...)}}
}

// SayPrivately is Say for a reply only the member sees.
func SayPrivately(ev *Event, key string, args ...any) []Reply {
	return []Reply{{Text: ev.T(key, args...), Private: true}}
}
