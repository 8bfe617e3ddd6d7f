package communitytest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/community"
)

// linkCases fold one member's accounts into another's wallet with /link.
func linkCases(t *testing.T, env envFunc) {
	t.Run("Link", func(t *testing.T) {
		e := env(t, nil)
		ann, bob := e.Join(t, "ann"), e.JoinOn(t, bots.Telegram, "bob")
		for _, m := range []community.Member{ann, bob} {
			if _, err := e.Community.Signup(ctx, m.ID); err != nil {
				t.Fatal(err)
			}
		}
		e.Credit(t, bob.ID, 30, "seed-bob")
		code, err := e.Community.NewLinkCode(ctx, ann.ID)
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.Community.Link(ctx, As(bob, bots.RoleMember), code)
		if err != nil || res.Member.ID != ann.ID || res.Folded != bob.ID || len(res.Member.Identities) != 2 {
			t.Fatalf("link: %+v %v", res, err)
		}
		if id := e.Lookup(t, bots.Telegram, "bob"); id != ann.ID {
			t.Errorf("bob's account speaks as %d, want %d", id, ann.ID)
		}
		if id, err := e.Members.LookupMention(ctx, bots.Telegram, "@bob"); err != nil || id != ann.ID {
			t.Errorf("@bob names %d %v, want %d", id, err, ann.ID)
		}
		if got, err := e.Members.Get(ctx, bob.ID); err != nil || got.ID != ann.ID || len(got.Merged) != 1 || got.Merged[0] != bob.ID {
			t.Errorf("the folded id resolves to %+v %v", got, err)
		}
		if b := e.Balance(t, ann.ID); b != 100+30 {
			t.Errorf("linked wallet %d, want 130 (one signup bonus)", b)
		}
		if _, err := e.Community.Link(ctx, As(bob, bots.RoleMember), code); !errors.Is(err, community.ErrBadLinkCode) {
			t.Errorf("the code a second time: %v", err)
		}
		if n := e.PendingJobs(t); n != 0 {
			t.Errorf("%d jobs left after a link", n)
		}
		if ms, _ := e.Members.WithRole(ctx, bots.RoleMember); len(ms) != 1 || ms[0].ID != ann.ID {
			t.Errorf("members after the link: %+v (the folded one is in no index)", ms)
		}
		// The same member, an expired code, an unknown code.
		code, _ = e.Community.NewLinkCode(ctx, ann.ID)
		if _, err := e.Community.Link(ctx, As(ann, bots.RoleMember), code); !errors.Is(err, community.ErrSameMember) {
			t.Errorf("linking to oneself: %v", err)
		}
		cat := e.Join(t, "cat")
		e.Clock.Advance(e.Config.LinkTTL)
		if _, err := e.Community.Link(ctx, As(cat, bots.RoleMember), code); !errors.Is(err, community.ErrBadLinkCode) {
			t.Errorf("an expired code: %v", err)
		}
		if _, err := e.Community.Link(ctx, As(cat, bots.RoleMember), "NOSUCH"); !errors.Is(err, community.ErrBadLinkCode) {
			t.Errorf("an unknown code: %v", err)
		}
	})

	t.Run("Link_RolesNeverRise", func(t *testing.T) {
		e := env(t, nil)
		boss := As(e.Join(t, Owner), bots.RoleOwner)
		amb, mal := e.Join(t, "amb"), e.Join(t, "mallory")
		if _, err := e.Admin.SetRole(ctx, boss, amb.ID, bots.RoleAmbassador); err != nil {
			t.Fatal(err)
		}
		code, _ := e.Community.NewLinkCode(ctx, mal.ID)
		if _, err := e.Community.Link(ctx, As(amb, bots.RoleAmbassador), code); !errors.Is(err, community.ErrRoleRise) {
			t.Errorf("an ambassador typing a member's code: %v", err)
		}
		if id := e.Lookup(t, bots.Console, "amb"); id != amb.ID {
			t.Errorf("a refused link moved the account to %d", id)
		}
		// Refused, the code is not used up: the other way round works.
		code, _ = e.Community.NewLinkCode(ctx, amb.ID)
		if res, err := e.Community.Link(ctx, As(mal, bots.RoleMember), code); err != nil || res.Member.Role != community.RoleAmbassador {
			t.Errorf("the other way round: %+v %v", res, err)
		}
	})

	t.Run("Link_ManagerGrantsBlockIt", func(t *testing.T) {
		e := env(t, nil)
		boss := As(e.Join(t, Owner), bots.RoleOwner)
		mgr, alt := e.Join(t, "mgr"), e.Join(t, "alt")
		if _, err := e.Admin.SetRole(ctx, boss, mgr.ID, bots.RoleManager); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Admin.AdjustPoints(ctx, community.Adjustment{Actor: As(mgr, bots.RoleManager), Target: alt.ID, Amount: 50, Reason: "alt", Key: "g1"}); err != nil {
			t.Fatal(err)
		}
		code, _ := e.Community.NewLinkCode(ctx, mgr.ID)
		if _, err := e.Community.Link(ctx, As(alt, bots.RoleMember), code); !errors.Is(err, community.ErrLinkGranted) {
			t.Errorf("linking an account the manager paid: %v", err)
		}
		// An owner's grant does not stand in the way.
		friend := e.Join(t, "friend")
		if _, err := e.Admin.AdjustPoints(ctx, community.Adjustment{Actor: boss, Target: friend.ID, Amount: 50, Reason: "thanks", Key: "g2"}); err != nil {
			t.Fatal(err)
		}
		code, _ = e.Community.NewLinkCode(ctx, alt.ID)
		if _, err := e.Community.Link(ctx, As(friend, bots.RoleMember), code); err != nil {
			t.Errorf("linking after an owner's grant: %v", err)
		}
	})

	t.Run("Link_CodeWorksOnce", func(t *testing.T) {
		e := env(t, nil)
		ann := e.Join(t, "ann")
		code, _ := e.Community.NewLinkCode(ctx, ann.ID)
		var linkers []community.Member
		for i := range 8 {
			linkers = append(linkers, e.Join(t, fmt.Sprint("x", i)))
		}
		var wg sync.WaitGroup
		var linked atomic.Int32
		for _, m := range linkers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := e.Community.Link(ctx, As(m, bots.RoleMember), code)
				switch {
				case err == nil:
					linked.Add(1)
				case !errors.Is(err, community.ErrBadLinkCode):
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if linked.Load() != 1 {
			t.Errorf("%d accounts linked with one code, want 1", linked.Load())
		}
	})
}

// eraseCases erase members' data.
func eraseCases(t *testing.T, env envFunc) {
	t.Run("Erase", func(t *testing.T) {
		e := env(t, nil)
		boss := As(e.Join(t, Owner), bots.RoleOwner)
		ann := e.Join(t, "ann")
		if _, err := e.Community.Signup(ctx, ann.ID); err != nil {
			t.Fatal(err)
		}
		e.Credit(t, ann.ID, 40, "seed-ann")
		if err := e.Community.Erase(ctx, As(ann, bots.RoleMember), ann.ID); err != nil {
			t.Fatal(err)
		}
		if id := e.Lookup(t, bots.Console, "ann"); id != 0 {
			t.Errorf("the erased account still speaks as %d", id)
		}
		if _, err := e.Members.LookupMention(ctx, bots.Console, "@ann"); !errors.Is(err, bots.ErrUnknownMember) {
			t.Errorf("the erased handle: %v", err)
		}
		got, err := e.Members.Get(ctx, ann.ID)
		if err != nil || got.Erased.IsZero() || got.Name != "" || len(got.Identities) != 0 {
			t.Errorf("the erased record: %+v %v", got, err)
		}
		if b := e.Balance(t, ann.ID); b != 0 {
			t.Errorf("the erased member keeps %d points", b)
		}
		if err := e.Community.Erase(ctx, As(ann, bots.RoleMember), ann.ID); !errors.Is(err, community.ErrNoMember) {
			t.Errorf("erasing twice: %v", err)
		}
		if n := e.PendingJobs(t); n != 0 {
			t.Errorf("%d jobs left after erasing", n)
		}
		// Coming back farms no second signup bonus.
		again := e.Join(t, "ann")
		if again.ID == ann.ID {
			t.Fatal("the returning account got the erased member's id")
		}
		if fresh, err := e.Community.Fresh(ctx, again.ID); err != nil || fresh {
			t.Errorf("the returning account is fresh: %v %v", fresh, err)
		}
		if paid, err := e.Community.Signup(ctx, again.ID); err != nil || paid {
			t.Errorf("the returning account's signup paid: %v %v", paid, err)
		}
		if fresh, _ := e.Community.Fresh(ctx, e.Join(t, "newcomer").ID); !fresh {
			t.Error("a newcomer is not fresh")
		}
		// Erasing someone else is for the owner, and audited.
		bob := e.Join(t, "bob")
		if err := e.Community.Erase(ctx, As(again, bots.RoleManager), bob.ID); !errors.Is(err, community.ErrForbidden) {
			t.Errorf("a manager erasing a member: %v", err)
		}
		if err := e.Community.Erase(ctx, boss, bob.ID); err != nil {
			t.Fatal(err)
		}
		log, err := e.Community.AuditLog(ctx, 0, 10)
		if err != nil || len(log) == 0 || log[0].Action != "erase" || log[0].Target != bob.ID || log[0].Actor != boss.Member {
			t.Errorf("audit log after the owner's erase: %+v %v", log, err)
		}
		if ms, _ := e.Members.WithRole(ctx, bots.RoleMember); len(ms) != 3 {
			t.Errorf("%d members listed, want 3 (the erased ones are in no index)", len(ms))
		}
	})

	t.Run("Erase_TurnsDownWaitingGrants", func(t *testing.T) {
		e := env(t, nil)
		boss := As(e.Join(t, Owner), bots.RoleOwner)
		mgr, bob := e.Join(t, "mgr"), e.Join(t, "bob")
		if _, err := e.Admin.SetRole(ctx, boss, mgr.ID, bots.RoleManager); err != nil {
			t.Fatal(err)
		}
		res, err := e.Admin.AdjustPoints(ctx, community.Adjustment{Actor: As(mgr, bots.RoleManager), Target: bob.ID, Amount: ManagerLimit + 1, Reason: "big", Key: "g1"})
		if err != nil || res.Awaiting == nil {
			t.Fatalf("a grant past the limit: %+v %v", res, err)
		}
		if err := e.Community.Erase(ctx, As(bob, bots.RoleMember), bob.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Admin.DecideGrant(ctx, boss, res.Awaiting.ID, true); !errors.Is(err, community.ErrNotPending) {
			t.Errorf("approving a grant to an erased member: %v", err)
		}
		log, _ := e.Community.AuditLog(ctx, mgr.ID, 10)
		if len(log) == 0 || log[0].Outcome != community.OutcomeRejected || log[0].Actor != mgr.ID || log[0].UserID != "mgr" {
			t.Errorf("the manager's grant after erasing its target: %+v (still attributable, turned down)", log)
		}
	})
}

// resumeCases stop /link and /erase at each step, as a crash would,
// restart, and check that Resume finishes them as an uninterrupted run
// would have.
func resumeCases(t *testing.T, env envFunc) {
	type scenario struct {
		op    string
		steps int
		setup func(t *testing.T, e *Env) (act func() error, check func(t *testing.T, e *Env))
	}
	scenarios := []scenario{{
		op: community.JobLink, steps: 3,
		setup: func(t *testing.T, e *Env) (func() error, func(*testing.T, *Env)) {
			ann, bob := e.Join(t, "ann"), e.JoinOn(t, bots.Telegram, "bob")
			for _, m := range []community.Member{ann, bob} {
				if _, err := e.Community.Signup(ctx, m.ID); err != nil {
					t.Fatal(err)
				}
			}
			e.Credit(t, ann.ID, 40, "seed-ann")
			e.Credit(t, bob.ID, 30, "seed-bob")
			code, err := e.Community.NewLinkCode(ctx, ann.ID)
			if err != nil {
				t.Fatal(err)
			}
			return func() error {
					_, err := e.Community.Link(ctx, As(bob, bots.RoleMember), code)
					return err
				}, func(t *testing.T, e *Env) {
					if b := e.Balance(t, ann.ID); b != 100+40+30 {
						t.Errorf("linked wallet %d, want 170 (one signup bonus)", b)
					}
					if id := e.Lookup(t, bots.Telegram, "bob"); id != ann.ID {
						t.Errorf("bob's account speaks as %d, want %d", id, ann.ID)
					}
				}
		},
	}, {
		op: community.JobErase, steps: 3,
		setup: func(t *testing.T, e *Env) (func() error, func(*testing.T, *Env)) {
			ann := e.Join(t, "ann")
			if _, err := e.Community.Signup(ctx, ann.ID); err != nil {
				t.Fatal(err)
			}
			e.Credit(t, ann.ID, 40, "seed-ann")
			return func() error { return e.Community.Erase(ctx, As(ann, bots.RoleMember), ann.ID) },
				func(t *testing.T, e *Env) {
					if id := e.Lookup(t, bots.Console, "ann"); id != 0 {
						t.Errorf("the erased account still speaks as %d", id)
					}
					if b := e.Balance(t, ann.ID); b != 0 {
						t.Errorf("the erased member keeps %d points", b)
					}
				}
		},
	}}
	for _, sc := range scenarios {
		for step := 1; step <= sc.steps; step++ {
			t.Run(fmt.Sprintf("Resume_%s_step%d", sc.op, step), func(t *testing.T) {
				e := env(t, nil)
				act, check := sc.setup(t, e)
				fired := false
				e.Crash = func(op string, n int) error {
					if op == sc.op && n == step && !fired {
						fired = true
						return errCrash
					}
					return nil
				}
				if err := act(); !errors.Is(err, errCrash) {
					t.Fatalf("%s = %v, want the crash", sc.op, err)
				}
				if n := e.PendingJobs(t); n != 1 {
					t.Errorf("%d jobs recorded after the crash, want 1", n)
				}
				e.Crash = nil
				e.Restart(t)
				if n, err := e.Community.Resume(ctx); err != nil || n != 1 {
					t.Fatalf("resume = %d %v, want 1 job finished", n, err)
				}
				if n := e.PendingJobs(t); n != 0 {
					t.Errorf("%d jobs left after Resume", n)
				}
				if n, err := e.Community.Resume(ctx); err != nil || n != 0 {
					t.Errorf("a second resume = %d %v, want nothing to do", n, err)
				}
				check(t, e)
			})
		}
	}

	t.Run("Resume_StartedAudits", func(t *testing.T) {
		e := env(t, nil)
		mgr, bob := e.Join(t, "mgr"), e.Join(t, "bob")
		today := Start.Format(time.DateOnly)
		// Two grants a crash stopped after they were audited as started:
		// one before the ledger paid it, one after.
		if err := e.Store.Update(ctx, func(tx community.Tx) error {
			for _, g := range []struct {
				key    string
				amount int64
			}{{"crash-1", 300}, {"crash-2", 200}} {
				id, err := tx.NextAuditID()
				if err != nil {
					return err
				}
				if err := tx.PutAuditEntry(community.AuditEntry{ID: id, Time: Start, Actor: mgr.ID, Role: bots.RoleManager.String(), Action: "give",
					Target: bob.ID, Amount: g.amount, Key: g.key, Effect: g.key, Outcome: community.OutcomeStarted, Day: today}); err != nil {
					return err
				}
			}
			return tx.PutGrantUsage(mgr.ID, today, 500)
		}); err != nil {
			t.Fatal(err)
		}
		e.Credit(t, bob.ID, 200, "crash-2")
		e.Restart(t)
		if n, err := e.Community.Resume(ctx); err != nil || n != 2 {
			t.Fatalf("resume = %d %v, want 2 grants settled", n, err)
		}
		log, err := e.Community.AuditLog(ctx, bob.ID, 10)
		if err != nil || len(log) != 2 {
			t.Fatalf("bob's audit log: %+v %v", log, err)
		}
		for _, entry := range log {
			want := map[string]string{"crash-1": community.OutcomeNotDone, "crash-2": community.OutcomeDone}[entry.Key]
			if entry.Outcome != want {
				t.Errorf("grant %s settled %q, want %q", entry.Key, entry.Outcome, want)
			}
		}
		var used int64
		if err := e.Store.View(ctx, func(tx community.ReadTx) (err error) { used, err = tx.GrantUsage(mgr.ID, today); return err }); err != nil || used != 200 {
			t.Errorf("the manager's usage %d (%v), want 200: the grant not paid gives its points back", used, err)
		}
		if n, err := e.Community.Resume(ctx); err != nil || n != 0 {
			t.Errorf("a second resume = %d %v", n, err)
		}
	})
}
