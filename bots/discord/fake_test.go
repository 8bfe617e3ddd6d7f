package discord_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

const (
	appID = "999"
	guild = "g1"
)

// fakeDiscord is Discord's REST API and gateway in one httptest server:
// GET /api/v9/gateway points discordgo at /gw, which says HELLO, waits for
// IDENTIFY, sends READY and GUILD_CREATE, acknowledges heartbeats and then
// sends whatever events the test pushes. REST calls are recorded.
type fakeDiscord struct {
	t   testing.TB
	srv *httptest.Server

	mu       sync.Mutex
	calls    []call
	events   chan []byte
	seq      int
	invites  []map[string]any
	msgID    int
	identify map[string]any
	// noPrivileged makes the gateway refuse privileged intents with close
	// code 4014, as Discord does when they are off in the developer portal.
	noPrivileged bool
	identifies   int
	failRoles    bool // answer role changes with 403, as when the bot's role is too low
}

type call struct {
	Method, Path string
	Body         map[string]any
	Raw          string
}

func newFakeDiscord(t testing.TB) *fakeDiscord {
	f := &fakeDiscord{t: t, events: make(chan []byte, 10_000)}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v9/gateway", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"url": "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/gw"})
	})
	mux.HandleFunc("/gw", f.gateway)
	mux.HandleFunc("/gw/", f.gateway)
	mux.HandleFunc("/", f.rest)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

var upgrader = websocket.Upgrader{}

func (f *fakeDiscord) gateway(w http.ResponseWriter, r *http.Request) {
	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		f.t.Errorf("upgrade: %v", err)
		return
	}
	defer c.Close()
	var wmu sync.Mutex
	write := func(v any) error {
		wmu.Lock()
		defer wmu.Unlock()
		return c.WriteJSON(v)
	}
	write(map[string]any{"op": 10, "d": map[string]any{"heartbeat_interval": 40_000}})
	var ident map[string]any
	if err := c.ReadJSON(&ident); err != nil {
		return
	}
	f.mu.Lock()
	f.identify = ident
	f.identifies++
	refuse := f.noPrivileged
	f.mu.Unlock()
	if d, _ := ident["d"].(map[string]any); refuse {
		if intents, _ := d["intents"].(float64); int(intents)&(1<<15|1<<1) != 0 {
			c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(4014, "Disallowed intent(s)."))
			return
		}
	}
	write(f.dispatch("READY", map[string]any{"v": 9, "session_id": "sess", "resume_gateway_url": "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/gw",
		"user": map[string]any{"id": appID, "username": "loyalbot", "bot": true}, "guilds": []any{map[string]any{"id": guild, "unavailable": true}},
		"application": map[string]any{"id": appID}}))
	write(f.dispatch("GUILD_CREATE", map[string]any{"id": guild, "name": "Lumen Tea Club", "owner_id": "1", "system_channel_id": "welcome",
		"roles":    []any{map[string]any{"id": "r-mod", "name": "Mods", "permissions": "32"}, map[string]any{"id": "r-fan", "name": "Fans", "permissions": "0"}},
		"channels": []any{}, "members": []any{}}))
	done := make(chan struct{})
	go func() { // heartbeats
		defer close(done)
		for {
			var m map[string]any
			if err := c.ReadJSON(&m); err != nil {
				return
			}
			if op, _ := m["op"].(float64); op == 1 {
				write(map[string]any{"op": 11})
			}
		}
	}()
	for {
		select {
		case ev := <-f.events:
			wmu.Lock()
			err := c.WriteMessage(websocket.TextMessage, ev)
			wmu.Unlock()
			if err != nil {
				return
			}
		case <-done:
			return
		}
	}
}

func (f *fakeDiscord) dispatch(t string, d any) map[string]any {
	f.mu.Lock()
	f.seq++
	s := f.seq
	f.mu.Unlock()
	return map[string]any{"op": 0, "t": t, "s": s, "d": d}
}

// push sends a gateway event.
func (f *fakeDiscord) push(t string, d any) {
	b, _ := json.Marshal(f.dispatch(t, d))
	f.events <- b
}

func (f *fakeDiscord) rest(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	json.Unmarshal(raw, &body)
	path := strings.TrimPrefix(r.URL.Path, "/api/v9")
	f.mu.Lock()
	f.calls = append(f.calls, call{Method: r.Method, Path: path, Body: body, Raw: string(raw)})
	f.msgID++
	id := f.msgID
	invites := f.invites
	failRoles := f.failRoles
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case strings.HasSuffix(path, "/invites"):
		if invites == nil {
			invites = []map[string]any{}
		}
		json.NewEncoder(w).Encode(invites)
	case path == "/users/@me/channels":
		json.NewEncoder(w).Encode(map[string]any{"id": "dm-" + body["recipient_id"].(string), "type": 1})
	case strings.Contains(path, "/roles/") && failRoles:
		w.WriteHeader(http.StatusForbidden)
		io.WriteString(w, `{"message": "Missing Permissions", "code": 50013}`)
	case strings.Contains(path, "/callback"), strings.Contains(path, "/roles/"):
		w.WriteHeader(http.StatusNoContent)
	case strings.Contains(path, "/commands"):
		io.WriteString(w, "[]")
	default:
		json.NewEncoder(w).Encode(map[string]any{"id": itoa(id), "channel_id": "c", "content": body["content"], "timestamp": time.Now().Format(time.RFC3339)})
	}
}

func (f *fakeDiscord) callsTo(method, pathPart string) []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []call
	for _, c := range f.calls {
		if c.Method == method && strings.Contains(c.Path, pathPart) {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeDiscord) wait(method, pathPart string, n int) []call {
	f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if got := f.callsTo(method, pathPart); len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			f.mu.Lock()
			var all []string
			for _, c := range f.calls {
				all = append(all, c.Method+" "+c.Path)
			}
			f.mu.Unlock()
			f.t.Fatalf("fewer than %d %s %s calls after 10s; calls: %v", n, method, pathPart, all)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func user(id, name string) map[string]any {
	return map[string]any{"id": id, "username": name, "global_name": name, "discriminator": "0"}
}

var seqMsg struct {
	sync.Mutex
	n int
}

func messageCreate(channel, guildID string, author map[string]any, content string) map[string]any {
	seqMsg.Lock()
	seqMsg.n++
	id := "m" + itoa(seqMsg.n)
	seqMsg.Unlock()
	m := map[string]any{"id": id, "channel_id": channel, "author": author, "content": content, "timestamp": time.Now().Format(time.RFC3339), "type": 0, "mentions": []any{}}
	if guildID != "" {
		m["guild_id"] = guildID
		m["member"] = map[string]any{"roles": []any{}, "joined_at": time.Now().Format(time.RFC3339)}
	}
	return m
}

func interaction(id string, u map[string]any, perms string, name string, options []map[string]any, locale string) map[string]any {
	opts := []any{}
	for _, o := range options {
		opts = append(opts, o)
	}
	return map[string]any{"id": id, "application_id": appID, "type": 2, "token": "tok-" + id, "version": 1, "guild_id": guild, "channel_id": "c1",
		"locale": locale, "member": map[string]any{"user": u, "roles": []any{}, "permissions": perms, "joined_at": time.Now().Format(time.RFC3339)},
		"data": map[string]any{"id": "cmd-" + name, "name": name, "type": 1, "options": opts}}
}
