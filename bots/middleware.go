package bots

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"
)

// Recover turns a panicking handler into a polite reply for the member and
// one log line, with the stack, for the operator.
func Recover(log *slog.Logger) Middleware {
	return func(next Handler) Handler {
		return HandlerFunc(func(ctx context.Context, ev *Event) (replies []Reply, err error) {
			defer func() {
				if p := recover(); p != nil {
					id := newErrorID()
					log.ErrorContext(ctx, "handler panicked", "platform", ev.Platform, "member", ev.Member,
						"cmd", ev.Command, "event_id", ev.ID, "err_id", id, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
					replies, err = nil, &loggedError{id: id, err: fmt.Errorf("panic: %v", p)}
				}
			}()
			return next.Handle(ctx, ev)
		})
	}
}

// Identity is what a Resolver knows about the sender of an event.
type Identity struct {
	Member uint64
	Role   Role
	Locale string // the member's chosen locale, "" for none
	New    bool   // registered by this event
	// BrandChat is true when the event's chat belongs to the community, so
	// the platform's own roles (a group administrator) count there.
	BrandChat bool
}

// Resolver maps a platform user to a loyalbot member, registering newcomers.
type Resolver interface {
	Resolve(ctx context.Context, ev *Event) (Identity, error)
}

// Identify resolves the sender to a member and sets ev.Member, ev.Role and
// ev.Locale (the member's choice, else the platform's language, else
// English). The role is loyalbot's own, raised to the platform's (at most
// RoleManager) only inside a brand chat: administering some other group
// the bot was added to grants nothing.
func Identify(res Resolver) Middleware {
	return func(next Handler) Handler {
		return HandlerFunc(func(ctx context.Context, ev *Event) ([]Reply, error) {
			id, err := res.Resolve(ctx, ev)
			if err != nil {
				return nil, fmt.Errorf("identify %s user %s: %w", ev.Platform, ev.UserID, err)
			}
			ev.Member, ev.NewMember, ev.BrandChat = id.Member, id.New, id.BrandChat
			ev.Role = id.Role
			if id.BrandChat {
				ev.Role = max(ev.Role, min(ev.PlatformRole, RoleManager))
			}
			switch {
			case id.Locale != "":
				ev.Locale = id.Locale
			case LocaleFor(ev.LangCode) != "":
				ev.Locale = LocaleFor(ev.LangCode)
			}
			return next.Handle(ctx, ev)
		})
	}
}

// RateLimit gives each sender a bucket of burst commands that refills at
// one per interval. A command over the limit gets one polite warning; more
// are dropped silently until the bucket refills. Plain messages, joins and
// leaves are not limited. now is the clock (time.Now in production).
//
// Buckets live in a Cache of at most maxRateBuckets senders: an idle
// bucket is full again after burst intervals and is forgotten then, and
// past the bound the least recently active sender's bucket goes first.
func RateLimit(burst int, interval time.Duration, now func() time.Time) Middleware {
	type bucket struct {
		tokens float64
		last   time.Time
		warned bool
	}
	buckets := NewCache[string, bucket](maxRateBuckets, time.Duration(burst)*interval, now)
	return func(next Handler) Handler {
		return HandlerFunc(func(ctx context.Context, ev *Event) ([]Reply, error) {
			if ev.Command == "" {
				return next.Handle(ctx, ev)
			}
			t := now()
			var allowed, warn bool
			buckets.Update(ev.Platform+"\x00"+ev.UserID, func(b bucket, found bool) bucket {
				if !found {
					b = bucket{tokens: float64(burst), last: t}
				}
				b.tokens = min(float64(burst), b.tokens+t.Sub(b.last).Seconds()/interval.Seconds())
				b.last = t
				allowed = b.tokens >= 1
				if allowed {
					b.tokens--
					b.warned = false
				} else if !b.warned {
					b.warned, warn = true, true
				}
				return b
			})
			switch {
			case warn:
				return nil, Errorf("error.rate_limited")
			case !allowed:
				return nil, nil
			}
			return next.Handle(ctx, ev)
		})
	}
}

// maxRateBuckets bounds RateLimit's memory: senders active within the
// refill time beyond this many share the oldest one's fate (forgotten).
const maxRateBuckets = 100_000
