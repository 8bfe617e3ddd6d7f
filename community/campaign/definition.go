// Package campaign acts on members over time: lifecycle campaigns
// (welcome, expiry reminders, tier congratulations, birthdays, win-back,
// surveys) defined in configuration, entered from domain events, dates,
// inactivity or a schedule, and run step by step — waits, conditions,
// messages, points, offers, surveys, tags — exactly once per member, with
// consent, a marketing frequency cap, quiet hours and a holdout.
//
// A campaign is compiled into a short program (a list of operations with
// jumps for its branches). Each member's run keeps its place in that
// program; every operation is one transaction of the campaign's store, and
// its effect outside the store is idempotent (points carry the key
// campaign:<id>:<member>:<step>), so a restart or a redelivered event
// repeats nothing.
package campaign

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Kind says whether a campaign's messages are a service to the member
// (they go unless the member turned notifications off) or marketing
// (they need the member's consent, count against the frequency cap and
// hold out a share of the audience).
type Kind string

// Kinds.
const (
	Service   Kind = "service"
	Marketing Kind = "marketing"
)

// Text is a message in each language: locale ("en", "zh") → template.
// A template names variables as {{name}}; see Vars. In YAML a single
// string stands for every language (a code, "20%").
type Text map[string]string

// UnmarshalYAML reads a Text from a map of languages, or one string for all.
func (t *Text) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*t = Text{"en": n.Value, "zh": n.Value}
		return nil
	}
	var m map[string]string
	if err := n.Decode(&m); err != nil {
		return err
	}
	*t = m
	return nil
}

// Texts walks every text of d that members read: messages, subjects,
// button labels, grant reasons and offers' discounts, naming each.
func (d Definition) Texts(fn func(where string, t Text)) {
	fn("name", d.Name)
	var walk func(prefix string, steps []Step)
	walk = func(prefix string, steps []Step) {
		for i, s := range steps {
			at := fmt.Sprintf("%sstep %d", prefix, i+1)
			for what, t := range map[string]Text{"message": s.Message, "subject": s.Subject, "reason": s.Reason} {
				if len(t) > 0 {
					fn(at+" "+what, t)
				}
			}
			for j, b := range s.Buttons {
				fn(fmt.Sprintf("%s button %d", at, j+1), b.Label)
			}
			if s.Offer != nil && len(s.Offer.Discount) > 0 {
				fn(at+" offer.discount", s.Offer.Discount)
			}
			walk(at+" then ", s.Then)
			walk(at+" else ", s.Else)
		}
	}
	walk("", d.Steps)
}

// Offers returns d's offer steps' offers.
func (d Definition) Offers() []Offer {
	var out []Offer
	for _, o := range compile(d.Steps) {
		if o.step.Offer != nil {
			out = append(out, *o.step.Offer)
		}
	}
	return out
}

// Events returns the event types d waits on: its trigger, its goal, its
// wait_for steps and happened conditions.
func (d Definition) Events() []string {
	var out []string
	add := func(s string) {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	add(d.Trigger.Event)
	add(d.Goal.Event)
	for _, o := range compile(d.Steps) {
		add(o.step.WaitFor)
		if o.step.If != nil {
			add(o.step.If.Happened)
		}
	}
	return out
}

// Definition is one campaign as configured.
type Definition struct {
	ID      string  `yaml:"id" json:"id"`
	Name    Text    `yaml:"name" json:"name,omitempty"`
	Kind    Kind    `yaml:"kind" json:"kind"`
	Trigger Trigger `yaml:"trigger" json:"trigger"`
	// Reentry is how often a member may enter again: "once" (ever; the
	// default for event triggers), "each" (each occurrence: every event,
	// birthday, spell of inactivity; the default for the others) or a
	// duration such as "30d" (at most every 30 days).
	Reentry string `yaml:"reentry" json:"reentry,omitempty"`
	// HoldoutPct is the share of the audience held out (marketing only;
	// nil: the community's default, 10).
	HoldoutPct *int   `yaml:"holdout_pct" json:"holdout_pct,omitempty"`
	Goal       Goal   `yaml:"goal" json:"goal"`
	Steps      []Step `yaml:"steps" json:"steps"`
	// Off switches the campaign off without deleting it.
	Off bool `yaml:"off" json:"off,omitempty"`
}

// Trigger is how members enter a campaign; exactly one of its kinds is set.
type Trigger struct {
	// Event enters a member when an event of this type happens to them
	// (member_joined, checked_in, order_paid, cart_abandoned, ...), when
	// every Where property matches.
	Event string            `yaml:"event" json:"event,omitempty"`
	Where map[string]string `yaml:"where" json:"where,omitempty"`
	// InactiveDays enters members with no activity for this many days, once
	// per spell of inactivity.
	InactiveDays int `yaml:"inactive_days" json:"inactive_days,omitempty"`
	// Date enters members on a date of theirs, once a year: "birthday" (in
	// the month of the birthday they set with /birthday) or "joined" (the
	// anniversary of joining).
	Date string `yaml:"date" json:"date,omitempty"`
	// ExpiringWithin enters members whose points expire within this time,
	// once per expiry date.
	ExpiringWithin Duration `yaml:"expiring_within" json:"expiring_within,omitempty"`
	// Every enters the audience on a schedule: every so often from At (or
	// from when the campaign was first seen). At alone is a one-off.
	Every Duration  `yaml:"every" json:"every,omitempty"`
	At    time.Time `yaml:"at" json:"at,omitzero"`
	// ActiveWithin narrows a scheduled audience to members active within
	// this time.
	ActiveWithin Duration `yaml:"active_within" json:"active_within,omitempty"`
}

// Goal is a campaign's conversion: an event within a time of entering,
// recorded for treated and held-out members alike.
type Goal struct {
	Event  string   `yaml:"event" json:"event,omitempty"`
	Within Duration `yaml:"within" json:"within,omitempty"`
}

// Step is one step of a campaign; exactly one of its kinds is set.
type Step struct {
	// Wait waits this long.
	Wait Duration `yaml:"wait" json:"wait,omitempty"`
	// Until waits until the next time of day ("10:00", the community's
	// zone).
	Until string `yaml:"until" json:"until,omitempty"`
	// WaitFor waits until an event of this type happens to the member, or
	// Within passes; an If with happened tells which.
	WaitFor string   `yaml:"wait_for" json:"wait_for,omitempty"`
	Within  Duration `yaml:"within" json:"within,omitempty"`
	// If branches on a condition: Then when it holds, Else when not. With
	// neither, the member goes on only when it holds and exits otherwise.
	If   *Condition `yaml:"if" json:"if,omitempty"`
	Then []Step     `yaml:"then" json:"then,omitempty"`
	Else []Step     `yaml:"else" json:"else,omitempty"`
	// Message sends a message, privately (To "" or "private") or in the
	// brand's groups (To "group"). Buttons are offered under it.
	Message Text   `yaml:"message" json:"message,omitempty"`
	To      string `yaml:"to" json:"to,omitempty"`
	// Email sends the message by e-mail to a confirmed address: "always"
	// (by e-mail only) or "fallback" (when no private chat reaches the
	// member). Subject is the mail's subject (default: the campaign's name).
	Email   string   `yaml:"email" json:"email,omitempty"`
	Subject Text     `yaml:"subject" json:"subject,omitempty"`
	Buttons []Button `yaml:"buttons" json:"buttons,omitempty"`
	// Grant gives the member this many points, once.
	Grant int64 `yaml:"grant" json:"grant,omitempty"`
	// Reason is the ledger reason of a grant (default: the campaign's name).
	Reason Text `yaml:"reason" json:"reason,omitempty"`
	// Offer gives the member a one-time coupon code; the next message can
	// show it as {{coupon}}.
	Offer *Offer `yaml:"offer" json:"offer,omitempty"`
	// Survey asks a survey: "nps" (0–10) or "csat" (1–5).
	Survey string `yaml:"survey" json:"survey,omitempty"`
	// Tag and Untag add or remove a tag on the member.
	Tag   string `yaml:"tag" json:"tag,omitempty"`
	Untag string `yaml:"untag" json:"untag,omitempty"`
	// Exit ends the member's run here.
	Exit bool `yaml:"exit" json:"exit,omitempty"`
}

// Button is a button under a campaign message: its label in each language
// and the command it sends.
type Button struct {
	Label   Text   `yaml:"label" json:"label"`
	Command string `yaml:"command" json:"command"`
}

// Offer is a coupon: a discount ("10%", "¥20 off") or, with Free, a free
// item; Reward names a catalogue reward it is for, if any.
type Offer struct {
	Discount Text   `yaml:"discount" json:"discount,omitempty"`
	Free     bool   `yaml:"free" json:"free,omitempty"`
	Reward   string `yaml:"reward" json:"reward,omitempty"`
	// ValidDays is how long the code works (default 30).
	ValidDays int `yaml:"valid_days" json:"valid_days,omitempty"`
}

// Condition is what an If step checks; every field set must hold.
type Condition struct {
	// CheckedIn: the member checked in since entering the campaign.
	CheckedIn *bool `yaml:"checked_in" json:"checked_in,omitempty"`
	// Redeemed: the member ever redeemed a reward.
	Redeemed *bool `yaml:"redeemed" json:"redeemed,omitempty"`
	// CanAfford: the member's balance pays for a reward in stock.
	CanAfford *bool `yaml:"can_afford" json:"can_afford,omitempty"`
	// Happened: an event of this type happened to the member since
	// entering (order_paid, ...).
	Happened string `yaml:"happened" json:"happened,omitempty"`
	// BalanceAtLeast: the member's available balance.
	BalanceAtLeast *int64 `yaml:"balance_at_least" json:"balance_at_least,omitempty"`
	Tier           string `yaml:"tier" json:"tier,omitempty"`
	Segment        string `yaml:"segment" json:"segment,omitempty"`
	Platform       string `yaml:"platform" json:"platform,omitempty"`
	Role           string `yaml:"role" json:"role,omitempty"`
	// Consent: the member agreed to marketing messages.
	Consent *bool  `yaml:"consent" json:"consent,omitempty"`
	Tag     string `yaml:"tag" json:"tag,omitempty"`
	NotTag  string `yaml:"not_tag" json:"not_tag,omitempty"`
}

// Duration is a time.Duration written as "3d", "12h", "1d12h" or "90m".
type Duration time.Duration

var durationPart = regexp.MustCompile(`^(\d+)(d|h|m|s)`)

// ParseDuration reads a Duration.
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return 0, nil
	}
	var d time.Duration
	for rest := s; rest != ""; {
		m := durationPart.FindStringSubmatch(rest)
		if m == nil {
			return 0, fmt.Errorf("%q is not a duration like 3d, 12h or 1d12h", s)
		}
		n, err := strconv.ParseInt(m[1], 10, 32)
		if err != nil || n > 100*366 {
			return 0, fmt.Errorf("%q is too long", s)
		}
		d += time.Duration(n) * map[string]time.Duration{"d": 24 * time.Hour, "h": time.Hour, "m": time.Minute, "s": time.Second}[m[2]]
		rest = rest[len(m[0]):]
	}
	return Duration(d), nil
}

// UnmarshalYAML reads a Duration from YAML.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = v
	return nil
}

// String writes a Duration as ParseDuration reads it.
func (d Duration) String() string {
	t := time.Duration(d)
	if t == 0 {
		return "0"
	}
	var b strings.Builder
	for _, u := range []struct {
		d time.Duration
		s string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if n := t / u.d; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.s)
			t -= n * u.d
		}
	}
	return b.String()
}

// Surveys.
const (
	NPS  = "nps"
	CSAT = "csat"
)

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

// Validate checks d, naming the first problem found.
func (d Definition) Validate() error {
	if !idPattern.MatchString(d.ID) {
		return fmt.Errorf("campaign id %q: use 1–40 lowercase letters, digits, - and _", d.ID)
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("campaign %s: %s", d.ID, fmt.Sprintf(format, args...))
	}
	if d.Kind != Service && d.Kind != Marketing {
		return fail("kind %q: service or marketing", d.Kind)
	}
	t := d.Trigger
	kinds := 0
	for _, set := range []bool{t.Event != "", t.InactiveDays != 0, t.Date != "", t.ExpiringWithin != 0, t.Every != 0 || !t.At.IsZero()} {
		if set {
			kinds++
		}
	}
	switch {
	case kinds != 1:
		return fail("trigger: give exactly one of event, inactive_days, date, expiring_within, every/at")
	case t.InactiveDays < 0:
		return fail("trigger.inactive_days %d is negative", t.InactiveDays)
	case t.Date != "" && t.Date != "birthday" && t.Date != "joined":
		return fail("trigger.date %q: birthday or joined", t.Date)
	case t.Every < 0 || t.ExpiringWithin < 0 || t.ActiveWithin < 0:
		return fail("trigger: durations must be positive")
	case t.Every != 0 && time.Duration(t.Every) < time.Hour:
		return fail("trigger.every %s: at least 1h", t.Every)
	}
	if _, err := d.reentry(); err != nil {
		return fail("%v", err)
	}
	if p := d.HoldoutPct; p != nil && (*p < 0 || *p > 50) {
		return fail("holdout_pct %d: 0 to 50", *p)
	}
	if d.HoldoutPct != nil && *d.HoldoutPct > 0 && d.Kind != Marketing {
		return fail("holdout_pct: only marketing campaigns hold members out")
	}
	if (d.Goal.Event == "") != (d.Goal.Within == 0) {
		return fail("goal: give both event and within")
	}
	if len(d.Steps) == 0 {
		return fail("no steps")
	}
	if d.Kind != Marketing && len(d.Offers()) > 0 {
		return fail("offers are marketing: give the campaign kind: marketing")
	}
	return validateSteps(d.Steps, fail)
}

func validateSteps(steps []Step, fail func(string, ...any) error) error {
	for i, s := range steps {
		kinds := 0
		for _, set := range []bool{s.Wait != 0, s.Until != "", s.WaitFor != "", s.If != nil, len(s.Message) > 0 && s.Survey == "", s.Grant != 0, s.Offer != nil,
			s.Survey != "", s.Tag != "", s.Untag != "", s.Exit} {
			if set {
				kinds++
			}
		}
		switch {
		case kinds != 1:
			return fail("step %d: give exactly one of wait, until, wait_for, if, message, grant, offer, survey, tag, untag, exit", i+1)
		case (s.WaitFor != "") != (s.Within > 0):
			return fail("step %d: wait_for needs within, and within belongs to wait_for", i+1)
		case s.If == nil && (len(s.Then) > 0 || len(s.Else) > 0):
			return fail("step %d: then/else belong to an if", i+1)
		case s.Wait < 0:
			return fail("step %d: wait must be positive", i+1)
		case s.Grant < 0 || s.Grant > 1_000_000:
			return fail("step %d: grant %d: 1 to 1,000,000", i+1, s.Grant)
		case s.Survey != "" && s.Survey != NPS && s.Survey != CSAT:
			return fail("step %d: survey %q: nps or csat", i+1, s.Survey)
		case s.To != "" && s.To != "private" && s.To != "group":
			return fail("step %d: to %q: private or group", i+1, s.To)
		case s.Email != "" && s.Email != "always" && s.Email != "fallback":
			return fail("step %d: email %q: always or fallback", i+1, s.Email)
		case s.Email != "" && s.To == "group":
			return fail("step %d: a group message is not e-mailed", i+1)
		case s.Offer != nil && s.Offer.ValidDays < 0:
			return fail("step %d: offer.valid_days %d is negative", i+1, s.Offer.ValidDays)
		case len(s.Message) > 0 && s.Message["en"] == "":
			return fail("step %d: message needs an en text", i+1)
		}
		for _, text := range s.Message {
			for _, m := range varPattern.FindAllStringSubmatch(text, -1) {
				if !knownVar(m[1]) {
					return fail("step %d: unknown variable {{%s}}; known: %s, event.<property>", i+1, m[1], strings.Join(Vars, ", "))
				}
			}
		}
		if s.Until != "" {
			if _, err := time.Parse("15:04", s.Until); err != nil {
				return fail("step %d: until %q is not a time of day like 10:00", i+1, s.Until)
			}
		}
		for _, b := range s.Buttons {
			if b.Label["en"] == "" || !strings.HasPrefix(b.Command, "/") {
				return fail("step %d: a button needs an en label and a /command", i+1)
			}
		}
		if err := validateSteps(s.Then, fail); err != nil {
			return err
		}
		if err := validateSteps(s.Else, fail); err != nil {
			return err
		}
	}
	return nil
}

// reentry returns the least time between two entries of one member: 0 for
// "once" (once per occurrence of the trigger).
func (d Definition) reentry() (time.Duration, error) {
	if d.Reentry == "" || d.Reentry == "once" || d.Reentry == "each" {
		return 0, nil
	}
	v, err := ParseDuration(d.Reentry)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("reentry %q: once, each, or a duration such as 30d", d.Reentry)
	}
	return time.Duration(v), nil
}

// holdout returns the share held out in basis points (1/100 of a percent).
func (d Definition) holdout(defaultPct int) int {
	if d.Kind != Marketing {
		return 0
	}
	if d.HoldoutPct != nil {
		return *d.HoldoutPct * 100
	}
	return defaultPct * 100
}

// label returns the campaign's name in locale, or its id.
func (d Definition) label(locale string) string {
	if s := d.Name[locale]; s != "" {
		return s
	}
	if s := d.Name["en"]; s != "" {
		return s
	}
	return d.ID
}
