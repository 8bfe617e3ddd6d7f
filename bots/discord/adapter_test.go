package discord_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/bots/botstest"
	"github.com/loyalbot/loyalbot/bots/discord"
	"github.com/loyalbot/loyalbot/bots/discord/discordtest"
	"github.com/loyalbot/loyalbot/community"
	"github.com/loyalbot/loyalbot/community/communitytest"
)

func itoa(n int) string { return strconv.Itoa(n) }

type env struct {
	f     *discordtest.Server
	st    *communitytest.Stack
	a     *discord.Adapter
	count *botstest.Recorder
	stop  func()
}

func start(t testing.TB, opts ...discord.Option) *env {
	t.Helper()
	return startOn(t, discordtest.New(t), opts...)
}

func startOn(t testing.TB, f *discordtest.Server, opts ...discord.Option) *env {
	t.Helper()
	st := communitytest.NewWith(t, community.DefaultConfig(), []string{"discord:1"}, nil, community.WithBrandChats(bots.Discord, discordtest.Guild))
	a, err := discord.New("TEST.TOKEN.SECRET", append([]discord.Option{discord.WithAPIURL(f.URL), discord.WithGuild(discordtest.Guild)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	st.Hub.Add(a)
	cd := botstest.NewRecorder(st.Router)
	stop := botstest.Run(t, a, cd)
	f.Wait("PUT", "/commands", 1)
	f.Wait("GET", "/guilds/"+discordtest.Guild+"/invites", 1) // the invite counts are cached
	return &env{f: f, st: st, a: a, count: cd, stop: stop}
}

func (e *env) balance(t testing.TB, userID string, want int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := e.st.Members.LookupMention(context.Background(), bots.Discord, "<@"+userID+">")
		if err == nil {
			if got := e.st.Balance(t, bots.Discord, userID); got == want {
				return
			} else if time.Now().After(deadline) {
				t.Fatalf("user %s balance %d, want %d", userID, got, want)
			}
		} else if time.Now().After(deadline) {
			t.Fatalf("user %s never registered", userID)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestAdapter_CommandsAndIntents(t *testing.T) {
	e := start(t)
	put := e.f.CallsTo("PUT", "/applications/"+discordtest.AppID+"/guilds/"+discordtest.Guild+"/commands")
	if len(put) != 1 {
		t.Fatalf("bulk overwrite calls %d", len(put))
	}
	raw := put[0].Raw
	var cmds []struct {
		Name         string            `json:"name"`
		Descriptions map[string]string `json:"description_localizations"`
	}
	if err := json.Unmarshal([]byte(raw), &cmds); err != nil {
		t.Fatal(err)
	}
	if want := len(e.st.Router.Commands(bots.RoleOwner)); len(cmds) != want {
		t.Errorf("%d commands registered, the router has %d", len(cmds), want)
	}
	for _, c := range cmds {
		if c.Descriptions["zh-CN"] == "" {
			t.Errorf("/%s has no zh-CN description", c.Name)
		}
	}
	for _, want := range []string{`"name":"points"`, `"name":"give"`, `"zh-CN":"你的积分、等级和即将过期的积分"`, `"name_localizations":{"zh-CN":"积分"}`, `"default_member_permissions":"32"`, `"type":6`} {
		if !strings.Contains(raw, want) {
			t.Errorf("bulk overwrite lacks %s", want)
		}
	}
	_, ident := e.f.Identifies()
	intents, _ := ident["d"].(map[string]any)["intents"].(float64)
	if int(intents)&(1<<15) == 0 || int(intents)&(1<<1) == 0 {
		t.Errorf("identify intents %v lack message content or guild members", intents)
	}
}

func TestAdapter_PointsInteraction(t *testing.T) {
	e := start(t)
	alice := discordtest.User("10", "alice")
	e.f.Push("INTERACTION_CREATE", discordtest.Interaction("i1", alice, "0", "points", nil, "en-US"))
	cb := e.f.Wait("POST", "/interactions/i1/tok-i1/callback", 1)[0]
	if cb.Body["type"].(float64) != 5 || cb.Body["data"].(map[string]any)["flags"].(float64) != 64 {
		t.Errorf("deferred ephemeral ack expected, got %v", cb.Body)
	}
	edit := e.f.Wait("PATCH", "/webhooks/"+discordtest.AppID+"/tok-i1/messages/@original", 1)[0]
	if !strings.Contains(edit.Body["content"].(string), "Balance: 100 points") {
		t.Errorf("reply %v", edit.Body)
	}
	// A zh-CN member gets Chinese.
	e.f.Push("INTERACTION_CREATE", discordtest.Interaction("i2", discordtest.User("11", "mei"), "0", "points", nil, "zh-CN"))
	edit = e.f.Wait("PATCH", "/webhooks/"+discordtest.AppID+"/tok-i2/messages/@original", 1)[0]
	if !strings.Contains(edit.Body["content"].(string), "余额：100 积分") {
		t.Errorf("zh reply %v", edit.Body)
	}
}

func TestAdapter_GiveNeedsManageServer(t *testing.T) {
	e := start(t)
	e.f.Push("MESSAGE_CREATE", discordtest.MessageCreate("c1", discordtest.Guild, discordtest.User("20", "bob"), "hello everyone, Bob here"))
	e.balance(t, "20", 101)
	opts := []map[string]any{{"name": "member", "type": 6, "value": "20"}, {"name": "amount", "type": 4, "value": 5}, {"name": "reason", "type": 3, "value": "great photo"}}
	e.f.Push("INTERACTION_CREATE", discordtest.Interaction("i3", discordtest.User("10", "alice"), "0", "give", opts, "en-US"))
	refused := e.f.Wait("PATCH", "/tok-i3/messages/@original", 1)[0]
	if !strings.Contains(refused.Body["content"].(string), "/give is for managers and above") {
		t.Errorf("non-manager: %v", refused.Body)
	}
	e.f.Push("INTERACTION_CREATE", discordtest.Interaction("i4", discordtest.User("12", "mod"), "32", "give", opts, "en-US")) // Manage Server
	ok := e.f.Wait("PATCH", "/tok-i4/messages/@original", 1)[0]
	if !strings.Contains(ok.Body["content"].(string), "Gave 5 points to bob (great photo)") {
		t.Errorf("manager: %v", ok.Body)
	}
	e.balance(t, "20", 106)
}

// TestAdapter_ManageServerElsewhereIsNoManager is the regression test for
// privilege escalation: Manage Server in any guild the bot is in made a
// global manager.
func TestAdapter_ManageServerElsewhereIsNoManager(t *testing.T) {
	e := start(t)
	e.f.Push("MESSAGE_CREATE", discordtest.MessageCreate("c1", discordtest.Guild, discordtest.User("20", "bob"), "hello everyone, Bob here"))
	e.balance(t, "20", 101)
	opts := []map[string]any{{"name": "member", "type": 6, "value": "20"}, {"name": "amount", "type": 4, "value": 100000}, {"name": "reason", "type": 3, "value": "mine"}}
	in := discordtest.Interaction("i7", discordtest.User("66", "eve"), "32", "give", opts, "en-US") // Manage Server, in eve's own guild
	in["guild_id"] = "g-evil"
	e.f.Push("INTERACTION_CREATE", in)
	refused := e.f.Wait("PATCH", "/tok-i7/messages/@original", 1)[0]
	if !strings.Contains(refused.Body["content"].(string), "/give is for managers and above") {
		t.Errorf("Manage Server in another guild could /give: %v", refused.Body)
	}
	e.balance(t, "20", 101)
}

func TestAdapter_MessagesAndMentions(t *testing.T) {
	e := start(t)
	bob := discordtest.User("20", "bob")
	e.f.Push("MESSAGE_CREATE", discordtest.MessageCreate("c1", discordtest.Guild, bob, "first message of the day!"))
	e.f.Push("MESSAGE_CREATE", discordtest.MessageCreate("c1", discordtest.Guild, bob, "second message, within the minute"))
	e.balance(t, "20", 101)
	for e.count.Count() < 2 {
		time.Sleep(time.Millisecond)
	}
	e.balance(t, "20", 101) // the cooldown held
	// A prefix command echoing @everyone cannot ping.
	e.f.Push("MESSAGE_CREATE", discordtest.MessageCreate("c1", discordtest.Guild, bob, "!redeem @everyone"))
	sent := e.f.Wait("POST", "/channels/c1/messages", 1)[0]
	if !strings.Contains(sent.Body["content"].(string), "@everyone") {
		t.Fatalf("reply %v", sent.Body)
	}
	am, _ := sent.Body["allowed_mentions"].(map[string]any)
	if parse, ok := am["parse"].([]any); !ok || len(parse) != 0 {
		t.Errorf("allowed_mentions %v would let @everyone ping", sent.Body["allowed_mentions"])
	}
	if ref, _ := sent.Body["message_reference"].(map[string]any); ref == nil {
		t.Error("the reply does not reference the member's message")
	}
}

func TestAdapter_JoinThroughInvite(t *testing.T) {
	e := start(t)
	e.f.SetInvites([]map[string]any{{"code": "spring", "uses": 1, "inviter": discordtest.User("10", "alice")}})
	e.f.Push("GUILD_MEMBER_ADD", map[string]any{"guild_id": discordtest.Guild, "user": discordtest.User("30", "mei"), "roles": []any{}, "joined_at": time.Now().Format(time.RFC3339)})
	welcome := e.f.Wait("POST", "/channels/welcome/messages", 1)[0]
	if !strings.Contains(welcome.Body["content"].(string), "Welcome to the community, mei!") {
		t.Errorf("welcome %v", welcome.Body)
	}
	id, _ := e.st.Members.LookupMention(context.Background(), bots.Discord, "<@30>")
	m, _ := e.st.Members.Get(context.Background(), id)
	if m.Invite != "spring" {
		t.Errorf("invite recorded %q, want spring", m.Invite)
	}
}

func TestAdapter_LongReplySplit(t *testing.T) {
	e := start(t)
	var b strings.Builder
	for b.Len() < 2600 {
		b.WriteString("A line of a long announcement.\n")
	}
	if err := e.a.Send(context.Background(), bots.Address{ChatID: "c9"}, bots.Reply{Text: b.String()}); err != nil {
		t.Fatal(err)
	}
	sent := e.f.Wait("POST", "/channels/c9/messages", 2)
	for _, s := range sent {
		if n := len([]rune(s.Body["content"].(string))); n > 2000 {
			t.Errorf("part of %d characters", n)
		}
	}
}

func TestAdapter_TierRoles(t *testing.T) {
	e := start(t, discord.WithTierRoles(map[string]string{"Leaf": "r-leaf", "Bud": "r-bud"}))
	if err := e.a.SyncTier(context.Background(), "10", "Leaf", "Bud"); err != nil {
		t.Fatal(err)
	}
	e.f.Wait("PUT", "/guilds/g1/members/10/roles/r-bud", 1)
	e.f.Wait("DELETE", "/guilds/g1/members/10/roles/r-leaf", 1)
}

// A tier change anywhere in the ledger moves the member's Discord role.
func TestAdapter_TierRoleFollowsLedger(t *testing.T) {
	e := start(t, discord.WithTierRoles(map[string]string{"Leaf": "r-leaf", "Bud": "r-bud"}))
	e.f.Push("MESSAGE_CREATE", discordtest.MessageCreate("c1", discordtest.Guild, discordtest.User("10", "alice"), "hi all, alice here"))
	e.balance(t, "10", 101)
	opts := []map[string]any{{"name": "member", "type": 6, "value": "10"}, {"name": "amount", "type": 4, "value": 900}, {"name": "reason", "type": 3, "value": "contest"}}
	e.f.Push("INTERACTION_CREATE", discordtest.Interaction("i9", discordtest.User("12", "mod"), "32", "give", opts, "en-US"))
	e.f.Wait("PUT", "/guilds/g1/members/10/roles/r-bud", 1)
	e.f.Wait("DELETE", "/guilds/g1/members/10/roles/r-leaf", 1)
}

// Without the privileged intents switched on, the bot says so and keeps
// working on slash commands.
func TestAdapter_PrivilegedIntentsRefused(t *testing.T) {
	f := discordtest.New(t)
	f.NoPrivileged = true
	e := startOn(t, f)
	e.f.Push("INTERACTION_CREATE", discordtest.Interaction("i1", discordtest.User("10", "alice"), "0", "points", nil, "en-US"))
	if edit := e.f.Wait("PATCH", "/tok-i1/messages/@original", 1)[0]; !strings.Contains(edit.Body["content"].(string), "Balance: 100") {
		t.Errorf("slash command after the retry: %v", edit.Body)
	}
	if n, _ := f.Identifies(); n != 2 {
		t.Errorf("%d identifies, want 2 (refused, then without privileged intents)", n)
	}
}

// A role the bot may not give is reported to the managers, privately.
func TestAdapter_TierRoleFailureAlertsManagers(t *testing.T) {
	f := discordtest.New(t)
	f.FailRoles = true
	e := startOn(t, f, discord.WithTierRoles(map[string]string{"Leaf": "r-leaf", "Bud": "r-bud"}))
	e.f.Push("MESSAGE_CREATE", discordtest.MessageCreate("c1", discordtest.Guild, discordtest.User("10", "alice"), "hi all, alice here"))
	e.balance(t, "10", 101)
	opts := []map[string]any{{"name": "member", "type": 6, "value": "10"}, {"name": "amount", "type": 4, "value": 900}, {"name": "reason", "type": 3, "value": "contest"}}
	e.f.Push("INTERACTION_CREATE", discordtest.Interaction("i9", discordtest.User("12", "mod"), "32", "give", opts, "en-US"))
	alert := e.f.Wait("POST", "/channels/dm-1/messages", 1)[0] // discord:1 is the owner
	if !strings.Contains(alert.Body["content"].(string), "couldn't give alice the Bud role on discord") {
		t.Errorf("alert %v", alert.Body)
	}
}

func TestNew_EmptyToken(t *testing.T) {
	if _, err := discord.New(""); err == nil {
		t.Error("New accepted an empty token")
	}
}

func BenchmarkDiscordMessages(b *testing.B) {
	e := start(b)
	users := make([]map[string]any, 100)
	for i := range users {
		users[i] = discordtest.User(itoa(1000+i), "m"+itoa(i))
		e.f.Push("MESSAGE_CREATE", discordtest.MessageCreate("c1", discordtest.Guild, users[i], "hello, registering!"))
	}
	for e.count.Count() < int64(len(users)) {
		time.Sleep(time.Millisecond)
	}
	base := e.count.Count()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		e.f.Push("MESSAGE_CREATE", discordtest.MessageCreate("c1", discordtest.Guild, users[i%len(users)], "chatting about tea, message "+itoa(i)))
	}
	for e.count.Count() < base+int64(b.N) {
		time.Sleep(200 * time.Microsecond)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}

func TestAdapter_LeaderboardEmbed(t *testing.T) {
	e := start(t)
	e.f.Push("MESSAGE_CREATE", discordtest.MessageCreate("c1", discordtest.Guild, discordtest.User("20", "bob"), "hello everyone, Bob here"))
	e.balance(t, "20", 101)
	e.f.Push("INTERACTION_CREATE", discordtest.Interaction("i5", discordtest.User("20", "bob"), "0", "leaderboard", []map[string]any{{"name": "period", "type": 3, "value": "all"}}, "en-US"))
	edit := e.f.Wait("PATCH", "/tok-i5/messages/@original", 1)[0]
	embeds, _ := edit.Body["embeds"].([]any)
	if len(embeds) != 1 {
		t.Fatalf("leaderboard not an embed: %v", edit.Body)
	}
	em := embeds[0].(map[string]any)
	if !strings.Contains(em["title"].(string), "Top members") || !strings.Contains(em["description"].(string), "bob — 101 points") {
		t.Errorf("embed %v", em)
	}
}

// A member who joins through an ambassador's invite is their referral.
func TestAdapter_InviteIsReferral(t *testing.T) {
	e := start(t)
	e.f.Push("MESSAGE_CREATE", discordtest.MessageCreate("c1", discordtest.Guild, discordtest.User("10", "alice"), "hi all, alice here"))
	e.balance(t, "10", 101)
	e.f.SetInvites([]map[string]any{{"code": "alice-friends", "uses": 1, "inviter": discordtest.User("10", "alice")}})
	e.f.Push("GUILD_MEMBER_ADD", map[string]any{"guild_id": discordtest.Guild, "user": discordtest.User("31", "ken"), "roles": []any{}, "joined_at": time.Now().Format(time.RFC3339)})
	welcome := e.f.Wait("POST", "/channels/welcome/messages", 1)[0]
	if !strings.Contains(welcome.Body["content"].(string), "You were invited by alice") {
		t.Errorf("welcome %v", welcome.Body)
	}
	ref, ok, err := e.st.UGC.Referrals().Of(context.Background(), memberID(t, e, "31"))
	if err != nil || !ok || ref.Via != "invite" {
		t.Errorf("referral %+v %v %v", ref, ok, err)
	}
}

func memberID(t *testing.T, e *env, userID string) uint64 {
	t.Helper()
	id, err := e.st.Members.LookupMention(context.Background(), bots.Discord, "<@"+userID+">")
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestAdapter_LeaveRedeliveredIsRecognised: Discord's leave event has no
// id or time, so a redelivered one must get the same event id (it used to
// carry the wall-clock second it arrived in).
func TestAdapter_LeaveRedeliveredIsRecognised(t *testing.T) {
	e := start(t)
	joined := "2026-03-01T10:00:00Z"
	e.f.Push("GUILD_MEMBER_ADD", map[string]any{"guild_id": discordtest.Guild, "user": discordtest.User("32", "lin"), "roles": []any{}, "joined_at": joined})
	e.count.Wait(t, 1)
	leave := map[string]any{"guild_id": discordtest.Guild, "user": discordtest.User("32", "lin")}
	e.f.Push("GUILD_MEMBER_REMOVE", leave)
	e.f.Push("GUILD_MEMBER_REMOVE", leave)
	got := e.count.Wait(t, 3)
	first, again := got[1].Event, got[2].Event
	if first.Kind != bots.EventLeave || first.ID != again.ID {
		t.Fatalf("leave ids %q and %q, want one id for one leave", first.ID, again.ID)
	}
	if want := "discord:leave:" + discordtest.Guild + ":32:" + joined; first.ID != want {
		t.Errorf("leave id %q, want %q (it names the join it ends)", first.ID, want)
	}
}
