package telegram_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/bots/botstest"
	"github.com/loyalbot/loyalbot/bots/telegram"
	"github.com/loyalbot/loyalbot/bots/telegram/telegramtest"
	"github.com/loyalbot/loyalbot/community"
	"github.com/loyalbot/loyalbot/community/communitytest"
	"golang.org/x/time/rate"
)

const group = -1001

var (
	owner = telegramtest.User{ID: 1, First: "Olivia", Handle: "olivia"}
	alice = telegramtest.User{ID: 10, First: "Alice", Handle: "alice", Lang: "en"}
	bob   = telegramtest.User{ID: 20, First: "Bob", Handle: "bob"}
	mei   = telegramtest.User{ID: 30, First: "美", Handle: "mei", Lang: "zh-hans"}
)

type env struct {
	f     *telegramtest.Server
	st    *communitytest.Stack
	a     *telegram.Adapter
	stop  func()
	count *botstest.Recorder
}

// start runs an adapter against a fake Bot API until the test ends.
func start(t testing.TB, opts ...telegram.Option) *env {
	t.Helper()
	f := telegramtest.New(t)
	st := communitytest.NewWith(t, community.DefaultConfig(), []string{"telegram:1"}, nil, community.WithBrandChats(bots.Telegram, itoa(group)))
	return startOn(t, f, st, opts...)
}

func startOn(t testing.TB, f *telegramtest.Server, st *communitytest.Stack, opts ...telegram.Option) *env {
	t.Helper()
	opts = append([]telegram.Option{telegram.WithServerURL(f.URL), telegram.WithRateLimits(rate.Inf, rate.Inf, rate.Inf)}, opts...)
	a, err := telegram.New(telegramtest.Token, opts...)
	if err != nil {
		t.Fatal(err)
	}
	st.Hub.Add(a)
	cd := botstest.NewRecorder(st.Router)
	stop := botstest.Run(t, a, cd)
	f.WaitAny("deleteWebhook", "setWebhook") // Run has connected, published its commands and chosen polling or the webhook
	return &env{f: f, st: st, a: a, stop: stop, count: cd}
}

func (e *env) waitBalance(t testing.TB, u telegramtest.User, want int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		id, err := e.st.Members.LookupMention(context.Background(), bots.Telegram, "<@"+itoa(u.ID)+">")
		if err == nil {
			if got := e.st.Balance(t, bots.Telegram, itoa(u.ID)); got == want {
				return
			} else if time.Now().After(deadline) {
				t.Fatalf("%s (member %d) balance %d, want %d", u.First, id, got, want)
			}
		} else if time.Now().After(deadline) {
			t.Fatalf("%s never registered: %v", u.First, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestAdapter_StartUp(t *testing.T) {
	e := start(t)
	if n := len(e.f.CallsTo("deleteWebhook")); n != 1 {
		t.Errorf("deleteWebhook called %d times, want 1 (polling mode)", n)
	}
	cmds := e.f.Wait("setMyCommands", 4)
	var zh, scopes int
	for _, c := range cmds {
		if c.Form["language_code"] == "zh" {
			zh++
			if !strings.Contains(c.Form["commands"], "每日签到") {
				t.Errorf("zh commands not translated: %s", c.Form["commands"])
			}
		}
		if strings.Contains(c.Form["scope"], "all_group_chats") || strings.Contains(c.Form["scope"], "all_private_chats") {
			scopes++
		}
		if strings.Contains(c.Form["commands"], `"give"`) {
			t.Errorf("manager command in the member menu: %s", c.Form["commands"])
		}
	}
	if zh != 2 || scopes != 4 {
		t.Errorf("setMyCommands: %d in zh, %d scoped; want 2 and 4", zh, scopes)
	}
}

func TestAdapter_GroupMessages(t *testing.T) {
	e := start(t)
	e.f.Push(telegramtest.Message(1, group, alice, "Hello everyone, the new oolong is great!"))
	e.waitBalance(t, alice, 101) // signup bonus + a message point, and no reply
	e.f.Push(telegramtest.Message(2, group, alice, "/points@otherbot"), telegramtest.Message(3, group, alice, "/points@loyalbot"))
	e.f.WaitConfirmed(3) // both commands handled, their replies sent
	sent := e.f.CallsTo("sendMessage")
	if len(sent) != 1 {
		t.Fatalf("%d replies, want 1 (the command for another bot is ignored)", len(sent))
	}
	m := sent[0].Form
	if m["chat_id"] != itoa(group) || !strings.Contains(m["text"], "Balance: 101 points") || m["parse_mode"] != "HTML" {
		t.Errorf("reply %v", m)
	}
	if !strings.Contains(m["reply_parameters"], `"message_id"`) {
		t.Errorf("group reply does not quote the member's message: %v", m)
	}
	// Unknown update types are skipped; the next update still works.
	e.f.Push(map[string]any{"update_id": int64(4), "poll": map[string]any{"id": "p"}}, telegramtest.Message(5, group, alice, "/help"))
	e.f.Wait("sendMessage", 2)
}

func TestAdapter_DeepLinkAndPrivate(t *testing.T) {
	e := start(t)
	e.f.Push(telegramtest.Message(1, bob.ID, bob, "/start ref_x"))
	got := e.f.Wait("sendMessage", 1)[0].Form
	if got["chat_id"] != itoa(bob.ID) || !strings.Contains(got["text"], "Welcome, Bob!") || got["reply_parameters"] != "" {
		t.Errorf("/start ref_x reply %v", got)
	}
}

func TestAdapter_RedeemButtons(t *testing.T) {
	e := start(t)
	e.f.Push(telegramtest.Message(1, alice.ID, alice, "/rewards"))
	rewards := e.f.Wait("sendMessage", 1)[0].Form
	if !strings.Contains(rewards["reply_markup"], `"callback_data":"/redeem sticker"`) {
		t.Fatalf("rewards keyboard %s", rewards["reply_markup"])
	}
	e.f.Push(telegramtest.Callback(2, alice.ID, alice, 500, "/redeem sticker"))
	prompt := e.f.Wait("editMessageText", 1)[0].Form
	data := regexp.MustCompile(`/redeem sticker confirm [0-9a-f]+`).FindString(prompt["reply_markup"])
	if prompt["message_id"] != "500" || data == "" {
		t.Fatalf("confirm prompt %v", prompt)
	}
	e.f.Push(telegramtest.Callback(3, alice.ID, alice, 500, data))
	done := e.f.Wait("editMessageText", 2)[1].Form
	if !strings.Contains(done["text"], "Redeemed Sticker!") {
		t.Errorf("after confirm: %v", done)
	}
	e.waitBalance(t, alice, 50)
	e.f.Push(telegramtest.Callback(4, alice.ID, alice, 500, data)) // the stale button, pressed again
	again := e.f.Wait("editMessageText", 3)[2].Form
	if !strings.Contains(again["text"], "already redeemed") {
		t.Errorf("second press: %v", again)
	}
	e.waitBalance(t, alice, 50)
	if n := len(e.f.Wait("answerCallbackQuery", 3)); n != 3 {
		t.Errorf("%d callback answers, want 3", n)
	}
}

func TestAdapter_JoinWelcome(t *testing.T) {
	e := start(t)
	e.f.Push(telegramtest.Joined(1, group, mei, "spring-fair"))
	got := e.f.Wait("sendMessage", 1)[0].Form
	if got["chat_id"] != itoa(group) || !strings.Contains(got["text"], "欢迎加入社区，美") {
		t.Errorf("welcome %v", got)
	}
	e.waitBalance(t, mei, 100)
	id, _ := e.st.Members.LookupMention(context.Background(), bots.Telegram, "@mei")
	if m, _ := e.st.Members.Get(context.Background(), id); m.Invite != "spring-fair" {
		t.Errorf("invite %q", m.Invite)
	}
	// The same join reported again as a service message welcomes once.
	e.f.Push(map[string]any{"update_id": int64(2), "message": map[string]any{"message_id": 77, "date": time.Now().Unix(),
		"chat": telegramtest.ChatJSON(group), "from": mei.JSON(), "new_chat_members": []any{mei.JSON()}}})
	e.f.WaitConfirmed(2)
	if n := len(e.f.CallsTo("sendMessage")); n != 1 {
		t.Errorf("%d welcomes, want 1", n)
	}
	// HTML in a name is escaped.
	tom := telegramtest.User{ID: 40, First: "<b>Tom & Jerry</b>"}
	e.f.Push(telegramtest.Joined(3, group, tom, ""))
	got = e.f.Wait("sendMessage", 2)[1].Form
	if !strings.Contains(got["text"], "&lt;b&gt;Tom &amp; Jerry&lt;/b&gt;") {
		t.Errorf("name not escaped: %q", got["text"])
	}
}

func TestAdapter_GroupAdminsAreManagers(t *testing.T) {
	e := start(t)
	ann := telegramtest.User{ID: 11, First: "Ann", Handle: "ann"}
	e.f.SetAdmin(group, ann.ID)
	e.f.Push(telegramtest.Message(1, group, bob, "hi all, Bob here"), telegramtest.Message(2, group, alice, "/give @bob 5 thanks"))
	refused := e.f.Wait("sendMessage", 1)[0].Form
	if !strings.Contains(refused["text"], "/give is for managers and above") {
		t.Errorf("non-admin /give: %v", refused)
	}
	e.f.Push(telegramtest.Message(3, group, ann, "/give @bob 5 thanks"))
	sent := e.f.Wait("sendMessage", 3) // bob is told privately, ann gets the answer
	var gave bool
	for _, s := range sent {
		gave = gave || s.Form["chat_id"] == itoa(group) && strings.Contains(s.Form["text"], "Gave 5 points to Bob")
	}
	if !gave {
		t.Errorf("group admin /give not answered in the group: %v", sent)
	}
	e.waitBalance(t, bob, 106)
	if n := len(e.f.CallsTo("getChatMember")); n != 2 {
		t.Errorf("getChatMember called %d times, want 2 (one per commanding member)", n)
	}
}

// TestAdapter_AdminOfAnotherGroupIsNoManager is the regression test for
// privilege escalation: administering any group the bot was added to made
// a global manager.
func TestAdapter_AdminOfAnotherGroupIsNoManager(t *testing.T) {
	e := start(t)
	const theirs = -2002
	eve := telegramtest.User{ID: 66, First: "Eve", Handle: "eve"}
	e.f.SetAdmin(theirs, eve.ID)
	e.f.Push(telegramtest.Message(1, group, bob, "hi all, Bob here"), telegramtest.Message(2, theirs, eve, "/give @bob 100000 mine now"))
	refused := e.f.Wait("sendMessage", 1)[0].Form
	if !strings.Contains(refused["text"], "/give is for managers and above") {
		t.Errorf("admin of a group that is not the brand's could /give: %v", refused)
	}
	e.f.Push(telegramtest.Message(3, eve.ID, eve, "/broadcast hello from eve"))
	if got := e.f.Wait("sendMessage", 2)[1].Form; !strings.Contains(got["text"], "/broadcast is for managers") {
		t.Errorf("eve's /broadcast: %v", got)
	}
	e.waitBalance(t, bob, 101) // the signup bonus and one message point, nothing from eve
}

// TestAdapter_PollingConfirmsOnlyHandled is the regression test for kill -9
// losing in-flight updates: the offset confirmed to Telegram must never pass
// an update still being handled, so a new process gets it again.
func TestAdapter_PollingConfirmsOnlyHandled(t *testing.T) {
	f := telegramtest.New(t)
	st := communitytest.New(t, community.DefaultConfig(), "telegram:1")
	a, err := telegram.New(telegramtest.Token, telegram.WithServerURL(f.URL), telegram.WithRateLimits(rate.Inf, rate.Inf, rate.Inf))
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	g := &gated{Recorder: botstest.NewRecorder(st.Router), block: "/points", release: release}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); a.Run(ctx, g) }()
	t.Cleanup(func() { cancel(); close(release); <-done })
	f.WaitAny("deleteWebhook")
	f.Push(telegramtest.Message(5, alice.ID, alice, "/points"), telegramtest.Message(6, bob.ID, bob, "/help"), telegramtest.Message(7, bob.ID, bob, "/rewards"))
	for g.Count() < 2 { // 6 and 7 handled while 5 hangs
		f.Wait("sendMessage", 2)
	}
	if c := f.Confirmed(); c > 5 {
		t.Fatalf("offset %d confirmed while update 5 was still being handled", c)
	}
	if q := f.Queued(); len(q) == 0 || q[0] != 5 {
		t.Fatalf("queued %v: update 5 was dropped", q)
	}
	// The process dies here: it stops polling and never finishes update 5.
	// A new one gets update 5 from Telegram.
	cancel()
	e2 := startOn(t, f, st)
	deadline := time.Now().Add(5 * time.Second)
	for !hasText(f.CallsTo("sendMessage"), "Balance: 100 points") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if !hasText(f.CallsTo("sendMessage"), "Balance: 100 points") {
		t.Fatalf("update 5 was never handled after the restart; calls %v", f.CallsTo("sendMessage"))
	}
	_ = e2
}

// gated dispatches through a Recorder, holding events with text block until release closes.
type gated struct {
	*botstest.Recorder
	block   string
	release chan struct{}
}

func (g *gated) Dispatch(ctx context.Context, ev *bots.Event) []bots.Reply {
	if ev.Text == g.block {
		<-g.release
		return nil
	}
	return g.Recorder.Dispatch(ctx, ev)
}

func hasText(calls []telegramtest.Call, s string) bool {
	for _, c := range calls {
		if strings.Contains(c.Form["text"], s) {
			return true
		}
	}
	return false
}

func TestAdapter_RetryAfter(t *testing.T) {
	e := start(t)
	e.f.SetTooMany(1)
	e.f.Push(telegramtest.Message(1, alice.ID, alice, "/help"))
	sent := e.f.Wait("sendMessage", 2)
	if gap := sent[1].At.Sub(sent[0].At); gap < time.Second {
		t.Errorf("retried after %s, want at least retry_after=1s", gap)
	}
	if sent[0].Form["text"] != sent[1].Form["text"] {
		t.Error("the retry sent a different message")
	}
}

type memOffsets struct {
	mu    sync.Mutex
	saved []int64
	load  int64
}

func (m *memOffsets) LoadOffset(context.Context) (int64, error) { return m.load, nil }
func (m *memOffsets) SaveOffset(_ context.Context, id int64) error {
	m.mu.Lock()
	m.saved = append(m.saved, id)
	m.mu.Unlock()
	return nil
}

func TestAdapter_RedeliveryPaysOnce(t *testing.T) {
	f := telegramtest.New(t)
	st := communitytest.New(t, community.DefaultConfig(), "telegram:1")
	offsets := &memOffsets{}
	e := startOn(t, f, st, telegram.WithOffsets(offsets))
	f.Push(telegramtest.Message(7, group, alice, "A message worth one point"))
	e.waitBalance(t, alice, 101)
	// The first process asks for update 8 before it stops: that request
	// confirms 7 to the server, so it must arrive before 7 is queued again
	// (a late one would make the fake forget the redelivery).
	f.WaitConfirmed(7)
	e.stop()
	if len(offsets.saved) == 0 || offsets.saved[len(offsets.saved)-1] != 7 {
		t.Fatalf("saved offsets %v, want 7 last", offsets.saved)
	}
	// Telegram redelivers update 7 to a restarted process (it was handled
	// but the crash came before its confirmation): it pays nothing.
	st.Clock.Advance(10 * time.Minute)
	f.Push(telegramtest.Message(7, group, alice, "A message worth one point"))
	e2 := startOn(t, f, st, telegram.WithOffsets(&memOffsets{load: 0}))
	if got := e2.count.Wait(t, 1); got[0].Event.ID != "telegram:7" && !strings.HasSuffix(got[0].Event.ID, ":7") {
		t.Fatalf("first event after the restart is %q, want update 7 again", got[0].Event.ID)
	}
	e2.waitBalance(t, alice, 101)
}

func TestAdapter_Webhook(t *testing.T) {
	f := telegramtest.New(t)
	st := communitytest.New(t, community.DefaultConfig(), "telegram:1")
	e := startOn(t, f, st, telegram.WithWebhook("https://bot.example.com/telegram/hook", "s3cret"))
	hook := f.Wait("setWebhook", 1)[0].Form
	if hook["secret_token"] != "s3cret" || hook["url"] != "https://bot.example.com/telegram/hook" || !strings.Contains(hook["allowed_updates"], "chat_member") {
		t.Errorf("setWebhook %v", hook)
	}
	if e.a.WebhookPath() != "/telegram/hook" {
		t.Errorf("webhook path %q", e.a.WebhookPath())
	}
	srv := httptest.NewServer(e.a.WebhookHandler())
	defer srv.Close()
	body, _ := json.Marshal(telegramtest.Message(1, alice.ID, alice, "/points"))
	for _, tt := range []struct {
		secret, body string
		want         int
	}{
		{"", string(body), http.StatusUnauthorized},
		{"wrong", string(body), http.StatusUnauthorized},
		{"s3cret", "{not json", http.StatusBadRequest},
		{"s3cret", string(body), http.StatusOK},
	} {
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(tt.body))
		if tt.secret != "" {
			req.Header.Set("X-Telegram-Bot-Api-Secret-Token", tt.secret)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("secret %q body %.10q: %d, want %d", tt.secret, tt.body, resp.StatusCode, tt.want)
		}
	}
	// Only the authorised call was handled, before its 200.
	if sent := f.CallsTo("sendMessage"); len(sent) != 1 || !strings.Contains(sent[0].Form["text"], "Balance: 100") {
		t.Errorf("webhook replies %v", sent)
	}
}

func TestAdapter_Send_LongAndEscaped(t *testing.T) {
	e := start(t)
	var b strings.Builder
	for i := 0; b.Len() < 5000; i++ {
		b.WriteString("Line of the long announcement number " + itoa(int64(i)) + "\n")
	}
	long := strings.TrimSpace(b.String())
	if err := e.a.Send(context.Background(), bots.Address{ChatID: itoa(group)}, bots.Reply{Text: long}); err != nil {
		t.Fatal(err)
	}
	if err := e.a.Send(context.Background(), bots.Address{UserID: itoa(alice.ID)}, bots.Reply{Text: `a < b && "c" > d`}); err != nil {
		t.Fatal(err)
	}
	sent := e.f.Wait("sendMessage", 3)
	if len(sent) != 3 {
		t.Fatalf("%d messages, want 2 parts and 1", len(sent))
	}
	for _, s := range sent[:2] {
		if n := len([]rune(s.Form["text"])); n > 4096 {
			t.Errorf("part of %d characters", n)
		}
	}
	if joined := sent[0].Form["text"] + "\n" + sent[1].Form["text"]; joined != long {
		t.Error("the parts do not add up to the message (split inside a line?)")
	}
	if got := sent[2].Form["text"]; got != "a &lt; b &amp;&amp; &#34;c&#34; &gt; d" {
		t.Errorf("escaped %q", got)
	}
}

func TestAdapter_PrivateReplyNeedsDM(t *testing.T) {
	f := telegramtest.New(t)
	st := communitytest.New(t, communitytest.Config(func(c *community.Config) { c.PrivateReplies = true }), "telegram:1")
	e := startOn(t, f, st)
	f.SetNoDM(bob.ID)
	f.Push(telegramtest.Message(1, group, bob, "/points"))
	sent := e.f.Wait("sendMessage", 2)
	if sent[0].Form["chat_id"] != itoa(bob.ID) || sent[1].Form["chat_id"] != itoa(group) || !strings.Contains(sent[1].Form["text"], "https://t.me/loyalbot") {
		t.Errorf("private reply fallback: %v / %v", sent[0].Form, sent[1].Form)
	}
	if strings.Contains(sent[1].Form["text"], "Balance") {
		t.Error("the balance leaked into the group")
	}
}

func TestNew_EmptyToken(t *testing.T) {
	if _, err := telegram.New(""); err == nil {
		t.Error("New accepted an empty token")
	}
}

func BenchmarkTelegramUpdates(b *testing.B) {
	f := telegramtest.New(b)
	st := communitytest.New(b, community.DefaultConfig(), "telegram:1")
	e := startOn(b, f, st)
	users := make([]telegramtest.User, 100)
	for i := range users {
		users[i] = telegramtest.User{ID: int64(1000 + i), First: "Member", Handle: "m" + itoa(int64(i))}
		f.Push(telegramtest.Message(int64(i+1), group, users[i], "hello, registering!"))
	}
	for e.count.Count() < int64(len(users)) {
		time.Sleep(time.Millisecond)
	}
	b.ResetTimer()
	start := time.Now()
	base := e.count.Count()
	batch := make([]map[string]any, 0, b.N)
	for i := range b.N {
		batch = append(batch, telegramtest.Message(int64(len(users)+i+1), group, users[i%len(users)], "chatting about tea, message "+itoa(int64(i))))
	}
	f.Push(batch...)
	for e.count.Count() < base+int64(b.N) {
		time.Sleep(200 * time.Microsecond)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "updates/s")
}

// Before Run is ready, webhook calls get 503 so Telegram retries them.
func TestAdapter_WebhookBeforeRun(t *testing.T) {
	a, err := telegram.New(telegramtest.Token, telegram.WithWebhook("https://bot.example.com/hook", "s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.WebhookHandler())
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(`{"update_id":1}`))
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", "s3cret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", resp.StatusCode)
	}
}

// /ref shows the Telegram deep link once the adapter knows its name.
func TestAdapter_RefDeepLink(t *testing.T) {
	e := start(t)
	e.f.Push(telegramtest.Message(1, alice.ID, alice, "/ref"))
	got := e.f.Wait("sendMessage", 1)[0].Form["text"]
	if !regexp.MustCompile(`https://t\.me/loyalbot\?start=ref_[A-Z2-9]{6}`).MatchString(got) {
		t.Errorf("/ref reply %q lacks the deep link", got)
	}
}
