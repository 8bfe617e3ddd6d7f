package bots

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
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
}

// Resolver maps a platform user to a loyalbot member, registering newcomers.
type Resolver interface {
	Resolve(ctx context.Context, ev *Event) (Identity, error)
}

// Identify resolves the sender to a member and sets ev.Member, ev.Role
// (the higher of loyalbot's role and the platform's) and ev.Locale (the
// member's choice, else the platform's language, else English).
func Identify(res Resolver) Middleware {
	return func(next Handler) Handler {
		return HandlerFunc(func(ctx context.Context, ev *Event) ([]Reply, error) {
			id, err := res.Resolve(ctx, ev)
			if err != nil {
				return nil, fmt.Errorf("identify %s user %s: %w", ev.Platform, ev.UserID, err)
			}
			ev.Member, ev.NewMember = id.Member, id.New
			ev.Role = max(id.Role, ev.PlatformRole)
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
func RateLimit(burst int, interval time.Duration, now func() time.Time) Middleware {
	type bucket struct {
		tokens float64
		last   time.Time
		warned bool
	}
	var mu sync.Mutex
	buckets := map[string]*bucket{}
	return func(next Handler) Handler {
		return HandlerFunc(func(ctx context.Context, ev *Event) ([]Reply, error) {
			if ev.Command == "" {
				return next.Handle(ctx, ev)
			}
			key := ev.Platform + "\x00" + ev.UserID
			t := now()
			mu.Lock()
			b := buckets[key]
			if b == nil {
				b = &bucket{tokens: float64(burst), last: t}
				buckets[key] = b
				if len(buckets) > 100_000 { // forget full buckets so the map stays bounded
					for k, o := range buckets {
						if t.Sub(o.last) > time.Duration(burst)*interval {
							delete(buckets, k)
						}
					}
				}
			}
			b.tokens = min(float64(burst), b.tokens+t.Sub(b.last).Seconds()/interval.Seconds())
			b.last = t
			allowed := b.tokens >= 1
			warn := false
			if allowed {
				b.tokens--
				b.warned = false
			} else if !b.warned {
				b.warned, warn = true, true
			}
			mu.Unlock()
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
