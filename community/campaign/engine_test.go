package campaign_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/community/campaign"
	campaignbolt "github.com/loyalbot/loyalbot/community/campaign/bolt"
	"github.com/loyalbot/loyalbot/internal/outbox"
	"github.com/loyalbot/loyalbot/loyalty"
	"github.com/loyalbot/loyalbot/loyalty/bolt/bolttest"
	bbolt "go.etcd.io/bbolt"
)

// start is the tests' clock at zero: a Monday, 10:00 UTC, outside the
// quiet hours.
var start = time.Date(2027, 3, 1, 10, 0, 0, 0, time.UTC)

// world is a community in memory: members, a ledger log, grants by key.
type world struct {
	mu      sync.Mutex
	now     time.Time
	members map[uint64]*campaign.Member
	entries []loyalty.Entry
	grants  map[string]int64 // key → points: a repeated key pays nothing more
	calls   int              // Grant calls, repeated keys included
	failAt  int              // Grant fails on this call (1-based); 0: never
}

func newWorld() *world {
	return &world{now: start, members: map[uint64]*campaign.Member{}, grants: map[string]int64{}}
}

func (w *world) clock() time.Time { w.mu.Lock(); defer w.mu.Unlock(); return w.now }

func (w *world) advance(d time.Duration) { w.mu.Lock(); w.now = w.now.Add(d); w.mu.Unlock() }

func (w *world) add(id uint64, consent bool) *campaign.Member {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := &campaign.Member{ID: id, Name: fmt.Sprintf("m%d", id), Locale: "en", Platform: "console", Role: "member", Joined: w.now,
		LastActive: w.now, Consent: consent, Live: true}
	w.members[id] = m
	return m
}

// checkIn writes a check-in entry to the ledger log.
func (w *world) checkIn(id uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.members[id].LastCheckin = w.now.Format(time.DateOnly)
	w.members[id].LastActive = w.now
	w.entries = append(w.entries, loyalty.Entry{ID: uint64(len(w.entries) + 1), Key: fmt.Sprintf("checkin:%d:%s", id, w.now.Format(time.DateOnly)),
		From: loyalty.Issuance("checkin"), To: loyalty.Member(id), Amount: 10, Time: w.now})
}

func (w *world) Member(_ context.Context, id uint64) (campaign.Member, bool, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	m, ok := w.members[id]
	if !ok {
		return campaign.Member{}, false, nil
	}
	return *m, true, nil
}

func (w *world) Members(ctx context.Context, ids []uint64) (map[uint64]campaign.Member, error) {
	out := map[uint64]campaign.Member{}
	for _, id := range ids {
		if m, ok, _ := w.Member(ctx, id); ok {
			out[id] = m
		}
	}
	return out, nil
}

func (w *world) ActiveBetween(_ context.Context, from, to time.Time, fn func(uint64, time.Time) error) error {
	w.mu.Lock()
	var ids []uint64
	var ts []time.Time
	for id := uint64(1); id <= uint64(len(w.members))+1000; id++ {
		if m, ok := w.members[id]; ok && m.Live && !m.LastActive.Before(from) && m.LastActive.Before(to) {
			ids, ts = append(ids, id), append(ts, m.LastActive)
		}
	}
	w.mu.Unlock()
	for i := range ids {
		if err := fn(ids[i], ts[i]); err != nil {
			return err
		}
	}
	return nil
}

func (w *world) Each(_ context.Context, fn func(campaign.Member) error) error {
	w.mu.Lock()
	var ms []campaign.Member
	for id := uint64(1); id <= uint64(len(w.members))+1000; id++ {
		if m, ok := w.members[id]; ok && m.Live {
			ms = append(ms, *m)
		}
	}
	w.mu.Unlock()
	for _, m := range ms {
		if err := fn(m); err != nil {
			return err
		}
	}
	return nil
}

func (w *world) Segment(context.Context, uint64) (string, error) { return "", nil }

func (w *world) EntriesAfter(_ context.Context, after uint64, limit int) ([]loyalty.Entry, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []loyalty.Entry
	for _, e := range w.entries {
		if e.ID > after && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

func (w *world) LastEntry(context.Context) (uint64, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return uint64(len(w.entries)), nil
}

func (w *world) Available(_ context.Context, id uint64) (int64, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var n int64
	for _, e := range w.entries {
		if amount, _ := e.For(loyalty.Member(id)); e.To == loyalty.Member(id) || e.From == loyalty.Member(id) {
			n += amount
		}
	}
	return n, nil
}

func (w *world) Tier(context.Context, uint64) (string, error)             { return "Leaf", nil }
func (w *world) Redeemed(context.Context, uint64) (bool, error)           { return false, nil }
func (w *world) Affordable(context.Context, uint64) (string, bool, error) { return "", false, nil }
func (w *world) ExpiringBy(context.Context, time.Time, time.Time, func(uint64, int64, time.Time) error) error {
	return nil
}

var errGrant = errors.New("ledger unavailable")

func (w *world) Grant(_ context.Context, member uint64, points int64, key, _ string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.calls++
	if w.calls == w.failAt {
		return errGrant
	}
	if _, ok := w.grants[key]; !ok {
		w.grants[key] = points
		w.entries = append(w.entries, loyalty.Entry{ID: uint64(len(w.entries) + 1), Key: key, From: loyalty.Issuance("campaign"),
			To: loyalty.Member(member), Amount: points, Time: w.now})
	}
	return nil
}

func (w *world) Vars(_ context.Context, m campaign.Member, _ []string) (map[string]string, error) {
	return map[string]string{"name": m.Name}, nil
}

func (w *world) Survey(_, survey, id string) (string, []campaign.Choice) {
	return "rate us", []campaign.Choice{{Label: "5", Command: "/rate " + id + " 5"}}
}

func (w *world) Offer(_ context.Context, _ string, c campaign.Coupon) string { return "code " + c.Code }

// engine opens an engine over db with defs.
func engine(t testing.TB, db *bbolt.DB, w *world, cfg campaign.Config) *campaign.Engine {
	t.Helper()
	st, err := campaignbolt.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Now = w.clock
	e, err := campaign.New(st, w, w, w, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e
}

// publish puts a member_joined event for each member in the outbox.
func publish(t testing.TB, e *campaign.Engine, w *world, ids ...uint64) {
	t.Helper()
	for _, id := range ids {
		if _, err := e.Publish(context.Background(), outbox.Event{Key: fmt.Sprintf("joined:%d", id), Type: outbox.MemberJoined, Member: id, At: w.clock()}); err != nil {
			t.Fatal(err)
		}
	}
}

// drain returns the queued messages' texts by key, and fails on a key
// delivered twice.
func drain(t testing.TB, e *campaign.Engine, seen map[string]string) []campaign.Message {
	t.Helper()
	var out []campaign.Message
	for {
		n, err := e.Drain(context.Background(), 1000, func(_ context.Context, m campaign.Message) error {
			if _, dup := seen[m.Key]; dup {
				t.Errorf("message %s delivered twice", m.Key)
			}
			seen[m.Key] = m.Text
			out = append(out, m)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return out
		}
	}
}

func tick(t testing.TB, e *campaign.Engine, w *world) campaign.TickReport {
	t.Helper()
	rep, err := e.Tick(context.Background(), w.clock())
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func ptr[T any](v T) *T { return &v }

var promo = campaign.Definition{ID: "promo", Kind: campaign.Marketing, Trigger: campaign.Trigger{Event: outbox.MemberJoined},
	HoldoutPct: ptr(10), Goal: campaign.Goal{Event: outbox.CheckedIn, Within: campaign.Duration(7 * 24 * time.Hour)},
	Steps: []campaign.Step{{Message: campaign.Text{"en": "Hi {{name}}"}}, {Grant: 50}}}

// The holdout holds out the configured share (±2 points over 10,000
// members), by a hash: the same member lands on the same side in
// another engine, and held-out members get nothing but are tracked.
func TestHoldout_ShareAndSticky(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	const n = 10_000
	for id := uint64(1); id <= n; id++ {
		w.add(id, true)
	}
	e := engine(t, bolttest.OpenDB(t), w, campaign.Config{Campaigns: []campaign.Definition{promo}, MarketingPerWeek: -1})
	for id := uint64(1); id <= n; id++ {
		publish(t, e, w, id)
	}
	tick(t, e, w)
	ss, err := e.Report(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st := ss[0].Stats
	share := 100 * float64(st.HeldOut) / float64(st.Entered)
	if st.Entered != n || share < 8 || share > 12 {
		t.Fatalf("entered %d, held out %d (%.2f%%), want all entered and 10±2%% held out", st.Entered, st.HeldOut, share)
	}
	t.Logf("held out %d of %d (%.2f%%)", st.HeldOut, st.Entered, share)
	if len(w.grants) != n-st.HeldOut || st.Sent != n-st.HeldOut {
		t.Fatalf("%d grants and %d messages, want %d each: the holdout gets nothing", len(w.grants), st.Sent, n-st.HeldOut)
	}
	other := engine(t, bolttest.OpenDB(t), w, campaign.Config{Campaigns: []campaign.Definition{promo}})
	for id := uint64(1); id <= n; id++ {
		_, granted := w.grants[fmt.Sprintf("campaign:promo:%d:1", id)]
		if e.HeldOut("promo", id) != other.HeldOut("promo", id) || e.HeldOut("promo", id) == granted {
			t.Fatalf("member %d: held out %v here, %v in another engine, granted %v", id, e.HeldOut("promo", id), other.HeldOut("promo", id), granted)
		}
	}
	// The goal is recorded for both sides.
	for id := uint64(1); id <= 2000; id++ {
		w.checkIn(id)
	}
	tick(t, e, w)
	ss, _ = e.Report(ctx)
	st = ss[0].Stats
	if st.Converted+st.HeldConverted != 2000 || st.HeldConverted == 0 {
		t.Fatalf("converted %d treated + %d held out, want 2000 with some held out", st.Converted, st.HeldConverted)
	}
}

// Each step happens once: ticking again, reopening the store, replaying
// the same events and a grant that failed once change nothing more.
func TestTick_ExactlyOnceAcrossRestarts(t *testing.T) {
	w := newWorld()
	for id := uint64(1); id <= 50; id++ {
		w.add(id, true)
	}
	w.failAt = 7 // one grant fails: that member's step is retried at the next tick
	db := bolttest.OpenDB(t)
	cfg := campaign.Config{Campaigns: []campaign.Definition{promo}, HoldoutPct: -1, MarketingPerWeek: -1}
	noHoldout := promo
	noHoldout.HoldoutPct = ptr(0)
	cfg.Campaigns = []campaign.Definition{noHoldout}
	e := engine(t, db, w, cfg)
	for id := uint64(1); id <= 50; id++ {
		publish(t, e, w, id)
	}
	seen := map[string]string{}
	tick(t, e, w)
	drain(t, e, seen)
	if len(w.grants) != 49 {
		t.Fatalf("%d grants after the failed one, want 49", len(w.grants))
	}
	e2 := engine(t, db, w, cfg) // a restart
	publish(t, e2, w, 1, 2, 3)  // redelivered events
	tick(t, e2, w)
	tick(t, e2, w)
	drain(t, e2, seen)
	if len(w.grants) != 50 || len(seen) != 50 {
		t.Fatalf("%d grants, %d messages, want 50 each", len(w.grants), len(seen))
	}
	for k, v := range w.grants {
		if v != 50 || !strings.HasPrefix(k, "campaign:promo:") {
			t.Fatalf("grant %s = %d", k, v)
		}
	}
	if w.calls != 51 {
		t.Fatalf("%d grant calls, want 51 (50 and the failed one): a done step must not run again", w.calls)
	}
}

// Waits count from when the step was due; wait_for goes on when its event
// happens; a branch on it tells which.
func TestWaitFor_GoesOnWhenTheEventHappens(t *testing.T) {
	w := newWorld()
	w.add(1, true)
	w.add(2, true)
	def := campaign.Definition{ID: "nudge", Kind: campaign.Service, Trigger: campaign.Trigger{Event: outbox.MemberJoined},
		Steps: []campaign.Step{
			{Wait: campaign.Duration(24 * time.Hour)},
			{Message: campaign.Text{"en": "check in for a bonus"}},
			{WaitFor: outbox.CheckedIn, Within: campaign.Duration(3 * 24 * time.Hour)},
			{If: &campaign.Condition{Happened: outbox.CheckedIn}, Then: []campaign.Step{{Grant: 20}, {Message: campaign.Text{"en": "thanks"}}},
				Else: []campaign.Step{{Message: campaign.Text{"en": "maybe next time"}}}},
		}}
	e := engine(t, bolttest.OpenDB(t), w, campaign.Config{Campaigns: []campaign.Definition{def}})
	publish(t, e, w, 1, 2)
	seen := map[string]string{}
	tick(t, e, w)
	if got := drain(t, e, seen); len(got) != 0 {
		t.Fatalf("sent %v before the wait", got)
	}
	w.advance(25 * time.Hour)
	tick(t, e, w)
	if got := drain(t, e, seen); len(got) != 2 {
		t.Fatalf("sent %d after a day, want the two nudges", len(got))
	}
	w.advance(time.Hour)
	w.checkIn(1)
	tick(t, e, w)
	got := drain(t, e, seen)
	if len(got) != 1 || got[0].Member != 1 || got[0].Text != "thanks" || w.grants["campaign:nudge:1:4"] != 20 {
		t.Fatalf("after member 1 checked in: sent %+v, grants %v", got, w.grants)
	}
	w.advance(3 * 24 * time.Hour)
	tick(t, e, w)
	got = drain(t, e, seen)
	if len(got) != 1 || got[0].Member != 2 || got[0].Text != "maybe next time" || len(w.grants) != 1 {
		t.Fatalf("after the window: sent %+v, grants %v", got, w.grants)
	}
}

// Marketing needs consent, stops at the weekly cap and waits out quiet
// hours; service messages go unless muted.
func TestGuardRails(t *testing.T) {
	w := newWorld()
	w.add(1, true)  // consents
	w.add(2, false) // does not
	m3 := w.add(3, true)
	m3.Muted = true
	offers := func(id string) campaign.Definition {
		d := promo
		d.ID, d.HoldoutPct, d.Steps = id, ptr(0), []campaign.Step{{Message: campaign.Text{"en": id}}}
		return d
	}
	service := campaign.Definition{ID: "service", Kind: campaign.Service, Trigger: campaign.Trigger{Event: outbox.MemberJoined},
		Steps: []campaign.Step{{Message: campaign.Text{"en": "service"}}}}
	cfg := campaign.Config{Campaigns: []campaign.Definition{offers("a"), offers("b"), offers("c"), service}, MarketingPerWeek: 2,
		QuietStart: 21 * 60, QuietEnd: 9 * 60}
	w.advance(12 * time.Hour) // 22:00: quiet
	e := engine(t, bolttest.OpenDB(t), w, cfg)
	publish(t, e, w, 1, 2, 3)
	seen := map[string]string{}
	tick(t, e, w)
	if got := drain(t, e, seen); len(got) != 0 {
		t.Fatalf("sent %d during quiet hours", len(got))
	}
	w.advance(11 * time.Hour) // 09:00
	tick(t, e, w)
	got := drain(t, e, seen)
	by := map[uint64][]string{}
	for _, m := range got {
		by[m.Member] = append(by[m.Member], m.Text)
	}
	if strings.Join(by[1], ",") != "a,b,service" || strings.Join(by[2], ",") != "service" || len(by[3]) != 2 {
		t.Fatalf("sent %v; want member 1 two offers (the cap) and the service message, member 2 only service, member 3 (muted) only offers", by)
	}
	ss, _ := e.Report(context.Background())
	if ss[2].Stats.Capped != 2 || ss[3].Stats.Muted != 1 {
		t.Fatalf("campaign c capped %d (want 2), service muted %d (want 1)", ss[2].Stats.Capped, ss[3].Stats.Muted)
	}
}

// A changed definition is stored as a new version; runs in progress
// finish on the version they entered.
func TestVersions_RunsKeepTheirVersion(t *testing.T) {
	w := newWorld()
	w.add(1, true)
	w.add(2, true)
	db := bolttest.OpenDB(t)
	v1 := campaign.Definition{ID: "v", Kind: campaign.Service, Trigger: campaign.Trigger{Event: outbox.MemberJoined},
		Steps: []campaign.Step{{Wait: campaign.Duration(time.Hour)}, {Message: campaign.Text{"en": "one"}}}}
	e := engine(t, db, w, campaign.Config{Campaigns: []campaign.Definition{v1}})
	publish(t, e, w, 1)
	tick(t, e, w)
	v2 := v1
	v2.Steps = []campaign.Step{{Wait: campaign.Duration(time.Hour)}, {Message: campaign.Text{"en": "two"}}}
	e2 := engine(t, db, w, campaign.Config{Campaigns: []campaign.Definition{v2}})
	publish(t, e2, w, 2)
	w.advance(2 * time.Hour)
	tick(t, e2, w)
	got := map[uint64]string{}
	for _, m := range drain(t, e2, map[string]string{}) {
		got[m.Member] = m.Text
	}
	ss, _ := e2.Report(context.Background())
	if got[1] != "one" || got[2] != "two" || ss[0].Version != 2 {
		t.Fatalf("sent %v at version %d; want member 1 on version 1, member 2 on version 2", got, ss[0].Version)
	}
}

// Members who leave exit at their next step; paused campaigns wait.
func TestLeaveAndPause(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	w.add(1, true)
	m2 := w.add(2, true)
	def := campaign.Definition{ID: "p", Kind: campaign.Service, Trigger: campaign.Trigger{Event: outbox.MemberJoined},
		Steps: []campaign.Step{{Wait: campaign.Duration(time.Hour)}, {Message: campaign.Text{"en": "hello"}}}}
	e := engine(t, bolttest.OpenDB(t), w, campaign.Config{Campaigns: []campaign.Definition{def}})
	publish(t, e, w, 1, 2)
	tick(t, e, w)
	if err := e.Pause(ctx, "p", true); err != nil {
		t.Fatal(err)
	}
	m2.Live = false
	w.advance(2 * time.Hour)
	tick(t, e, w)
	seen := map[string]string{}
	if got := drain(t, e, seen); len(got) != 0 {
		t.Fatalf("a paused campaign sent %v", got)
	}
	if err := e.Pause(ctx, "p", false); err != nil {
		t.Fatal(err)
	}
	tick(t, e, w)
	got := drain(t, e, seen)
	ss, _ := e.Report(ctx)
	if len(got) != 1 || got[0].Member != 1 || ss[0].Stats.Left != 1 {
		t.Fatalf("sent %+v, left %d; want member 1 only and member 2 counted as left", got, ss[0].Stats.Left)
	}
}

// Inactivity enters each member once per spell, reading only who crossed
// the line since the last scan.
func TestInactivity_OncePerSpell(t *testing.T) {
	w := newWorld()
	for id := uint64(1); id <= 3; id++ {
		w.add(id, true)
	}
	def := campaign.Definition{ID: "wb", Kind: campaign.Marketing, HoldoutPct: ptr(0), Trigger: campaign.Trigger{InactiveDays: 30},
		Steps: []campaign.Step{{Message: campaign.Text{"en": "we miss you"}}}}
	e := engine(t, bolttest.OpenDB(t), w, campaign.Config{Campaigns: []campaign.Definition{def}, MarketingPerWeek: -1})
	seen := map[string]string{}
	w.advance(10 * 24 * time.Hour)
	w.checkIn(3) // member 3 is active on day 10
	w.advance(21 * 24 * time.Hour)
	tick(t, e, w)
	if got := drain(t, e, seen); len(got) != 2 {
		t.Fatalf("day 31: sent %d, want members 1 and 2", len(got))
	}
	tick(t, e, w)
	w.advance(10 * 24 * time.Hour)
	tick(t, e, w)
	got := drain(t, e, seen)
	if len(got) != 1 || got[0].Member != 3 {
		t.Fatalf("day 41: sent %+v, want member 3 only (1 and 2 are in the same spell)", got)
	}
}

func TestValidate(t *testing.T) {
	msg := campaign.Step{Message: campaign.Text{"en": "hi"}}
	ev := campaign.Trigger{Event: "x"}
	for _, tc := range []struct {
		name string
		def  campaign.Definition
		want string
	}{
		{"bad id", campaign.Definition{ID: "Bad Id", Kind: campaign.Service, Trigger: ev, Steps: []campaign.Step{msg}}, "lowercase"},
		{"no kind", campaign.Definition{ID: "a", Trigger: ev, Steps: []campaign.Step{msg}}, "kind"},
		{"two triggers", campaign.Definition{ID: "a", Kind: campaign.Service, Trigger: campaign.Trigger{Event: "x", InactiveDays: 3}, Steps: []campaign.Step{msg}}, "exactly one"},
		{"no steps", campaign.Definition{ID: "a", Kind: campaign.Service, Trigger: ev}, "no steps"},
		{"two kinds in a step", campaign.Definition{ID: "a", Kind: campaign.Service, Trigger: ev, Steps: []campaign.Step{{Grant: 5, Tag: "x"}}}, "exactly one"},
		{"unknown variable", campaign.Definition{ID: "a", Kind: campaign.Service, Trigger: ev, Steps: []campaign.Step{{Message: campaign.Text{"en": "{{nmae}}"}}}}, "unknown variable {{nmae}}"},
		{"bad until", campaign.Definition{ID: "a", Kind: campaign.Service, Trigger: ev, Steps: []campaign.Step{{Until: "25:00"}}}, "time of day"},
		{"holdout too big", campaign.Definition{ID: "a", Kind: campaign.Marketing, HoldoutPct: ptr(80), Trigger: ev, Steps: []campaign.Step{msg}}, "holdout_pct"},
		{"goal half", campaign.Definition{ID: "a", Kind: campaign.Service, Trigger: ev, Goal: campaign.Goal{Event: "x"}, Steps: []campaign.Step{msg}}, "goal"},
		{"bad reentry", campaign.Definition{ID: "a", Kind: campaign.Service, Trigger: ev, Reentry: "sometimes", Steps: []campaign.Step{msg}}, "reentry"},
		{"wait_for without within", campaign.Definition{ID: "a", Kind: campaign.Service, Trigger: ev, Steps: []campaign.Step{{WaitFor: "x"}}}, "within"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.def.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want an error containing %q", err, tc.want)
			}
		})
	}
	pbs, err := campaign.Playbooks()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range pbs {
		if err := d.Validate(); err != nil {
			t.Errorf("playbook %s: %v", d.ID, err)
		}
	}
}

// A message the platform refuses is tried at the next drain, three times
// in all; one marked as being sent when loyalbot stopped is not sent again.
func TestDrain_RetryAndAtMostOnce(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	w.add(1, true)
	w.add(2, true)
	def := campaign.Definition{ID: "m", Kind: campaign.Service, Trigger: campaign.Trigger{Event: outbox.MemberJoined},
		Steps: []campaign.Step{{Message: campaign.Text{"en": "hi"}}}}
	db := bolttest.OpenDB(t)
	e := engine(t, db, w, campaign.Config{Campaigns: []campaign.Definition{def}})
	publish(t, e, w, 1, 2)
	tick(t, e, w)
	// Member 2's message was being handed over when loyalbot stopped.
	st, _ := campaignbolt.Open(db)
	if err := st.Update(ctx, func(tx campaign.Tx) error {
		return tx.Outgoing(func(m campaign.Message) error {
			if m.Member == 2 {
				m.Attempted = true
				return tx.UpdateOutgoing(m)
			}
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	calls := 0
	refuse := func(context.Context, campaign.Message) error { calls++; return errors.New("platform down") }
	for range 2 {
		if n, err := e.Drain(ctx, 10, refuse); err != nil || n != 0 {
			t.Fatalf("drain: %d sent, %v", n, err)
		}
	}
	if q, _ := e.Queued(ctx); q != 1 || calls != 2 {
		t.Fatalf("%d queued after %d refusals, want member 1's message kept and member 2's dropped", q, calls)
	}
	if n, _ := e.Drain(ctx, 10, refuse); n != 0 {
		t.Fatal("sent")
	}
	if q, _ := e.Queued(ctx); q != 0 || calls != 3 {
		t.Fatalf("%d queued after %d tries, want it dropped after the third", q, calls)
	}
}

// Segment tracking publishes a change (not a first sighting), and
// triggers filter on alternatives and numeric bounds.
func TestSegments_ChangeTriggersCampaign(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	for id := uint64(1); id <= 3; id++ {
		w.add(id, true)
	}
	def := campaign.Definition{ID: "rescue", Kind: campaign.Service, Trigger: campaign.Trigger{Event: campaign.SegmentChanged,
		Where: map[string]string{"to": "At Risk|Hibernating", "p_alive": "<0.5"}},
		Steps: []campaign.Step{{Message: campaign.Text{"en": "come back"}}}}
	e := engine(t, bolttest.OpenDB(t), w, campaign.Config{Campaigns: []campaign.Definition{def}})
	first := map[uint64]campaign.Standing{1: {Segment: "Champions", PAlive: 0.9}, 2: {Segment: "Loyal", PAlive: 0.8}, 3: {Segment: "Loyal", PAlive: 0.8}}
	if n, err := e.TrackSegments(ctx, w.clock(), first); err != nil || n != 0 {
		t.Fatalf("first tracking: %d changes (%v), want none", n, err)
	}
	w.advance(24 * time.Hour)
	next := map[uint64]campaign.Standing{1: {Segment: "At Risk", PAlive: 0.3}, 2: {Segment: "Hibernating", PAlive: 0.7}, 3: {Segment: "Loyal", PAlive: 0.8}}
	if n, err := e.TrackSegments(ctx, w.clock(), next); err != nil || n != 2 {
		t.Fatalf("second tracking: %d changes (%v), want 2", n, err)
	}
	if n, _ := e.TrackSegments(ctx, w.clock(), next); n != 0 {
		t.Fatalf("unchanged: %d changes", n)
	}
	tick(t, e, w)
	got := drain(t, e, map[string]string{})
	if len(got) != 1 || got[0].Member != 1 {
		t.Fatalf("sent %+v; want member 1 only (member 2's P(alive) is 0.7)", got)
	}
}

// checked_in counts check-ins after entering, not the one that entered.
func TestCheckedIn_NotTheEnteringOne(t *testing.T) {
	w := newWorld()
	w.add(1, true)
	w.add(2, true)
	yes := true
	def := campaign.Definition{ID: "again", Kind: campaign.Service, Trigger: campaign.Trigger{Event: outbox.CheckedIn},
		Steps: []campaign.Step{{Wait: campaign.Duration(24 * time.Hour)}, {If: &campaign.Condition{CheckedIn: &yes}, Then: []campaign.Step{{Grant: 5}}}}}
	e := engine(t, bolttest.OpenDB(t), w, campaign.Config{Campaigns: []campaign.Definition{def}})
	w.checkIn(1)
	w.checkIn(2)
	tick(t, e, w)
	w.advance(time.Hour)
	w.checkIn(2) // member 2 checks in again after entering
	tick(t, e, w)
	w.advance(24 * time.Hour)
	tick(t, e, w)
	if len(w.grants) != 1 || w.grants["campaign:again:2:2"] != 5 {
		t.Fatalf("grants %v, want member 2's only", w.grants)
	}
}

// Campaigns added to a database with history start from now: years of
// check-ins enter no one.
func TestLoad_StartsFromNow(t *testing.T) {
	w := newWorld()
	w.add(1, true)
	w.checkIn(1) // before campaigns existed
	def := campaign.Definition{ID: "thanks", Kind: campaign.Service, Trigger: campaign.Trigger{Event: outbox.CheckedIn}, Reentry: "each",
		Steps: []campaign.Step{{Message: campaign.Text{"en": "thanks"}}}}
	e := engine(t, bolttest.OpenDB(t), w, campaign.Config{Campaigns: []campaign.Definition{def}})
	if rep := tick(t, e, w); rep.Entered != 0 {
		t.Fatalf("entered %d for a check-in before campaigns", rep.Entered)
	}
	w.advance(24 * time.Hour)
	w.checkIn(1)
	if rep := tick(t, e, w); rep.Entered != 1 {
		t.Fatalf("entered %d for a check-in after, want 1", rep.Entered)
	}
}
