package campaign

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Status is one campaign as managers see it.
type Status struct {
	Def     Definition
	Version int
	Paused  bool
	Stats   Stats
}

// Report returns every configured campaign's status, in config order.
func (e *Engine) Report(ctx context.Context) ([]Status, error) {
	var out []Status
	err := e.store.View(ctx, func(tx ReadTx) error {
		out = nil
		for _, c := range e.current() {
			st, err := tx.State(c.def.ID)
			if err != nil {
				return err
			}
			s, err := tx.Stats(c.def.ID)
			if err != nil {
				return err
			}
			out = append(out, Status{Def: c.def, Version: c.version, Paused: st.Paused, Stats: s})
		}
		return nil
	})
	return out, err
}

// FunnelStep is one step of a campaign as managers read it, and for its
// actions how many members reached it.
type FunnelStep struct {
	PC      int
	Kind    string // wait, until, wait_for, if, message, survey, grant, offer, tag, untag, exit
	Summary string // what it waits for or checks, the start of the message, the points
	Else    int    // an if: the step (1-based) a false condition goes to; 0 when that ends the run
	Action  bool   // a message, survey, grant or offer: Reached counts
	Reached int
}

// Funnel returns campaign id's status and its steps in program order, with
// the members who reached each action.
func (e *Engine) Funnel(ctx context.Context, id, locale string) (Status, []FunnelStep, error) {
	e.mu.Lock()
	c, ok := e.defs[id]
	e.mu.Unlock()
	if !ok {
		return Status{}, nil, fmt.Errorf("campaign %q: %w", id, ErrUnknown)
	}
	var st Status
	err := e.store.View(ctx, func(tx ReadTx) error {
		state, err := tx.State(id)
		if err != nil {
			return err
		}
		s, err := tx.Stats(id)
		st = Status{Def: c.def, Version: c.version, Paused: state.Paused, Stats: s}
		return err
	})
	if err != nil {
		return Status{}, nil, err
	}
	// Steps are numbered without the jumps the compiler adds.
	number := map[int]int{}
	n := 0
	for pc, o := range c.prog {
		if o.kind != opJump {
			n++
			number[pc] = n
		}
	}
	target := func(pc int) int {
		for ; pc < len(c.prog); pc++ {
			if c.prog[pc].kind == opJump {
				pc = c.prog[pc].target - 1
				continue
			}
			return number[pc]
		}
		return 0
	}
	var steps []FunnelStep
	for pc, o := range c.prog {
		fs := FunnelStep{PC: pc, Reached: st.Stats.Steps[pc]}
		s := o.step
		switch o.kind {
		case opJump:
			continue
		case opWait:
			fs.Kind, fs.Summary = "wait", s.Wait.String()
		case opUntil:
			fs.Kind, fs.Summary = "until", s.Until
		case opWaitFor:
			fs.Kind, fs.Summary = "wait_for", s.WaitFor+" ≤ "+s.Within.String()
		case opBranch:
			fs.Kind, fs.Summary, fs.Else = "if", s.If.String(), target(o.target)
		case opMessage:
			fs.Kind, fs.Summary, fs.Action = "message", clip(pick(s.Message, locale), 40), true
		case opSurvey:
			fs.Kind, fs.Summary, fs.Action = "survey", s.Survey, true
		case opGrant:
			fs.Kind, fs.Summary, fs.Action = "grant", fmt.Sprint(s.Grant), true
		case opOffer:
			fs.Kind, fs.Summary, fs.Action = "offer", pick(s.Offer.Discount, locale)+" "+s.Offer.Reward, true
		case opTag:
			fs.Kind, fs.Summary = "tag", s.Tag
		case opUntag:
			fs.Kind, fs.Summary = "untag", s.Untag
		case opExit:
			fs.Kind = "exit"
		}
		steps = append(steps, fs)
	}
	return st, steps, nil
}

// String writes a condition as its fields: "checked_in=false can_afford=true".
func (c *Condition) String() string {
	var parts []string
	b := func(name string, v *bool) {
		if v != nil {
			parts = append(parts, fmt.Sprintf("%s=%v", name, *v))
		}
	}
	str := func(name, v string) {
		if v != "" {
			parts = append(parts, name+"="+v)
		}
	}
	b("checked_in", c.CheckedIn)
	b("redeemed", c.Redeemed)
	b("can_afford", c.CanAfford)
	b("consent", c.Consent)
	str("happened", c.Happened)
	if c.BalanceAtLeast != nil {
		parts = append(parts, fmt.Sprintf("balance≥%d", *c.BalanceAtLeast))
	}
	str("tier", c.Tier)
	str("segment", c.Segment)
	str("platform", c.Platform)
	str("role", c.Role)
	str("tag", c.Tag)
	str("not_tag", c.NotTag)
	return strings.Join(parts, " ")
}

// String describes a trigger: "event member_joined", "inactive 30 days".
func (t Trigger) String() string {
	switch {
	case t.Event != "":
		s := "event " + t.Event
		for k, v := range t.Where {
			s += " " + k + "=" + v
		}
		return s
	case t.InactiveDays > 0:
		return fmt.Sprintf("inactive_days %d", t.InactiveDays)
	case t.Date != "":
		return "date " + t.Date
	case t.ExpiringWithin > 0:
		return "expiring_within " + t.ExpiringWithin.String()
	case t.Every > 0:
		s := "every " + t.Every.String()
		if t.ActiveWithin > 0 {
			s += " active_within " + t.ActiveWithin.String()
		}
		return s
	}
	return "at " + t.At.UTC().Format(time.RFC3339)
}

func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// Size counts the members a scan-based trigger would enter now (ignoring
// who entered before); ok is false for event triggers, whose audience is
// whoever the event happens to.
func (e *Engine) Size(ctx context.Context, id string) (n int, ok bool, err error) {
	d, found := e.Definition(id)
	if !found {
		return 0, false, fmt.Errorf("campaign %q: %w", id, ErrUnknown)
	}
	t, now := d.Trigger, e.cfg.Now()
	if t.Event != "" {
		return 0, false, nil
	}
	if t.ExpiringWithin > 0 {
		seen := map[uint64]bool{}
		err := e.points.ExpiringBy(ctx, now, now.Add(time.Duration(t.ExpiringWithin)), func(m uint64, _ int64, _ time.Time) error {
			seen[m] = true
			return nil
		})
		return len(seen), true, err
	}
	err = e.audience.Each(ctx, func(m Member) error {
		if d.Kind == Marketing && !m.Consent {
			return nil
		}
		switch {
		case t.InactiveDays > 0:
			if now.Sub(m.LastActive) >= time.Duration(t.InactiveDays)*24*time.Hour {
				n++
			}
		case t.Date != "":
			if _, ok := dateFalls(e.cfg.Zone, t.Date, m, now); ok {
				n++
			}
		default:
			if t.ActiveWithin == 0 || now.Sub(m.LastActive) <= time.Duration(t.ActiveWithin) {
				n++
			}
		}
		return nil
	})
	return n, true, err
}

// Preview renders campaign id's messages for m, as they would read now,
// without sending anything or changing any run.
func (e *Engine) Preview(ctx context.Context, id string, m Member) ([]Message, error) {
	e.mu.Lock()
	c, ok := e.defs[id]
	e.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("campaign %q: %w", id, ErrUnknown)
	}
	r := Run{Campaign: id, Member: m.ID, Entered: e.cfg.Now(), Entries: 1}
	if len(c.def.Offers()) > 0 {
		r.Coupon = previewCoupon
	}
	var out []Message
	for pc, o := range c.prog {
		if o.kind != opMessage && o.kind != opSurvey {
			continue
		}
		r.PC = pc
		msg, err := e.render(ctx, c, o, m, r)
		if err != nil {
			return nil, err
		}
		out = append(out, msg)
	}
	return out, nil
}

// SurveyReport is a survey campaign's answers: for NPS the share of
// promoters (9–10) less that of detractors (0–6); for CSAT the mean.
type SurveyReport struct {
	Campaign string
	Survey   string
	Answers  int
	Counts   map[int]int // score → answers
	NPS      float64     // -100 to 100 (NPS)
	Mean     float64     // the mean score
	Comments []Answer    // the answers with a comment, newest first
}

// Survey returns campaign id's survey report.
func (e *Surveys) Survey(ctx context.Context, id string) (SurveyReport, error) {
	d, ok := e.Definition(id)
	if !ok {
		return SurveyReport{}, fmt.Errorf("campaign %q: %w", id, ErrUnknown)
	}
	rep := SurveyReport{Campaign: id, Survey: surveyOf(d.Steps), Counts: map[int]int{}}
	if rep.Survey == "" {
		return rep, ErrNoSurvey
	}
	sum, promoters, detractors := 0, 0, 0
	err := e.store.View(ctx, func(tx ReadTx) error {
		return tx.Answers(id, func(a Answer) error {
			rep.Answers++
			rep.Counts[a.Score]++
			sum += a.Score
			switch {
			case a.Score >= 9:
				promoters++
			case a.Score <= 6:
				detractors++
			}
			if a.Comment != "" {
				rep.Comments = append(rep.Comments, a)
			}
			return nil
		})
	})
	if rep.Answers > 0 {
		rep.Mean = float64(sum) / float64(rep.Answers)
		rep.NPS = 100 * float64(promoters-detractors) / float64(rep.Answers)
	}
	sort.Slice(rep.Comments, func(i, j int) bool { return rep.Comments[i].At.After(rep.Comments[j].At) })
	return rep, err
}

// Erase removes what campaigns hold of member: runs, queued messages,
// tags, send times, survey answers, coupons, and the properties of their
// events in the outbox. Counters keep their counts.
func (e *Engine) Erase(ctx context.Context, member uint64) error {
	return e.store.Update(ctx, func(tx Tx) error {
		var ids []string
		if err := tx.RunsOf(member, func(r Run) error {
			ids = append(ids, r.Campaign)
			if r.Coupon != "" {
				return tx.DeleteCoupon(r.Coupon)
			}
			return nil
		}); err != nil {
			return err
		}
		for _, id := range ids {
			if err := tx.DeleteRun(id, member); err != nil {
				return err
			}
		}
		for _, id := range e.IDs() {
			if err := tx.DeleteAnswer(id, member); err != nil {
				return err
			}
		}
		var queued []uint64
		if err := tx.Outgoing(func(m Message) error {
			if m.Member == member {
				queued = append(queued, m.Seq)
			}
			return nil
		}); err != nil {
			return err
		}
		for _, seq := range queued {
			if err := tx.DeleteOutgoing(seq); err != nil {
				return err
			}
		}
		if err := tx.PutTags(member, nil); err != nil {
			return err
		}
		if err := tx.PutSends(member, nil); err != nil {
			return err
		}
		return tx.ScrubEvents(member)
	})
}

// Export is what campaigns hold of a member, for /export.
type Export struct {
	Runs    []Run    `json:"runs,omitempty"`
	Tags    []string `json:"tags,omitempty"`
	Answers []Answer `json:"survey_answers,omitempty"`
}

// ExportOf returns what campaigns hold of member.
func (e *Engine) ExportOf(ctx context.Context, member uint64) (Export, error) {
	var x Export
	err := e.store.View(ctx, func(tx ReadTx) error {
		x = Export{}
		if err := tx.RunsOf(member, func(r Run) error { x.Runs = append(x.Runs, r); return nil }); err != nil {
			return err
		}
		var err error
		if x.Tags, err = tx.Tags(member); err != nil {
			return err
		}
		for _, id := range e.IDs() {
			a, ok, err := tx.Answer(id, member)
			if err != nil {
				return err
			}
			if ok {
				x.Answers = append(x.Answers, a)
			}
		}
		return nil
	})
	return x, err
}
