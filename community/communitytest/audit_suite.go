package communitytest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/community"
	"github.com/loyalbot/loyalbot/loyalty"
)

// auditCases record managers' actions: daily limits, grants waiting for
// the owner, idempotent keys, refusals.
func auditCases(t *testing.T, env envFunc) {
	// managed is an Env with an owner, a manager and two members.
	type managed struct {
		*Env
		boss, mgr     community.Actor
		bob, cat      community.Member
		give, giveOwn func(key string, to uint64, amount int64) (community.AdjustResult, error)
	}
	setup := func(t *testing.T) *managed {
		e := env(t, nil)
		m := &managed{Env: e, boss: As(e.Join(t, Owner), bots.RoleOwner)}
		mgr := e.Join(t, "mgr")
		m.bob, m.cat = e.Join(t, "bob"), e.Join(t, "cat")
		if _, err := e.Admin.SetRole(ctx, m.boss, mgr.ID, bots.RoleManager); err != nil {
			t.Fatal(err)
		}
		m.mgr = As(mgr, bots.RoleManager)
		adjust := func(by community.Actor) func(string, uint64, int64) (community.AdjustResult, error) {
			return func(key string, to uint64, amount int64) (community.AdjustResult, error) {
				return e.Admin.AdjustPoints(ctx, community.Adjustment{Actor: by, Target: to, Amount: amount, Reason: "r " + key, Key: key})
			}
		}
		m.give, m.giveOwn = adjust(m.mgr), adjust(m.boss)
		return m
	}

	t.Run("Audit_DailyLimit", func(t *testing.T) {
		m := setup(t)
		if r, err := m.give("k1", m.bob.ID, 600); err != nil || r.Awaiting != nil || r.Used != 0 {
			t.Fatalf("a grant within the limit: %+v %v", r, err)
		}
		r2, err := m.give("k2", m.bob.ID, 600)
		if err != nil || r2.Awaiting == nil || r2.Used != 600 || r2.Awaiting.Outcome != community.OutcomeAwaiting {
			t.Fatalf("a grant past the limit: %+v %v", r2, err)
		}
		if b := m.Balance(t, m.bob.ID); b != 600 {
			t.Errorf("bob %d, want 600: the waiting grant pays nothing", b)
		}
		grant := r2.Awaiting.ID
		if _, err := m.Admin.DecideGrant(ctx, m.mgr, grant, true); !errors.Is(err, community.ErrForbidden) {
			t.Errorf("a manager approving: %v", err)
		}
		if got, err := m.Admin.DecideGrant(ctx, m.boss, grant, true); err != nil || got.Outcome != community.OutcomeApproved {
			t.Fatalf("the owner approving: %+v %v", got, err)
		}
		if _, err := m.Admin.DecideGrant(ctx, m.boss, grant, true); !errors.Is(err, community.ErrNotPending) {
			t.Errorf("approving twice: %v", err)
		}
		if b := m.Balance(t, m.bob.ID); b != 1200 {
			t.Errorf("bob %d after the approval, want 1200", b)
		}
		// The rest of the allowance, then one point too many, turned down.
		if r, err := m.give("k3", m.cat.ID, 400); err != nil || r.Awaiting != nil || r.Used != 600 {
			t.Errorf("the rest of the allowance: %+v %v", r, err)
		}
		r4, err := m.give("k4", m.cat.ID, 1)
		if err != nil || r4.Awaiting == nil {
			t.Fatalf("one point past the limit: %+v %v", r4, err)
		}
		if got, err := m.Admin.DecideGrant(ctx, m.boss, r4.Awaiting.ID, false); err != nil || got.Outcome != community.OutcomeRejected {
			t.Errorf("the owner turning it down: %+v %v", got, err)
		}
		// Takes and the owner's grants count against nothing.
		if _, err := m.Admin.AdjustPoints(ctx, community.Adjustment{Actor: m.mgr, Target: m.cat.ID, Amount: 100, Take: true, Reason: "typo", Key: "k5"}); err != nil {
			t.Errorf("a take: %v", err)
		}
		if r, err := m.giveOwn("k6", m.cat.ID, 50_000); err != nil || r.Awaiting != nil {
			t.Errorf("the owner's big grant: %+v %v", r, err)
		}
		var used int64
		if err := m.Store.View(ctx, func(tx community.ReadTx) (err error) {
			used, err = tx.GrantUsage(m.mgr.Member, Start.Format(time.DateOnly))
			return err
		}); err != nil || used != ManagerLimit {
			t.Errorf("the manager's usage %d (%v), want %d", used, err, ManagerLimit)
		}
		// The next community day the allowance is whole again.
		m.Clock.Advance(24 * time.Hour)
		if r, err := m.give("k7", m.cat.ID, 900); err != nil || r.Awaiting != nil || r.Used != 0 {
			t.Errorf("the next day: %+v %v", r, err)
		}
		if b := m.Balance(t, m.cat.ID); b != 400-100+50_000+900 {
			t.Errorf("cat %d", b)
		}
	})

	t.Run("Audit_IdempotentKeys", func(t *testing.T) {
		m := setup(t)
		first, err := m.give("retry", m.bob.ID, 100)
		if err != nil || first.Replay {
			t.Fatalf("give: %+v %v", first, err)
		}
		again, err := m.give("retry", m.bob.ID, 100)
		if err != nil || !again.Replay {
			t.Errorf("the retried give: %+v %v", again, err)
		}
		if b := m.Balance(t, m.bob.ID); b != 100 {
			t.Errorf("bob %d after a retried give, want 100", b)
		}
		log, err := m.Community.AuditLog(ctx, m.bob.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range log {
			if e.Key == "retry" {
				n++
				if e.Outcome != community.OutcomeDone || e.Actor != m.mgr.Member || e.Platform != bots.Console || e.UserID != "mgr" || e.Args["reason"] != "r retry" {
					t.Errorf("the recorded give: %+v", e)
				}
			}
		}
		if n != 1 {
			t.Errorf("the retried give is recorded %d times, want once", n)
		}
		var used int64
		if err := m.Store.View(ctx, func(tx community.ReadTx) (err error) {
			used, err = tx.GrantUsage(m.mgr.Member, Start.Format(time.DateOnly))
			return err
		}); err != nil || used != 100 {
			t.Errorf("the retried give counts %d (%v) against the limit, want 100", used, err)
		}
	})

	t.Run("Audit_RefusalsAndLog", func(t *testing.T) {
		m := setup(t)
		if _, err := m.give("self", m.mgr.Member, 10); !errors.Is(err, community.ErrSelf) {
			t.Errorf("a manager paying themselves: %v", err)
		}
		_, err := m.Admin.AdjustPoints(ctx, community.Adjustment{Actor: m.mgr, Target: m.bob.ID, Amount: 5000, Take: true, Reason: "too much", Key: "take"})
		var short *loyalty.InsufficientFundsError
		if !errors.As(err, &short) {
			t.Errorf("taking more than bob has: %v", err)
		}
		if _, err := m.give("nobody", 999, 10); !errors.Is(err, community.ErrNoMember) {
			t.Errorf("a grant to nobody: %v", err)
		}
		log, err := m.Community.AuditLog(ctx, m.mgr.Member, 10)
		if err != nil {
			t.Fatal(err)
		}
		outcomes := map[string]string{}
		for _, e := range log {
			outcomes[e.Key] = e.Outcome
		}
		if outcomes["self/refused"] != community.OutcomeRefused || outcomes["take"] != community.OutcomeRefused {
			t.Errorf("the manager's log %+v: the refusals are recorded", log)
		}
		// Newest first, for one member and for all, limited.
		all, err := m.Community.AuditLog(ctx, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		ids := func(es []community.AuditEntry) (out []uint64) {
			for _, e := range es {
				out = append(out, e.ID)
			}
			return out
		}
		if got := ids(all); len(got) < 3 || !slices.IsSortedFunc(got, func(a, b uint64) int { return int(b) - int(a) }) {
			t.Errorf("the whole log %v, want newest first", got)
		}
		if top, _ := m.Community.AuditLog(ctx, 0, 2); !slices.Equal(ids(top), ids(all)[:2]) {
			t.Errorf("the newest two %v, want %v", ids(top), ids(all)[:2])
		}
		if mine, _ := m.Community.AuditLog(ctx, m.mgr.Member, 1); len(mine) != 1 || mine[0].ID != ids(log)[0] {
			t.Errorf("the manager's newest entry %+v", mine)
		}
	})
}
