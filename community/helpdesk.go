package community

import (
	"github.com/loyalbot/loyalbot/community/support"
)

// WithSupport enables customer service: answers to questions in private
// chats and mentions, and hand-off tickets.
func WithSupport(a *support.Assistant, t *support.Tickets) Option {
	return func(c *Community) { c.assistant, c.tickets = a, t }
}
