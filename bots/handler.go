package bots

import (
	"context"
	"fmt"
)

// Handler answers one chat event. Returning an error means "no reply": the
// router turns it into a message for the member and logs it once.
type Handler interface {
	Handle(ctx context.Context, ev *Event) ([]Reply, error)
}

// HandlerFunc lets an ordinary function serve as a Handler.
type HandlerFunc func(ctx context.Context, ev *Event) ([]Reply, error)

// Handle calls f(ctx, ev).
func (f HandlerFunc) Handle(ctx context.Context, ev *Event) ([]Reply, error) { return f(ctx, ev) }

// Middleware wraps a Handler. Router.Use applies them in order, the first one outermost.
type Middleware func(next Handler) Handler

// UserError is a member's mistake (a bad argument, a missing permission).
// The router shows the catalogue message Key formatted with Args and does
// not log it as a failure.
type UserError struct {
	Key  string
	Args []any
}

func (e *UserError) Error() string { return fmt.Sprintf("user error %s %v", e.Key, e.Args) }

// Errorf returns a *UserError for message key with args.
func Errorf(key string, args ...any) error { return &UserError{Key: key, Args: args} }

// Dispatcher turns an event into replies; *Router is one. Adapters call it
// for every update they receive.
type Dispatcher interface {
	Dispatch(ctx context.Context, ev *Event) []Reply
}

// Address says where a message goes: a chat, or a user privately.
type Address struct {
	ChatID string // the chat to post in
	UserID string // when set, a private message to this platform user
}

// Adapter connects the router to one chat platform.
type Adapter interface {
	// Platform returns the platform's name, such as Telegram.
	Platform() string
	// Run receives updates and dispatches them until ctx is done, then
	// finishes in-flight work and returns.
	Run(ctx context.Context, d Dispatcher) error
	// Send delivers replies outside a conversation: notifications and broadcasts.
	Send(ctx context.Context, to Address, replies ...Reply) error
}
