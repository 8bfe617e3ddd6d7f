package campaign

import (
	"context"
	"strconv"
	"time"
)

// triggers evaluates the triggers that are not events.
type triggers struct{ *Engine }

// scan evaluates the triggers that are not events: inactivity, dates,
// points expiring and schedules. Each keeps a watermark in its state, so
// a scan reads only what changed since the last (an inactivity scan reads
// the members whose last activity crossed the line since), and every
// entry names its occurrence, so a repeated scan enters no one twice.
func (e *triggers) scan(ctx context.Context, now time.Time, rep *TickReport) error {
	for _, c := range e.current() {
		if c.def.Off {
			continue
		}
		var st State
		if err := e.store.View(ctx, func(tx ReadTx) error {
			var err error
			st, err = tx.State(c.def.ID)
			return err
		}); err != nil {
			return err
		}
		if st.Paused {
			continue
		}
		t := c.def.Trigger
		var err error
		switch {
		case t.InactiveDays > 0:
			err = e.scanInactive(ctx, c, st, now, rep)
		case t.Date != "":
			err = e.scanDates(ctx, c, st, now, rep)
		case t.ExpiringWithin > 0:
			err = e.scanExpiry(ctx, c, st, now, rep)
		case t.Every > 0 || !t.At.IsZero():
			err = e.scanSchedule(ctx, c, st, now, rep)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// candidate is a member a scan found, with the occurrence and time of
// their entry.
type candidate struct {
	member uint64
	occ    string
	at     time.Time
}

// scanBatch is how many members a scan enters in one transaction.
const scanBatch = 5000

// enterAll enters the candidates in transactions of scanBatch, and stores
// st (the new watermark) with the last.
func (e *triggers) enterAll(ctx context.Context, c *compiled, cands []candidate, st State, rep *TickReport) error {
	for start := 0; ; start += scanBatch {
		end := min(start+scanBatch, len(cands))
		ids := make([]uint64, 0, end-start)
		for _, cd := range cands[start:end] {
			ids = append(ids, cd.member)
		}
		members, err := e.audience.Members(ctx, ids)
		if err != nil {
			return err
		}
		err = e.store.Update(ctx, func(tx Tx) error {
			b := newBatch(tx)
			for _, cd := range cands[start:end] {
				if m, ok := members[cd.member]; ok {
					if err := e.enter(b, c, m, cd.occ, later(cd.at, st.First), nil, rep); err != nil {
						return err
					}
				}
			}
			if err := b.flush(); err != nil {
				return err
			}
			if end < len(cands) {
				return nil
			}
			cur, err := tx.State(c.def.ID)
			if err != nil {
				return err
			}
			st.Paused = cur.Paused // a pause since the scan began stays
			return tx.PutState(c.def.ID, st)
		})
		if err != nil || end == len(cands) {
			return err
		}
	}
}

func (e *triggers) scanInactive(ctx context.Context, c *compiled, st State, now time.Time, rep *TickReport) error {
	span := time.Duration(c.def.Trigger.InactiveDays) * 24 * time.Hour
	cutoff := now.Add(-span)
	if !cutoff.After(st.Watermark) {
		return nil
	}
	var cands []candidate
	err := e.audience.ActiveBetween(ctx, st.Watermark, cutoff, func(id uint64, active time.Time) error {
		cands = append(cands, candidate{member: id, occ: "inactive:" + active.UTC().Format(time.RFC3339Nano), at: active.Add(span)})
		return nil
	})
	if err != nil {
		return err
	}
	st.Watermark = cutoff
	return e.enterAll(ctx, c, cands, st, rep)
}

func (e *triggers) scanDates(ctx context.Context, c *compiled, st State, now time.Time, rep *TickReport) error {
	today := e.day(now)
	if st.Day == today {
		return nil
	}
	var cands []candidate
	err := e.audience.Each(ctx, func(m Member) error {
		if occ, ok := dateFalls(e.cfg.Zone, c.def.Trigger.Date, m, now); ok {
			cands = append(cands, candidate{member: m.ID, occ: occ, at: now})
		}
		return nil
	})
	if err != nil {
		return err
	}
	st.Day = today
	return e.enterAll(ctx, c, cands, st, rep)
}

// dateFalls reports whether member m's date (birthday: its month; joined:
// the anniversary) falls at now, and names the occurrence, once a year.
func dateFalls(zone *time.Location, date string, m Member, now time.Time) (occ string, ok bool) {
	lt := now.In(zone)
	year := strconv.Itoa(lt.Year())
	switch date {
	case "birthday":
		// A member who erased their data and rejoined this year had this
		// year's gift before: the next one is next year's.
		rejoined := m.Returned && m.Joined.In(zone).Year() == lt.Year()
		return "birthday:" + year, len(m.Birthday) == 5 && m.Birthday[:2] == lt.Format("01") && !rejoined
	case "joined":
		j := m.Joined.In(zone)
		return "joined:" + year, j.Format("01-02") == lt.Format("01-02") && j.Year() < lt.Year()
	}
	return "", false
}

func (e *triggers) scanExpiry(ctx context.Context, c *compiled, st State, now time.Time, rep *TickReport) error {
	within := time.Duration(c.def.Trigger.ExpiringWithin)
	after, until := later(st.Watermark, now), now.Add(within)
	if !until.After(after) {
		return nil
	}
	var cands []candidate
	seen := map[uint64]bool{}
	err := e.points.ExpiringBy(ctx, after, until, func(member uint64, _ int64, at time.Time) error {
		if !seen[member] { // the earliest lot of each member in the window
			seen[member] = true
			cands = append(cands, candidate{member: member, occ: "expiry:" + at.UTC().Format(time.RFC3339), at: at.Add(-within)})
		}
		return nil
	})
	if err != nil {
		return err
	}
	st.Watermark = until
	return e.enterAll(ctx, c, cands, st, rep)
}

func (e *triggers) scanSchedule(ctx context.Context, c *compiled, st State, now time.Time, rep *TickReport) error {
	t := c.def.Trigger
	every := time.Duration(t.Every)
	var next time.Time
	switch {
	case !st.Watermark.IsZero() && every == 0:
		return nil // a one-off that happened
	case !st.Watermark.IsZero():
		next = st.Watermark.Add(every)
	case !t.At.IsZero():
		next = t.At
	default:
		next = st.First.Add(every)
	}
	if next.After(now) {
		return nil
	}
	for every > 0 && !next.Add(every).After(now) { // catch up once, at the latest occurrence
		next = next.Add(every)
	}
	var cands []candidate
	err := e.audience.Each(ctx, func(m Member) error {
		if t.ActiveWithin == 0 || !m.LastActive.Before(next.Add(-time.Duration(t.ActiveWithin))) {
			cands = append(cands, candidate{member: m.ID, occ: "at:" + next.UTC().Format(time.RFC3339), at: next})
		}
		return nil
	})
	if err != nil {
		return err
	}
	st.Watermark = next
	return e.enterAll(ctx, c, cands, st, rep)
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
