package communitytest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/community"
)

// memberCases create and resolve members, change roles, and check the
// member and chat indexes.
func memberCases(t *testing.T, env envFunc) {
	t.Run("Members_Create", func(t *testing.T) {
		e := env(t, nil)
		m := e.Members
		ann, created, err := m.Create(ctx, community.NewMember{Platform: bots.Console, UserID: "ann", Handle: "Ann", Name: "Ann", Locale: "zh"})
		if err != nil || !created || ann.Role != community.RoleMember || !ann.Joined.Equal(Start) {
			t.Fatalf("create: %+v %v %v", ann, created, err)
		}
		if again, created, err := m.Create(ctx, community.NewMember{Platform: bots.Console, UserID: "ann"}); err != nil || created || again.ID != ann.ID {
			t.Errorf("second create: %+v %v %v", again, created, err)
		}
		if _, _, err := m.Create(ctx, community.NewMember{Name: "nobody"}); err == nil {
			t.Error("a member without an account was created")
		}
		many, err := m.CreateMany(ctx, []community.NewMember{
			{Platform: bots.Telegram, UserID: "1", Handle: "one", Name: "One"},
			{Platform: bots.Telegram, UserID: "2", Name: "Two"},
			{Platform: bots.Console, UserID: "ann"},
		})
		if err != nil || len(many) != 3 || many[2].ID != ann.ID || many[0].ID <= ann.ID || many[1].ID <= many[0].ID {
			t.Fatalf("create many: %+v %v", many, err)
		}
		if _, err := m.CreateMany(ctx, []community.NewMember{{Platform: bots.Telegram, UserID: "3"}, {Name: "no account"}}); err == nil {
			t.Error("create many with a member without an account succeeded")
		}
		if id := e.Lookup(t, bots.Telegram, "3"); id != 0 {
			t.Errorf("a failed create many left member %d: it must be all or nothing", id)
		}
		got, err := m.Get(ctx, ann.ID)
		if err != nil || got.Name != "Ann" || got.Locale != "zh" || !got.Joined.Equal(Start) || len(got.Identities) != 1 {
			t.Errorf("get: %+v %v", got, err)
		}
		for _, mention := range []string{"@ann", "@ANN", "ann", "<@ann>"} {
			if id, err := m.LookupMention(ctx, bots.Console, mention); err != nil || id != ann.ID {
				t.Errorf("mention %q = %d %v, want %d", mention, id, err, ann.ID)
			}
		}
		if id, err := m.LookupMention(ctx, bots.Telegram, "@one"); err != nil || id != many[0].ID {
			t.Errorf("telegram @one = %d %v", id, err)
		}
		if _, err := m.LookupMention(ctx, bots.Console, "@nobody"); !errors.Is(err, bots.ErrUnknownMember) {
			t.Errorf("unknown mention: %v", err)
		}
		if _, err := m.Get(ctx, 999); !errors.Is(err, community.ErrNoMember) {
			t.Errorf("get unknown: %v", err)
		}
		names, err := m.Names(ctx, []uint64{ann.ID, 999})
		if err != nil || names[ann.ID] != "Ann" || names[999] != "#999" {
			t.Errorf("names: %v %v", names, err)
		}
		upd, err := m.Update(ctx, ann.ID, func(mem *community.Member) error { mem.NoMarketing = true; return nil })
		if err != nil || !upd.NoMarketing {
			t.Fatalf("update: %+v %v", upd, err)
		}
		boom := errors.New("boom")
		if _, err := m.Update(ctx, ann.ID, func(mem *community.Member) error { mem.Name = "changed"; return boom }); !errors.Is(err, boom) {
			t.Errorf("update with fn's error: %v", err)
		}
		if got, _ := m.Get(ctx, ann.ID); got.Name != "Ann" || !got.NoMarketing {
			t.Errorf("after a failed update: %+v", got)
		}
	})

	t.Run("Members_Resolve", func(t *testing.T) {
		e := env(t, nil)
		m := e.Members
		group := &bots.Event{Platform: bots.Console, ChatID: "g1", Chat: bots.ChatGroup, UserID: "bob", Username: "bob", Name: "Bob"}
		id, err := m.Resolve(ctx, group)
		if err != nil || !id.New || id.Member == 0 || id.Role != bots.RoleMember {
			t.Fatalf("first resolve: %+v %v", id, err)
		}
		if again, err := m.Resolve(ctx, group); err != nil || again.New || again.Member != id.Member {
			t.Errorf("second resolve: %+v %v", again, err)
		}
		dm := &bots.Event{Platform: bots.Console, ChatID: "dm-bob", Chat: bots.ChatPrivate, UserID: "bob", Username: "Bobby", Name: "Bob"}
		if _, err := m.Resolve(ctx, dm); err != nil {
			t.Fatal(err)
		}
		if got, err := m.LookupMention(ctx, bots.Console, "@bobby"); err != nil || got != id.Member {
			t.Errorf("the new handle names %d %v, want %d", got, err, id.Member)
		}
		e.Clock.Advance(11 * time.Minute)
		if _, err := m.Resolve(ctx, group); err != nil {
			t.Fatal(err)
		}
		if mem, _ := m.Get(ctx, id.Member); !mem.LastActive.Equal(Start.Add(11 * time.Minute)) {
			t.Errorf("last active %v after a message 11 minutes on", mem.LastActive)
		}
		chatIDs := func(kind community.ChatKind) (ids []string) {
			t.Helper()
			cs, err := m.Chats(ctx, kind)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range cs {
				ids = append(ids, c.ID)
			}
			return ids
		}
		if g, p := chatIDs(community.ChatGroup), chatIDs(community.ChatPrivate); !slices.Equal(g, []string{"g1"}) || !slices.Equal(p, []string{"dm-bob"}) {
			t.Errorf("group chats %v, private chats %v", g, p)
		}
		if owner, err := m.Resolve(ctx, &bots.Event{Platform: bots.Console, ChatID: "g1", UserID: Owner, Name: "Owner"}); err != nil || owner.Role != bots.RoleOwner {
			t.Errorf("the configured owner resolves as %+v %v", owner, err)
		}
		if brand, err := m.Resolve(ctx, &bots.Event{Platform: bots.Discord, ChatID: "c1", Server: BrandGuild, UserID: "d1"}); err != nil || !brand.BrandChat {
			t.Errorf("a message in the configured guild: %+v %v", brand, err)
		}
		if none, err := m.Resolve(ctx, &bots.Event{Platform: bots.Console}); err != nil || none.Member != 0 {
			t.Errorf("an event without a user: %+v %v", none, err)
		}
	})

	t.Run("Members_RolesAndIndexes", func(t *testing.T) {
		e := env(t, nil)
		owner := e.Join(t, Owner)
		e.Clock.Advance(earlier)
		ann := e.Join(t, "ann")
		e.Clock.Advance(earlier)
		bob := e.Join(t, "bob")
		e.Clock.Advance(earlier)
		cat := e.Join(t, "cat")
		boss := As(owner, bots.RoleOwner)
		if _, err := e.Admin.SetRole(ctx, boss, ann.ID, bots.RoleManager); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Admin.SetRole(ctx, boss, bob.ID, bots.RoleAmbassador); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Admin.SetRole(ctx, As(ann, bots.RoleManager), cat.ID, bots.RoleManager); !errors.Is(err, community.ErrForbidden) {
			t.Errorf("a manager appointing a manager: %v", err)
		}
		withRole := func(r bots.Role) (ids []uint64) {
			t.Helper()
			ms, err := e.Members.WithRole(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range ms {
				ids = append(ids, m.ID)
			}
			return ids
		}
		for _, tc := range []struct {
			role bots.Role
			want []uint64
		}{{bots.RoleManager, []uint64{ann.ID}}, {bots.RoleAmbassador, []uint64{bob.ID}}, {bots.RoleMember, []uint64{owner.ID, cat.ID}}, {bots.RoleOwner, nil}} {
			if got := withRole(tc.role); !slices.Equal(got, tc.want) {
				t.Errorf("with role %s: %v, want %v", tc.role, got, tc.want)
			}
		}
		accounts := func(ownersOnly bool) (users []string) {
			t.Helper()
			rs, err := e.Members.ManagerAccounts(ctx, ownersOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rs {
				users = append(users, r.UserID)
			}
			slices.Sort(users)
			return users
		}
		if got := accounts(false); !slices.Equal(got, []string{"ann", Owner}) {
			t.Errorf("manager accounts %v", got)
		}
		if got := accounts(true); !slices.Equal(got, []string{Owner}) {
			t.Errorf("owner accounts %v", got)
		}
		// The indexes by time, in both orders.
		later := Start.Add(time.Hour)
		if _, err := e.Members.Update(ctx, ann.ID, func(m *community.Member) error { m.LastActive = later; return nil }); err != nil {
			t.Fatal(err)
		}
		var joined, active, activeNewest []uint64
		roles := map[community.Role][]uint64{}
		if err := e.Store.View(ctx, func(tx community.ReadTx) error {
			if err := tx.MembersByJoined(community.OldestFirst, func(at time.Time, id uint64) error {
				if m, _, _ := tx.Member(id); !m.Joined.Equal(at) {
					t.Errorf("member %d joined %v, indexed at %v", id, m.Joined, at)
				}
				joined = append(joined, id)
				return nil
			}); err != nil {
				return err
			}
			if err := tx.MembersByActive(community.OldestFirst, func(_ time.Time, id uint64) error { active = append(active, id); return nil }); err != nil {
				return err
			}
			if err := tx.MembersByActive(community.NewestFirst, func(_ time.Time, id uint64) error { activeNewest = append(activeNewest, id); return nil }); err != nil {
				return err
			}
			return tx.RoleIndex(func(r community.Role, id uint64) error { roles[r] = append(roles[r], id); return nil })
		}); err != nil {
			t.Fatal(err)
		}
		if want := []uint64{owner.ID, ann.ID, bob.ID, cat.ID}; !slices.Equal(joined, want) {
			t.Errorf("by joined %v, want %v", joined, want)
		}
		if want := []uint64{owner.ID, bob.ID, cat.ID, ann.ID}; !slices.Equal(active, want) {
			t.Errorf("by last active %v, want %v", active, want)
		}
		if activeNewest[0] != ann.ID || len(activeNewest) != 4 {
			t.Errorf("by last active, newest first: %v", activeNewest)
		}
		if !slices.Equal(roles[community.RoleManager], []uint64{ann.ID}) || !slices.Equal(roles[community.RoleMember], []uint64{owner.ID, cat.ID}) {
			t.Errorf("role index %v", roles)
		}
		// A role change moves the member in the index.
		if _, err := e.Admin.SetRole(ctx, boss, ann.ID, bots.RoleMember); err != nil {
			t.Fatal(err)
		}
		if got := withRole(bots.RoleManager); len(got) != 0 {
			t.Errorf("managers after the demotion: %v", got)
		}
		if got := withRole(bots.RoleMember); !slices.Equal(got, []uint64{owner.ID, ann.ID, cat.ID}) {
			t.Errorf("members after the demotion: %v", got)
		}
	})

	t.Run("Members_BrandChats", func(t *testing.T) {
		e := env(t, nil)
		boss := As(e.Join(t, Owner), bots.RoleOwner)
		if changed, err := e.Admin.Setup(ctx, boss, bots.Telegram, "-100", true); err != nil || !changed {
			t.Fatalf("setup: %v %v", changed, err)
		}
		if changed, err := e.Admin.Setup(ctx, boss, bots.Telegram, "-100", true); err != nil || changed {
			t.Errorf("setup again: %v %v", changed, err)
		}
		if changed, err := e.Admin.Setup(ctx, boss, bots.Discord, BrandGuild, false); err != nil || changed {
			t.Errorf("removing a configured chat: %v %v", changed, err)
		}
		if _, err := e.Admin.Setup(ctx, As(e.Join(t, "ann"), bots.RoleManager), bots.Telegram, "-200", true); !errors.Is(err, community.ErrForbidden) {
			t.Errorf("a manager's setup: %v", err)
		}
		e.Restart(t)
		if !e.Members.IsBrandChat(bots.Telegram, "-100") || !e.Members.IsBrandChat(bots.Discord, BrandGuild) {
			t.Errorf("after a restart: brand chats %+v", e.Members.BrandChats())
		}
		if bcs := e.Members.BrandChats(); len(bcs) != 2 || !bcs[0].Config || bcs[1].AddedBy != boss.Member || !bcs[1].Added.Equal(Start) {
			t.Errorf("brand chats %+v, the configured one first", bcs)
		}
		if changed, err := e.Admin.Setup(ctx, boss, bots.Telegram, "-100", false); err != nil || !changed {
			t.Errorf("setup off: %v %v", changed, err)
		}
		e.Restart(t)
		if e.Members.IsBrandChat(bots.Telegram, "-100") {
			t.Error("a removed brand chat came back after a restart")
		}
	})

	t.Run("Members_DayMarkers", func(t *testing.T) {
		e := env(t, func(c *community.Config) { c.CheckinPoints = 0 })
		ann := e.Join(t, "ann")
		if res, err := e.Community.Checkin(ctx, ann.ID, "ann"); err != nil || res.Already || res.Streak != 1 {
			t.Fatalf("first check-in: %+v %v", res, err)
		}
		if res, err := e.Community.Checkin(ctx, ann.ID, "ann"); err != nil || !res.Already {
			t.Errorf("second check-in the same day: %+v %v", res, err)
		}
		e.Restart(t)
		if res, err := e.Community.Checkin(ctx, ann.ID, "ann"); err != nil || !res.Already {
			t.Errorf("the same day after a restart: %+v %v", res, err)
		}
		e.Clock.Advance(24 * time.Hour)
		if res, err := e.Community.Checkin(ctx, ann.ID, "ann"); err != nil || res.Already || res.Streak != 2 {
			t.Errorf("the next day: %+v %v", res, err)
		}
	})
}
