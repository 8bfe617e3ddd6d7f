package communitytest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/community"
)

var ctx = context.Background()

// errCrash is what the suite's step hooks return, as a crash would stop
// the operation there.
var errCrash = errors.New("crash")

// envFunc builds an Env on a fresh store, with DefaultConfig changed by set.
type envFunc func(t *testing.T, set func(*community.Config)) *Env

// StoreSuite runs the community's rules — through community.Members and
// community.Community, their public API — and the Store contract over
// stores that open returns: members (create, resolve, link, erase, roles,
// indexes), the audit log (daily limits, idempotent keys), recorded jobs
// and Resume after a crash at every step (with a reopen when the store is
// a Reopener). open must return a store on fresh, empty storage each time
// it is called, closed when t ends. Every test ends with the members'
// Verify.
func StoreSuite(t *testing.T, open func(t *testing.T) community.Store) {
	t.Helper()
	env := func(t *testing.T, set func(*community.Config)) *Env {
		t.Helper()
		return NewEnv(t, open(t), set)
	}
	storeCases(t, env)
	memberCases(t, env)
	linkCases(t, env)
	eraseCases(t, env)
	auditCases(t, env)
	resumeCases(t, env)
}

// storeCases check the Store contract itself: transactions, the schema
// version, Verify.
func storeCases(t *testing.T, env envFunc) {
	t.Run("Store_RollbackOnError", func(t *testing.T) {
		e := env(t, nil)
		boom := errors.New("boom")
		err := e.Store.Update(ctx, func(tx community.Tx) error {
			id, err := tx.NextMemberID()
			if err != nil {
				return err
			}
			if err := tx.PutMember(community.Member{ID: id, Name: "ghost", Joined: Start, LastActive: Start}); err != nil {
				return err
			}
			if err := tx.PutIdentity(bots.Console, "ghost", id); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("update = %v, want fn's error", err)
		}
		if id := e.Lookup(t, bots.Console, "ghost"); id != 0 {
			t.Errorf("a rolled-back account names member %d", id)
		}
		n := 0
		if err := e.Store.View(ctx, func(tx community.ReadTx) error {
			return tx.Members(func(community.Member) error { n++; return nil })
		}); err != nil || n != 0 {
			t.Errorf("%d members after a rollback (%v), want none", n, err)
		}
	})

	t.Run("Store_CancelledContext", func(t *testing.T) {
		e := env(t, nil)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		called := false
		if err := e.Store.Update(cctx, func(community.Tx) error { called = true; return nil }); !errors.Is(err, context.Canceled) || called {
			t.Errorf("update on a done context = %v (fn called %v)", err, called)
		}
		if err := e.Store.View(cctx, func(community.ReadTx) error { called = true; return nil }); !errors.Is(err, context.Canceled) || called {
			t.Errorf("view on a done context = %v (fn called %v)", err, called)
		}
		if _, _, err := e.Members.Create(cctx, community.NewMember{Platform: bots.Console, UserID: "x"}); !errors.Is(err, context.Canceled) {
			t.Errorf("create on a done context = %v", err)
		}
	})

	t.Run("Store_SchemaVersion", func(t *testing.T) {
		e := env(t, nil)
		var v int
		if err := e.Store.View(ctx, func(tx community.ReadTx) (err error) { v, err = tx.SchemaVersion(); return err }); err != nil || v != community.SchemaVersion {
			t.Errorf("schema version %d (%v), want %d", v, err, community.SchemaVersion)
		}
	})

	t.Run("Verify_FindsBrokenAccounts", func(t *testing.T) {
		e := env(t, nil)
		ann := e.Join(t, "ann")
		bob := e.Join(t, "bob")
		breakIt := []func(tx community.Tx) error{
			func(tx community.Tx) error { return tx.PutIdentity(bots.Console, "stray", 999) },  // a missing member
			func(tx community.Tx) error { return tx.PutIdentity(bots.Console, "ann", bob.ID) }, // a member that does not list it
			func(tx community.Tx) error { return tx.PutHandle(bots.Console, "ghost", 999) },
		}
		mend := []func(tx community.Tx) error{
			func(tx community.Tx) error { return tx.DeleteIdentity(bots.Console, "stray") },
			func(tx community.Tx) error { return tx.PutIdentity(bots.Console, "ann", ann.ID) },
			func(tx community.Tx) error { return tx.DeleteHandle(bots.Console, "ghost") },
		}
		for i := range breakIt {
			if err := e.Store.Update(ctx, breakIt[i]); err != nil {
				t.Fatal(err)
			}
			if err := e.Members.Verify(ctx); !errors.Is(err, community.ErrInvariant) {
				t.Errorf("broken %d: Verify = %v, want ErrInvariant", i, err)
			}
			if err := e.Store.Update(ctx, mend[i]); err != nil {
				t.Fatal(err)
			}
			if err := e.Members.Verify(ctx); err != nil {
				t.Errorf("mended %d: Verify = %v", i, err)
			}
		}
	})

	t.Run("Store_GroupChatIndexFollowsTheKind", func(t *testing.T) {
		e := env(t, nil)
		groups := func() (ids []string) {
			t.Helper()
			if err := e.Store.View(ctx, func(tx community.ReadTx) error {
				return tx.GroupChats(func(c community.Chat) error { ids = append(ids, c.ID); return nil })
			}); err != nil {
				t.Fatal(err)
			}
			return ids
		}
		for _, c := range []community.Chat{
			{Platform: bots.Telegram, ID: "-1", Kind: community.ChatGroup, LastSeen: Start},
			{Platform: bots.Telegram, ID: "-2", Kind: community.ChatGroup, LastSeen: Start},
			{Platform: bots.Telegram, ID: "7", Kind: community.ChatPrivate, LastSeen: Start},
		} {
			if err := e.Store.Update(ctx, func(tx community.Tx) error { return tx.PutChat(c) }); err != nil {
				t.Fatal(err)
			}
		}
		if got := groups(); len(got) != 2 {
			t.Errorf("group chats %v, want -1 and -2", got)
		}
		if err := e.Store.Update(ctx, func(tx community.Tx) error {
			return tx.PutChat(community.Chat{Platform: bots.Telegram, ID: "-2", Kind: community.ChatPrivate, LastSeen: Start})
		}); err != nil {
			t.Fatal(err)
		}
		if got := groups(); len(got) != 1 || got[0] != "-1" {
			t.Errorf("group chats %v after -2 became private, want -1", got)
		}
	})

	t.Run("Store_AuditIndexesFollowTheEntry", func(t *testing.T) {
		e := env(t, nil)
		ids := func(member uint64) (out []uint64) {
			t.Helper()
			if err := e.Store.View(ctx, func(tx community.ReadTx) error {
				return tx.AuditIDsOf(member, func(id uint64) error { out = append(out, id); return nil })
			}); err != nil {
				t.Fatal(err)
			}
			return out
		}
		var id uint64
		if err := e.Store.Update(ctx, func(tx community.Tx) (err error) {
			if id, err = tx.NextAuditID(); err != nil {
				return err
			}
			return tx.PutAuditEntry(community.AuditEntry{ID: id, Time: Start, Actor: 1, Target: 2, Action: "give", Key: "k", Outcome: community.OutcomeDone})
		}); err != nil {
			t.Fatal(err)
		}
		if got := ids(1); len(got) != 1 || got[0] != id {
			t.Errorf("actor's entries %v, want [%d]", got, id)
		}
		if err := e.Store.Update(ctx, func(tx community.Tx) error {
			return tx.PutAuditEntry(community.AuditEntry{ID: id, Time: Start, Actor: 1, Target: 3, Action: "give", Key: "k2", Outcome: community.OutcomeDone})
		}); err != nil {
			t.Fatal(err)
		}
		if got2, got3 := ids(2), ids(3); len(got2) != 0 || len(got3) != 1 {
			t.Errorf("after the target changed: old target's entries %v, new target's %v", got2, got3)
		}
		if err := e.Store.View(ctx, func(tx community.ReadTx) error {
			_, oldKey, err := tx.AuditIDByKey("k")
			if err != nil {
				return err
			}
			got, newKey, err := tx.AuditIDByKey("k2")
			if oldKey || !newKey || got != id {
				t.Errorf("keys after the change: old %v, new %v (%d)", oldKey, newKey, got)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
	})
}

// earlier is how far apart the suite's members join, so the indexes by
// time have an order to keep.
const earlier = time.Minute
