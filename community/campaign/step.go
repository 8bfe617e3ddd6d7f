package campaign

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// stepBatch is how many due runs one pass of advance reads.
const stepBatch = 500

// maxOps bounds the operations one run does in one pass (a program only
// jumps forward, so it ends; this is a guard).
const maxOps = 64

// advance runs every step due at now.
func (e *Engine) advance(ctx context.Context, now time.Time, rep *TickReport) error {
	done := map[string]bool{}
	for {
		type due struct {
			id     string
			member uint64
		}
		var batch []due
		if err := e.store.View(ctx, func(tx ReadTx) error {
			return stopped(tx.Due(now, func(id string, member uint64, _ time.Time) error {
				if k := id + "\x00" + fmt.Sprint(member); !done[k] {
					batch = append(batch, due{id, member})
				}
				if len(batch) == stepBatch {
					return errStop
				}
				return nil
			}))
		}); err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		for _, d := range batch {
			done[d.id+"\x00"+fmt.Sprint(d.member)] = true
			if err := e.runOne(ctx, d.id, d.member, now, rep); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				// One member's failure (a ledger error) must not stop the
				// others: it is logged and retried at the next tick.
				e.cfg.Log.ErrorContext(ctx, "campaign step failed", "campaign", d.id, "member", d.member, "err", err)
			}
		}
	}
}

// prepared is what an operation needs from outside the store, read before
// its transaction.
type prepared struct {
	member Member
	holds  bool    // opBranch
	msg    Message // opMessage, opSurvey
}

// runOne runs member's run of campaign id until it waits or ends.
func (e *Engine) runOne(ctx context.Context, id string, member uint64, now time.Time, rep *TickReport) error {
	for range maxOps {
		var r Run
		var ok, paused bool
		if err := e.store.View(ctx, func(tx ReadTx) error {
			var err error
			if r, ok, err = tx.Run(id, member); err != nil {
				return err
			}
			st, err := tx.State(id)
			paused = st.Paused
			return err
		}); err != nil {
			return err
		}
		if !ok || r.State != Running || r.Due.After(now) || paused {
			return nil
		}
		c, err := e.version(ctx, id, r.Version)
		if err != nil {
			return err
		}
		if cur, ok := e.Definition(id); c == nil || !ok || cur.Off {
			return e.finish(ctx, r, Disabled)
		}
		if r.PC >= len(c.prog) {
			return e.finish(ctx, r, Done)
		}
		m, found, err := e.audience.Member(ctx, member)
		if err != nil {
			return err
		}
		if !found || !m.Live || (c.def.Kind == Marketing && !m.Consent) {
			return e.finish(ctx, r, Left)
		}
		o := c.prog[r.PC]
		p := prepared{member: m}
		switch o.kind {
		case opBranch:
			if p.holds, err = e.holds(ctx, o.step.If, m, r); err != nil {
				return err
			}
		case opGrant:
			reason := c.def.label(m.Locale)
			if t := pick(o.step.Reason, m.Locale); t != "" {
				reason = t
			}
			if err := e.points.Grant(ctx, member, o.step.Grant, grantKey(r, r.PC), reason); err != nil {
				return fmt.Errorf("grant: %w", err)
			}
		case opMessage, opSurvey:
			if p.msg, err = e.render(ctx, c, o, m, r); err != nil {
				return err
			}
		}
		moved := false
		err = e.store.Update(ctx, func(tx Tx) error {
			cur, ok, err := tx.Run(id, member)
			if err != nil || !ok || cur.State != Running || cur.PC != r.PC || cur.Entries != r.Entries {
				return err // moved on meanwhile: read it again
			}
			b := newBatch(tx)
			if err := e.apply(b, c, o, &cur, p, now); err != nil {
				return err
			}
			if err := b.flush(); err != nil {
				return err
			}
			moved = true
			return tx.PutRun(cur)
		})
		if err != nil {
			return err
		}
		if moved {
			rep.Steps++
		}
	}
	return nil
}

// finish ends r in state.
func (e *Engine) finish(ctx context.Context, r Run, state RunState) error {
	return e.store.Update(ctx, func(tx Tx) error {
		cur, ok, err := tx.Run(r.Campaign, r.Member)
		if err != nil || !ok || cur.State != Running || cur.PC != r.PC {
			return err
		}
		b := newBatch(tx)
		if err := b.end(&cur, state); err != nil {
			return err
		}
		if err := b.flush(); err != nil {
			return err
		}
		return tx.PutRun(cur)
	})
}

// end sets r's final state and counts it.
func (b *batch) end(r *Run, state RunState) error {
	s, err := b.statsOf(r.Campaign)
	if err != nil {
		return err
	}
	r.State, r.Due = state, time.Time{}
	switch state {
	case Done:
		s.Done++
	case Exited:
		s.Exited++
	case Capped:
		s.Capped++
	case Left, Disabled:
		s.Left++
	}
	return nil
}

// reached counts r's arrival at operation pc for the funnel.
func (b *batch) reached(r *Run, pc int) error {
	s, err := b.statsOf(r.Campaign)
	if err != nil {
		return err
	}
	s.Steps[pc]++
	r.Reached = append(r.Reached, pc)
	return nil
}

// apply does operation o of r inside the transaction.
func (e *Engine) apply(b *batch, c *compiled, o op, r *Run, p prepared, now time.Time) error {
	pc := r.PC
	base := r.Due // waits count from when the step was due, so a late tick keeps the plan
	switch o.kind {
	case opWait:
		r.Due, r.PC = base.Add(time.Duration(o.step.Wait)), pc+1
	case opUntil:
		r.Due, r.PC = nextTimeOfDay(base, o.step.Until, e.cfg.Zone), pc+1
	case opWaitFor:
		r.PC = pc + 1
		if containsString(r.Seen, o.step.WaitFor) {
			break // it happened already
		}
		r.Due, r.WaitFor = base.Add(time.Duration(o.step.Within)), o.step.WaitFor
	case opBranch:
		r.PC = o.target
		if p.holds {
			r.PC = pc + 1
		}
	case opJump:
		r.PC = o.target
	case opExit:
		return b.end(r, Exited)
	case opGrant:
		r.PC = pc + 1
		return b.reached(r, pc)
	case opOffer:
		code := couponCode(grantKey(*r, pc))
		days := o.step.Offer.ValidDays
		if days <= 0 {
			days = 30
		}
		if err := b.tx.PutCoupon(Coupon{Code: code, Member: r.Member, Campaign: r.Campaign, Offer: *o.step.Offer,
			Expires: now.AddDate(0, 0, days)}); err != nil {
			return err
		}
		r.Coupon, r.PC = code, pc+1
		return b.reached(r, pc)
	case opTag, opUntag:
		tags, err := b.tx.Tags(r.Member)
		if err != nil {
			return err
		}
		if o.kind == opTag && !hasTag(tags, o.step.Tag) {
			tags = append(tags, o.step.Tag)
		} else if o.kind == opUntag {
			tags = deleteTag(tags, o.step.Untag)
		}
		if err := b.tx.PutTags(r.Member, tags); err != nil {
			return err
		}
		r.PC = pc + 1
	case opMessage, opSurvey:
		return e.send(b, c, r, p, now)
	}
	return nil
}

// send queues a message operation's message, unless quiet hours make it
// wait, the member muted service messages, or the marketing cap is
// reached.
func (e *Engine) send(b *batch, c *compiled, r *Run, p prepared, now time.Time) error {
	pc := r.PC
	if until, quiet := e.quietUntil(now); quiet {
		r.Due = until // the step waits; nothing else changes
		return nil
	}
	s, err := b.statsOf(r.Campaign)
	if err != nil {
		return err
	}
	if c.def.Kind == Service && p.member.Muted {
		s.Muted++
		r.PC = pc + 1
		return nil
	}
	// The cap counts campaigns reaching a member: a marketing campaign's
	// first message of an entry. Its later messages (the bonus it promised)
	// are part of a conversation the member is already in.
	if c.def.Kind == Marketing && e.cfg.MarketingPerWeek >= 0 && r.Messages == 0 {
		limit := e.cfg.MarketingPerWeek
		sends, err := b.tx.Sends(r.Member)
		if err != nil {
			return err
		}
		week := now.Add(-7 * 24 * time.Hour)
		recent := sends[:0]
		for _, t := range sends {
			if t.After(week) {
				recent = append(recent, t)
			}
		}
		if len(recent) >= limit {
			return b.end(r, Capped)
		}
		if err := b.tx.PutSends(r.Member, append(recent, now)); err != nil {
			return err
		}
	}
	m := p.msg
	m.Created = now
	if _, err := b.tx.PutOutgoing(m); err != nil {
		return err
	}
	s.Sent++
	r.PC, r.Messages = pc+1, r.Messages+1
	return b.reached(r, pc)
}

func deleteTag(tags []string, tag string) []string {
	out := tags[:0]
	for _, t := range tags {
		if !strings.EqualFold(t, tag) {
			out = append(out, t)
		}
	}
	return out
}

// couponCode derives a one-time code from the step's key: the same step
// of the same entry always gets the same code.
func couponCode(key string) string {
	sum := sha256.Sum256([]byte("coupon\x00" + key))
	return "C-" + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:5])
}

// holds evaluates cond for m in run r.
func (e *Engine) holds(ctx context.Context, cond *Condition, m Member, r Run) (bool, error) {
	ok := true
	check := func(want *bool, got func() (bool, error)) error {
		if want == nil || !ok {
			return nil
		}
		v, err := got()
		ok = err == nil && v == *want
		return err
	}
	if err := check(cond.CheckedIn, func() (bool, error) { return m.LastCheckin >= e.day(r.Entered), nil }); err != nil {
		return false, err
	}
	if err := check(cond.Redeemed, func() (bool, error) { return e.points.Redeemed(ctx, m.ID) }); err != nil {
		return false, err
	}
	if err := check(cond.CanAfford, func() (bool, error) {
		_, can, err := e.points.Affordable(ctx, m.ID)
		return can, err
	}); err != nil {
		return false, err
	}
	if err := check(cond.Consent, func() (bool, error) { return m.Consent, nil }); err != nil {
		return false, err
	}
	if !ok {
		return false, nil
	}
	if cond.Happened != "" && !containsString(r.Seen, cond.Happened) {
		return false, nil
	}
	if cond.BalanceAtLeast != nil {
		bal, err := e.points.Available(ctx, m.ID)
		if err != nil || bal < *cond.BalanceAtLeast {
			return false, err
		}
	}
	if cond.Tier != "" {
		tier, err := e.points.Tier(ctx, m.ID)
		if err != nil || !strings.EqualFold(tier, cond.Tier) {
			return false, err
		}
	}
	if cond.Segment != "" {
		seg, err := e.audience.Segment(ctx, m.ID)
		if err != nil || !strings.EqualFold(seg, cond.Segment) {
			return false, err
		}
	}
	if (cond.Platform != "" && !strings.EqualFold(cond.Platform, m.Platform)) || (cond.Role != "" && !strings.EqualFold(cond.Role, m.Role)) {
		return false, nil
	}
	if cond.Tag != "" || cond.NotTag != "" {
		var tags []string
		if err := e.store.View(ctx, func(tx ReadTx) error {
			var err error
			tags, err = tx.Tags(m.ID)
			return err
		}); err != nil {
			return false, err
		}
		if (cond.Tag != "" && !hasTag(tags, cond.Tag)) || (cond.NotTag != "" && hasTag(tags, cond.NotTag)) {
			return false, nil
		}
	}
	return true, nil
}

// Vars are the template variables a campaign message may use, as {{name}}.
var Vars = []string{"name", "points", "tier", "benefits", "next_tier", "points_to_next", "expiring_points", "expiring_date",
	"reward", "referral_link", "coupon", "offer", "campaign"}

var varPattern = regexp.MustCompile(`\{\{\s*([a-z_]+(?:\.[a-z0-9_]+)?)\s*\}\}`)

// knownVar reports whether a template may use name: one of Vars, or
// event.<property> of the event the member entered with.
func knownVar(name string) bool {
	return slices.Contains(Vars, name) || strings.HasPrefix(name, "event.")
}

// pick returns t's text in locale, or its English one.
func pick(t Text, locale string) string {
	if s := t[locale]; s != "" {
		return s
	}
	return t["en"]
}

// render renders operation o's message for m.
func (e *Engine) render(ctx context.Context, c *compiled, o op, m Member, r Run) (Message, error) {
	text := pick(o.step.Message, m.Locale)
	var buttons []Choice
	if o.kind == opSurvey {
		q, bs := e.voice.Survey(m.Locale, o.step.Survey, c.def.ID)
		if text == "" {
			text = q
		}
		buttons = bs
	}
	for _, b := range o.step.Buttons {
		buttons = append(buttons, Choice{Label: pick(b.Label, m.Locale), Command: b.Command})
	}
	if found := varPattern.FindAllStringSubmatch(text, -1); found != nil {
		var names []string
		for _, f := range found {
			names = append(names, f[1])
		}
		vars, err := e.voice.Vars(ctx, m, names)
		if err != nil {
			return Message{}, err
		}
		for k, v := range r.Props {
			vars["event."+k] = v
		}
		vars["campaign"] = c.def.label(m.Locale)
		if r.Coupon != "" {
			vars["coupon"] = r.Coupon
			var cp Coupon
			if err := e.store.View(ctx, func(tx ReadTx) error {
				var err error
				cp, _, err = tx.Coupon(r.Coupon)
				return err
			}); err != nil {
				return Message{}, err
			}
			vars["offer"] = e.voice.Offer(m.Locale, cp)
		}
		text = varPattern.ReplaceAllStringFunc(text, func(s string) string {
			return vars[varPattern.FindStringSubmatch(s)[1]]
		})
	}
	return Message{Member: m.ID, Campaign: c.def.ID, Key: grantKey(r, r.PC), Text: text, Group: o.step.To == "group", Buttons: buttons}, nil
}
