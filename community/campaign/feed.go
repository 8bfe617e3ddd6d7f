package campaign

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/loyalbot/loyalbot/internal/outbox"
	"github.com/loyalbot/loyalbot/loyalty"
)

// Feed cursors: how far the engine read the ledger's entries and the outbox.
const (
	cursorLedger = "ledger"
	cursorOutbox = "outbox"
)

// feedBatch is how many events one transaction handles.
const feedBatch = 500

// ledgerEvents returns the domain events a ledger entry stands for. The
// entry is written in the same transaction as the points it moves, so
// the ledger is its own outbox.
func ledgerEvents(en loyalty.Entry) []outbox.Event {
	if en.Reverses != 0 {
		return nil
	}
	key := "ledger:" + strconv.FormatUint(en.ID, 10) + ":"
	ev := func(typ string, member uint64, props map[string]string) outbox.Event {
		return outbox.Event{Key: key + typ, Type: typ, Member: member, At: en.Time, Props: props}
	}
	points := strconv.FormatInt(en.Amount, 10)
	var out []outbox.Event
	if to, ok := en.To.MemberID(); ok {
		src, issued := strings.CutPrefix(string(en.From), string(loyalty.Issuance("")))
		if !issued {
			return nil // a manager's grant, a transfer or a merge
		}
		out = append(out, ev(outbox.PointsEarned, to, map[string]string{"source": src, "points": points}))
		switch {
		case src == "checkin" && strings.HasPrefix(en.Key, "checkin:"):
			out = append(out, ev(outbox.CheckedIn, to, nil))
		case src == "orders":
			out = append(out, ev(outbox.OrderPaid, to, map[string]string{"amount": strconv.FormatInt(en.Spend, 10)}))
		case src == "ugc" && strings.HasPrefix(en.Key, "ugc-approve:"):
			out = append(out, ev(outbox.SubmissionApproved, to, nil))
		case src == "referral" && strings.HasPrefix(en.Key, "referral:"):
			out = append(out, ev(outbox.ReferralQualified, to, nil))
		}
		return out
	}
	from, ok := en.From.MemberID()
	if !ok {
		return nil
	}
	switch {
	case en.To == loyalty.RedemptionAccount:
		out = append(out, ev(outbox.PointsRedeemed, from, map[string]string{"points": points}))
	case en.To == loyalty.ExpiryAccount:
		out = append(out, ev(outbox.PointsExpired, from, map[string]string{"points": points}))
	case en.To == loyalty.Issuance("orders"):
		out = append(out, ev(outbox.OrderRefunded, from, map[string]string{"points": points}))
	}
	return out
}

// feedPage is one batch of the domain events after a pair of cursors:
// the ledger's entries and the outbox's events, merged in time order (a
// member who joins and checks in at once has joined first).
type feedPage struct {
	events             []outbox.Event
	ledgerTo, outboxTo uint64 // the cursors past the page
	more               bool   // a full batch: there may be more
	moved              bool   // the cursors move: something was read
}

// readFeed reads the page of events after the cursors named ledger and
// outbox.
func readFeed(ctx context.Context, store Store, points Points, ledger, outboxName string) (feedPage, error) {
	var p feedPage
	var ledgerAfter uint64
	if err := store.View(ctx, func(tx ReadTx) error {
		var err error
		if ledgerAfter, err = tx.Cursor(ledger); err != nil {
			return err
		}
		if p.outboxTo, err = tx.Cursor(outboxName); err != nil {
			return err
		}
		return stopped(tx.Events(p.outboxTo, func(ev outbox.Event) error {
			if len(p.events) == feedBatch {
				return errStop
			}
			p.events, p.outboxTo = append(p.events, ev), ev.Seq
			return nil
		}))
	}); err != nil {
		return feedPage{}, err
	}
	fromOutbox := len(p.events)
	entries, err := points.EntriesAfter(ctx, ledgerAfter, feedBatch)
	if err != nil {
		return feedPage{}, err
	}
	p.ledgerTo = ledgerAfter
	for _, en := range entries {
		p.events = append(p.events, ledgerEvents(en)...)
		p.ledgerTo = en.ID
	}
	slices.SortStableFunc(p.events, func(a, b outbox.Event) int { return a.At.Compare(b.At) })
	p.more = len(entries) == feedBatch || fromOutbox == feedBatch
	p.moved = len(entries) > 0 || fromOutbox > 0
	return p, nil
}

// consume reads the domain events campaigns have not handled yet, a page
// at a time, and handles them.
func (e *Engine) consume(ctx context.Context, rep *TickReport) error {
	for {
		p, err := readFeed(ctx, e.store, e.points, cursorLedger, cursorOutbox)
		if err != nil {
			return err
		}
		if !p.moved {
			return nil
		}
		if err := e.handle(ctx, p.events, map[string]uint64{cursorLedger: p.ledgerTo, cursorOutbox: p.outboxTo}, rep); err != nil {
			return err
		}
		if !p.more {
			return nil
		}
	}
}

// handle records evs' conversions and entries and moves the cursors past
// them, in one transaction.
func (e *Engine) handle(ctx context.Context, evs []outbox.Event, cursors map[string]uint64, rep *TickReport) error {
	cs := e.current()
	// Read the members an event may enter, outside the transaction.
	var ids []uint64
	for _, ev := range evs {
		for _, c := range cs {
			if c.def.Trigger.Event == ev.Type && matches(c.def.Trigger.Where, ev.Props) {
				ids = append(ids, ev.Member)
				break
			}
		}
	}
	members, err := e.audience.Members(ctx, ids)
	if err != nil {
		return err
	}
	return e.store.Update(ctx, func(tx Tx) error {
		b := newBatch(tx)
		for _, ev := range evs {
			for _, c := range cs {
				if err := b.observe(c, ev); err != nil {
					return err
				}
				if c.def.Trigger.Event != ev.Type || !matches(c.def.Trigger.Where, ev.Props) {
					continue
				}
				if m, ok := members[ev.Member]; ok {
					if err := e.enter(b, c, m, ev.Key, ev.At, ev.Props, rep); err != nil {
						return err
					}
				}
			}
		}
		rep.Events += len(evs)
		if err := b.flush(); err != nil {
			return err
		}
		for name, seq := range cursors {
			if err := tx.PutCursor(name, seq); err != nil {
				return err
			}
		}
		return nil
	})
}

// matches reports whether props meet every filter of where: a value, one
// of values ("At Risk|Hibernating"), or a bound on a number ("<0.3",
// ">=100").
func matches(where, props map[string]string) bool {
	for k, want := range where {
		if !matchValue(want, props[k]) {
			return false
		}
	}
	return true
}

func matchValue(want, got string) bool {
	for _, op := range []string{"<=", ">=", "<", ">"} {
		if bound, ok := strings.CutPrefix(want, op); ok {
			b, err1 := strconv.ParseFloat(strings.TrimSpace(bound), 64)
			g, err2 := strconv.ParseFloat(got, 64)
			if err1 != nil || err2 != nil {
				return false
			}
			switch op {
			case "<=":
				return g <= b
			case ">=":
				return g >= b
			case "<":
				return g < b
			}
			return g > b
		}
	}
	for _, alt := range strings.Split(want, "|") {
		if strings.EqualFold(strings.TrimSpace(alt), got) {
			return true
		}
	}
	return false
}

// batch is one transaction's view of the counters it changes and the
// campaigns' pause switches it reads.
type batch struct {
	tx     Tx
	stats  map[string]*Stats
	pauses map[string]bool
}

func newBatch(tx Tx) *batch {
	return &batch{tx: tx, stats: map[string]*Stats{}, pauses: map[string]bool{}}
}

func (b *batch) paused(id string) (bool, error) {
	if p, ok := b.pauses[id]; ok {
		return p, nil
	}
	st, err := b.tx.State(id)
	b.pauses[id] = st.Paused
	return st.Paused, err
}

func (b *batch) statsOf(id string) (*Stats, error) {
	if s, ok := b.stats[id]; ok {
		return s, nil
	}
	s, err := b.tx.Stats(id)
	if err != nil {
		return nil, err
	}
	if s.Steps == nil {
		s.Steps = map[int]int{}
	}
	b.stats[id] = &s
	return &s, nil
}

func (b *batch) flush() error {
	for id, s := range b.stats {
		if err := b.tx.PutStats(id, *s); err != nil {
			return err
		}
	}
	return nil
}

// observe records what ev means for member's run of c: the goal met
// inside its window, or an event a condition asks about.
func (b *batch) observe(c *compiled, ev outbox.Event) error {
	goal := c.def.Goal
	isGoal := goal.Event == ev.Type
	asked := c.happens[ev.Type]
	if !isGoal && !asked {
		return nil
	}
	r, ok, err := b.tx.Run(c.def.ID, ev.Member)
	if err != nil || !ok || ev.At.Before(r.Entered) || ev.Key == r.Occurrence {
		return err // before entering, or the very event that entered them
	}
	changed := false
	if isGoal && r.Converted.IsZero() && !ev.At.After(r.Entered.Add(time.Duration(goal.Within))) {
		r.Converted, changed = ev.At, true
		s, err := b.statsOf(c.def.ID)
		if err != nil {
			return err
		}
		if r.State == HeldOut {
			s.HeldConverted++
		} else {
			s.Converted++
		}
	}
	if asked && r.State == Running && !slices.Contains(r.Seen, ev.Type) {
		r.Seen, changed = append(r.Seen, ev.Type), true
	}
	if r.State == Running && r.WaitFor == ev.Type {
		r.WaitFor, r.Due, changed = "", later(ev.At, r.Entered), true // what waited for it goes on now
	}
	if !changed {
		return nil
	}
	return b.tx.PutRun(r)
}

// enter begins m's run of c for the trigger occurrence occ at time at,
// when the campaign runs, m may receive it and the re-entry policy allows.
func (e *Engine) enter(b *batch, c *compiled, m Member, occ string, at time.Time, props map[string]string, rep *TickReport) error {
	id := c.def.ID
	if c.def.Off || !m.Live {
		return nil
	}
	if c.def.Kind == Marketing && !m.Consent {
		s, err := b.statsOf(id)
		if err == nil {
			s.NoConsent++
		}
		return err
	}
	paused, err := b.paused(id)
	if err != nil || paused {
		return err
	}
	r, ok, err := b.tx.Run(id, m.ID)
	if err != nil {
		return err
	}
	if ok {
		gap, _ := c.def.reentry()
		if c.def.Reentry == "" && c.def.Trigger.ExpiringWithin > 0 {
			// Each check-in makes a lot expiring a day later: remind once
			// per window, not once per lot.
			gap = time.Duration(c.def.Trigger.ExpiringWithin)
		}
		onceEver := c.def.Reentry == "once" || (c.def.Reentry == "" && c.def.Trigger.Event != "")
		switch {
		case r.State == Running, r.Occurrence == occ, onceEver, gap > 0 && at.Sub(r.Entered) < gap:
			return nil
		}
	}
	nr := Run{Campaign: id, Version: c.version, Member: m.ID, State: Running, Due: at, Entered: at, Occurrence: occ, Entries: r.Entries + 1, Props: props}
	s, err := b.statsOf(id)
	if err != nil {
		return err
	}
	s.Entered++
	if heldOut(id, m.ID, c.def.holdout(e.holdoutPct())) {
		nr.State, nr.Due = HeldOut, time.Time{}
		s.HeldOut++
	}
	// Entering reaches the first wait at once: a campaign that opens with
	// "wait 3d" schedules the member in the same write.
	for nr.State == Running && nr.PC < len(c.prog) && (c.prog[nr.PC].kind == opWait || c.prog[nr.PC].kind == opUntil) {
		if err := e.apply(b, c, c.prog[nr.PC], &nr, prepared{}, at); err != nil {
			return err
		}
	}
	rep.Entered++
	return b.tx.PutRun(nr)
}
