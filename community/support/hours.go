package support

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// OfficeHours are when people answer hand-off tickets, by weekday, in a
// time zone. The zero of *OfficeHours (nil) is always open.
type OfficeHours struct {
	zone  *time.Location
	spans [7][]span // by time.Weekday
}

// span is an opening from minute from to minute to of a day.
type span struct{ from, to int }

// ErrBadHours is wrapped by the errors ParseOfficeHours returns.
var ErrBadHours = errors.New("support: bad office hours")

var weekdays = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}

// ParseOfficeHours reads office hours such as "Mon-Fri 09:00-18:00, Sat
// 10:00-14:00" in zone: comma-separated parts, each a weekday or a range
// of weekdays (Mon-Fri, Sat-Sun) and a time range on a 24-hour clock. An
// empty spec returns nil: always open.
func ParseOfficeHours(spec string, zone *time.Location) (*OfficeHours, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" {
		return nil, nil
	}
	h := &OfficeHours{zone: zone}
	for _, part := range strings.Split(spec, ",") {
		days, hours, ok := strings.Cut(strings.TrimSpace(part), " ")
		if !ok {
			return nil, fmt.Errorf("%w: %q: want days and hours, such as \"Mon-Fri 09:00-18:00\"", ErrBadHours, part)
		}
		from, to, ok := strings.Cut(strings.ToLower(days), "-")
		if !ok {
			to = from
		}
		d0, ok0 := weekdays[from]
		d1, ok1 := weekdays[to]
		if !ok0 || !ok1 {
			return nil, fmt.Errorf("%w: %q: days are Mon, Tue, Wed, Thu, Fri, Sat, Sun", ErrBadHours, days)
		}
		open, closes, ok := strings.Cut(strings.TrimSpace(hours), "-")
		m0, err0 := minuteOf(open)
		m1, err1 := minuteOf(closes)
		if !ok || err0 != nil || err1 != nil || m1 <= m0 {
			return nil, fmt.Errorf("%w: %q: want opening and closing times such as 09:00-18:00", ErrBadHours, hours)
		}
		for d := d0; ; d = (d + 1) % 7 {
			h.spans[d] = append(h.spans[d], span{m0, m1})
			if d == d1 {
				break
			}
		}
	}
	return h, nil
}

// minuteOf reads "09:30" (or "24:00") as minutes after midnight.
func minuteOf(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "24:00" {
		return 24 * 60, nil
	}
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, err
	}
	return t.Hour()*60 + t.Minute(), nil
}

// Open reports whether t is within office hours.
func (h *OfficeHours) Open(t time.Time) bool {
	if h == nil {
		return true
	}
	t = t.In(h.zone)
	m := t.Hour()*60 + t.Minute()
	for _, s := range h.spans[t.Weekday()] {
		if m >= s.from && m < s.to {
			return true
		}
	}
	return false
}

// NextOpen returns when office hours next begin after t (t itself when
// they are open), in their time zone.
func (h *OfficeHours) NextOpen(t time.Time) time.Time {
	if h.Open(t) {
		return t
	}
	t = t.In(h.zone)
	for day := 0; day < 8; day++ {
		d := time.Date(t.Year(), t.Month(), t.Day()+day, 0, 0, 0, 0, h.zone)
		best := -1
		for _, s := range h.spans[d.Weekday()] {
			if at := d.Add(time.Duration(s.from) * time.Minute); at.After(t) && (best < 0 || s.from < best) {
				best = s.from
			}
		}
		if best >= 0 {
			return time.Date(d.Year(), d.Month(), d.Day(), best/60, best%60, 0, 0, h.zone)
		}
	}
	return t // no opening at all: cannot happen for parsed hours
}

// Zone returns the time zone the hours are in.
func (h *OfficeHours) Zone() *time.Location { return h.zone }
