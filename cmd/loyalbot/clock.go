package main

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// clock is an App's one clock: the machine's (or a test's) time, moved
// forward by the shell's "!clock". Every service reads it.
type clock struct {
	base func() time.Time

	mu    sync.Mutex
	shift time.Duration
}

// Now returns the time.
func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.base().Add(c.shift)
}

// advance moves the clock forward by d.
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.shift += d
	c.mu.Unlock()
}

var durationPart = regexp.MustCompile(`(\d+)([dhms]|min)`)

// parseShift reads "+1d", "+2h30m", "+90m" or a time ("2027-01-02",
// "2027-01-02T08:00:00Z") and returns how far forward that is from now.
func parseShift(arg string, now time.Time) (time.Duration, error) {
	if rest, ok := strings.CutPrefix(arg, "+"); ok {
		var d time.Duration
		if durationPart.ReplaceAllString(rest, "") != "" || rest == "" {
			return 0, fmt.Errorf("%q is not a step like +1d, +2h30m or +90m", arg)
		}
		for _, m := range durationPart.FindAllStringSubmatch(rest, -1) {
			n, err := strconv.ParseInt(m[1], 10, 64)
			if err != nil || n > 100*365 {
				return 0, fmt.Errorf("%q is too far", arg)
			}
			unit := map[string]time.Duration{"d": 24 * time.Hour, "h": time.Hour, "m": time.Minute, "min": time.Minute, "s": time.Second}[m[2]]
			d += time.Duration(n) * unit
		}
		return d, nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04", time.DateOnly} {
		if t, err := time.ParseInLocation(layout, arg, time.UTC); err == nil {
			if t.Before(now) {
				return 0, fmt.Errorf("the clock only moves forward: it is %s already", now.UTC().Format("2006-01-02 15:04"))
			}
			return t.Sub(now), nil
		}
	}
	return 0, fmt.Errorf("%q is neither a step (+1d) nor a time (2027-01-02)", arg)
}

// clockDirective is the shell's "!clock [+1d | time]": it shows the time,
// or moves it forward and runs the scheduled jobs that became due. The
// campaigns run in order on the way: the clock stops at each step that
// falls due and at least once a day, so a three-day wait inside a
// seven-day jump happens on its day.
func (a *App) clockDirective(ctx context.Context, arg string) string {
	if arg != "" {
		d, err := parseShift(arg, a.clock.Now())
		if err != nil {
			return err.Error()
		}
		if err := a.travel(ctx, a.clock.Now().Add(d)); err != nil {
			return err.Error()
		}
	}
	text := "the time is " + a.clock.Now().UTC().Format("2006-01-02 15:04 UTC")
	if arg != "" {
		if ran := a.Scheduler.RunDue(ctx); len(ran) > 0 {
			a.ran = append(a.ran, ran...)
		}
		if len(a.ran) > 0 {
			text += "; ran " + strings.Join(slices.Compact(slices.Sorted(slices.Values(a.ran))), ", ")
		}
		a.ran = nil
		a.Scheduler.Wake()
	}
	return text
}

// travel moves the clock to target, running the campaigns at each step
// due before it and once a day.
func (a *App) travel(ctx context.Context, target time.Time) error {
	for {
		now := a.clock.Now()
		next := now.Add(24 * time.Hour)
		if due, ok, err := a.Lifecycle.Engine().NextDue(ctx); err != nil {
			return err
		} else if ok && due.Before(next) {
			next = due
		}
		if !next.After(now) {
			next = now.Add(time.Second) // a step due now ran already: move on
		}
		if !next.Before(target) {
			break
		}
		a.clock.advance(next.Sub(now))
		a.ran = append(a.ran, a.Scheduler.RunDue(ctx)...) // expiry and the rest on the way, not only at the end
		if err := a.runCampaigns(ctx, next); err != nil {
			return err
		}
	}
	a.clock.advance(target.Sub(a.clock.Now()))
	return nil
}
