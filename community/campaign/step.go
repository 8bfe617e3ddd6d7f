package campaign

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"fmt"

	"github.com/loyalbot/loyalbot/internal/outbox"
	"golang.org/x/sync/errgroup"
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

// advance runs every step due at now: a batch of due runs at a time, in
// rounds — each round reads what every run of the batch needs (member,
// condition, rendered message; points are granted concurrently, so the
// ledger commits them in groups), then applies one operation of every run
// in one transaction. A round repeats for the runs that went on to an
// operation that is due too.
func (e *Engine) advance(ctx context.Context, now time.Time, rep *TickReport) error {
	done := map[runKey]bool{}
	for {
		var batch []runKey
		if err := e.store.View(ctx, func(tx ReadTx) error {
			return stopped(tx.Due(now, func(id string, member uint64, _ time.Time) error {
				if k := (runKey{id, member}); !done[k] {
					batch = append(batch, k)
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
		for _, k := range batch {
			done[k] = true
		}
		for round := 0; round < maxOps && len(batch) > 0; round++ {
			var err error
			if batch, err = e.round(ctx, batch, now, rep); err != nil {
				return err
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

// runKey names one member's run of one campaign.
type runKey struct {
	campaign string
	member   uint64
}

// work is one run's next operation, prepared outside the transaction.
type work struct {
	key    runKey
	run    Run
	c      *compiled
	finish RunState // set: end the run so, instead of an operation
	p      prepared
	err    error // preparing failed: logged, retried at the next tick
}

// round does the next operation of every run in keys that is due, and
// returns the runs that are still due after it.
func (e *Engine) round(ctx context.Context, keys []runKey, now time.Time, rep *TickReport) ([]runKey, error) {
	works := make([]work, len(keys))
	if err := e.store.View(ctx, func(tx ReadTx) error {
		paused := map[string]bool{}
		for i, k := range keys {
			works[i].key = k
			r, ok, err := tx.Run(k.campaign, k.member)
			if err != nil {
				return err
			}
			p, known := paused[k.campaign]
			if !known {
				st, err := tx.State(k.campaign)
				if err != nil {
					return err
				}
				p, paused[k.campaign] = st.Paused, st.Paused
			}
			if !ok || r.State != Running || r.Due.After(now) || p {
				works[i].finish = "skip"
				continue
			}
			works[i].run = r
		}
		return nil
	}); err != nil {
		return nil, err
	}
	var g errgroup.Group
	g.SetLimit(prepareConcurrency)
	for i := range works {
		if works[i].finish != "" {
			continue
		}
		g.Go(func() error {
			w := &works[i]
			w.finish, w.c, w.p, w.err = e.prepare(ctx, w.run)
			return ctx.Err()
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var again []runKey
	err := e.store.Update(ctx, func(tx Tx) error {
		again = again[:0]
		b := newBatch(tx)
		for i := range works {
			w := &works[i]
			if w.finish == "skip" {
				continue
			}
			if w.err != nil {
				e.cfg.Log.ErrorContext(ctx, "campaign step failed", "campaign", w.key.campaign, "member", w.key.member, "err", w.err)
				continue
			}
			cur, ok, err := tx.Run(w.key.campaign, w.key.member)
			if err != nil {
				return err
			}
			if !ok || cur.State != Running || cur.PC != w.run.PC || cur.Entries != w.run.Entries {
				continue // moved on meanwhile
			}
			if w.finish != "" {
				err = b.end(&cur, w.finish)
			} else {
				err = e.apply(b, w.c, w.c.prog[cur.PC], &cur, w.p, now)
			}
			if err != nil {
				return err
			}
			if err := tx.PutRun(cur); err != nil {
				return err
			}
			rep.Steps++
			if cur.State == Running && !cur.Due.After(now) {
				again = append(again, w.key)
			}
		}
		return b.flush()
	})
	return again, err
}

// prepareConcurrency bounds the runs prepared at once.
const prepareConcurrency = 32

// prepare reads what run r's next operation needs, and does its effect
// outside the store (a grant, idempotent by its key). It returns a state
// to end the run in instead when the campaign is gone or the member left.
func (e *Engine) prepare(ctx context.Context, r Run) (RunState, *compiled, prepared, error) {
	c, err := e.version(ctx, r.Campaign, r.Version)
	if err != nil {
		return "", nil, prepared{}, err
	}
	if cur, ok := e.Definition(r.Campaign); c == nil || !ok || cur.Off {
		return Disabled, c, prepared{}, nil
	}
	if r.PC >= len(c.prog) {
		return Done, c, prepared{}, nil
	}
	o := c.prog[r.PC]
	switch o.kind {
	case opWait, opUntil, opWaitFor, opJump, opExit:
		return "", c, prepared{}, nil // nothing reaches the member: who left exits at the next step that would
	}
	m, found, err := e.audience.Member(ctx, r.Member)
	if err != nil {
		return "", c, prepared{}, err
	}
	if !found || !m.Live {
		return Left, c, prepared{}, nil
	}
	p := prepared{member: m}
	switch o.kind {
	case opBranch:
		p.holds, err = e.holds(ctx, o.step.If, m, r)
	case opGrant:
		reason := c.def.label(m.Locale)
		if t := pick(o.step.Reason, m.Locale); t != "" {
			reason = t
		}
		if err = e.points.Grant(ctx, r.Member, o.step.Grant, grantKey(r, r.PC), reason); err != nil {
			err = fmt.Errorf("grant: %w", err)
		}
	case opMessage, opSurvey:
		p.msg, err = e.render(ctx, c, o, m, r)
	}
	return "", c, p, err
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
		if slices.Contains(r.Seen, o.step.WaitFor) {
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
		code := couponCode(e.secret, grantKey(*r, pc))
		if err := b.tx.PutCoupon(Coupon{Code: code, Member: r.Member, Campaign: r.Campaign, Offer: *o.step.Offer,
			Expires: e.couponExpiry(now, *o.step.Offer)}); err != nil {
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
	// A member who muted service messages, or withdrew consent to
	// marketing on the way, is not messaged; the rest of the run (the
	// bonus it promised) still happens.
	if (c.def.Kind == Service && p.member.Muted) || (c.def.Kind == Marketing && !p.member.Consent) {
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

// couponExpiry is when an offer given at now stops working: the end of
// the community day ValidDays (30) on, so "valid until" a date holds all
// of it.
func (e *Engine) couponExpiry(now time.Time, o Offer) time.Time {
	days := o.ValidDays
	if days <= 0 {
		days = 30
	}
	lt := now.In(e.cfg.Zone)
	return time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, e.cfg.Zone).AddDate(0, 0, days+1)
}

// previewCoupon stands for the code an offer would give, in previews.
const previewCoupon = "C-SAMPLE00"

// couponCode derives a one-time code from the step's key with the
// community's secret: the same step of the same entry always gets the
// same code (a retried step gives no second one), and no one can work out
// another member's.
func couponCode(secret []byte, key string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("coupon\x00" + key))
	return "C-" + base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(m.Sum(nil)[:5])
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
	if err := check(cond.CheckedIn, func() (bool, error) { return slices.Contains(r.Seen, outbox.CheckedIn), nil }); err != nil {
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
	if cond.Happened != "" && !slices.Contains(r.Seen, cond.Happened) {
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
			if r.Coupon == previewCoupon {
				cp = Coupon{Code: previewCoupon}
				if offers := c.def.Offers(); len(offers) > 0 {
					cp.Offer = offers[0]
				}
				cp.Expires = e.couponExpiry(e.cfg.Now(), cp.Offer)
			} else if err := e.store.View(ctx, func(tx ReadTx) error {
				var err error
				cp, _, err = tx.Coupon(r.Coupon)
				return err
			}); err != nil {
				return Message{}, err
			}
			vars["offer"] = e.voice.Offer(ctx, m.Locale, cp)
		}
		text = varPattern.ReplaceAllStringFunc(text, func(s string) string {
			return vars[varPattern.FindStringSubmatch(s)[1]]
		})
	}
	subject := pick(o.step.Subject, m.Locale)
	if subject == "" {
		subject = c.def.label(m.Locale)
	}
	return Message{Member: m.ID, Campaign: c.def.ID, Key: grantKey(r, r.PC), Text: text, Group: o.step.To == "group", Buttons: buttons,
		Email: o.step.Email, Subject: subject}, nil
}
