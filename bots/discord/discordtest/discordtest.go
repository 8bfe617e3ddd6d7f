// Package discordtest is a fake Discord for tests: REST API and gateway in
// one httptest server, so the real discordgo client can run against it.
package discordtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// IDs the fake uses.
const (
	AppID          = "999"     // the bot's user and application id
	Guild          = "g1"      // the one guild
	Owner          = "1"       // the guild owner's user id
	WelcomeChannel = "welcome" // the guild's system channel
)

// fakeDiscord is Discord's REST API and gateway in one httptest server:
// GET /api/v9/gateway points discordgo at /gw, which says HELLO, waits for
// IDENTIFY, sends READY and GUILD_CREATE, acknowledges heartbeats and then
// sends whatever events the test pushes. REST calls are recorded.
// Server is the fake. Set its exported fields before the client connects.
type Server struct {
	t   testing.TB
	srv *httptest.Server
	// URL is the base URL to give the adapter (discord.WithAPIURL).
	URL string

	mu       sync.Mutex
	calls    []Call
	events   chan []byte
	seq      int
	invites  []map[string]any
	msgID    int
	identify map[string]any
	// noPrivileged makes the gateway refuse privileged intents with close
	// code 4014, as Discord does when they are off in the developer portal.
	NoPrivileged bool
	identifies   int
	FailRoles    bool // answer role changes with 403, as when the bot's role is too low
}

// Call is a recorded REST call.
type Call struct {
	Method, Path string
	Body         map[string]any
	Raw          string
}

// New starts a fake Discord, closed when the test ends.
func New(t testing.TB) *Server {
	f := &Server{t: t, events: make(chan []byte, 10_000)}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v9/gateway", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"url": "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/gw"})
	})
	mux.HandleFunc("/gw", f.gateway)
	mux.HandleFunc("/gw/", f.gateway)
	mux.HandleFunc("/", f.rest)
	f.srv = httptest.NewServer(mux)
	f.URL = f.srv.URL
	t.Cleanup(f.srv.Close)
	return f
}

var upgrader = websocket.Upgrader{}

func (f *Server) gateway(w http.ResponseWriter, r *http.Request) {
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
	refuse := f.NoPrivileged
	f.mu.Unlock()
	if d, _ := ident["d"].(map[string]any); refuse {
		if intents, _ := d["intents"].(float64); int(intents)&(1<<15|1<<1) != 0 {
			c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(4014, "Disallowed intent(s)."))
			return
		}
	}
	write(f.dispatch("READY", map[string]any{"v": 9, "session_id": "sess", "resume_gateway_url": "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/gw",
		"user": map[string]any{"id": AppID, "username": "loyalbot", "bot": true}, "guilds": []any{map[string]any{"id": Guild, "unavailable": true}},
		"application": map[string]any{"id": AppID}}))
	write(f.dispatch("GUILD_CREATE", map[string]any{"id": Guild, "name": "Lumen Tea Club", "owner_id": "1", "system_channel_id": "welcome",
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

func (f *Server) dispatch(t string, d any) map[string]any {
	f.mu.Lock()
	f.seq++
	s := f.seq
	f.mu.Unlock()
	return map[string]any{"op": 0, "t": t, "s": s, "d": d}
}

// Push sends a gateway event.
func (f *Server) Push(t string, d any) {
	b, _ := json.Marshal(f.dispatch(t, d))
	f.events <- b
}

func (f *Server) rest(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	json.Unmarshal(raw, &body)
	path := strings.TrimPrefix(r.URL.Path, "/api/v9")
	f.mu.Lock()
	f.calls = append(f.calls, Call{Method: r.Method, Path: path, Body: body, Raw: string(raw)})
	f.msgID++
	id := f.msgID
	invites := f.invites
	failRoles := f.FailRoles
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
		json.NewEncoder(w).Encode(map[string]any{"id": strconv.Itoa(id), "channel_id": "c", "content": body["content"], "timestamp": time.Now().Format(time.RFC3339)})
	}
}

// CallsTo returns the recorded calls with method whose path contains pathPart.
func (f *Server) CallsTo(method, pathPart string) []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Call
	for _, c := range f.calls {
		if c.Method == method && strings.Contains(c.Path, pathPart) {
			out = append(out, c)
		}
	}
	return out
}

// Wait returns the matching calls once there are at least n of them.
func (f *Server) Wait(method, pathPart string, n int) []Call {
	f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if got := f.CallsTo(method, pathPart); len(got) >= n {
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

// User is a user object.
func User(id, name string) map[string]any {
	return map[string]any{"id": id, "username": name, "global_name": name, "discriminator": "0"}
}

var seqMsg struct {
	sync.Mutex
	n int
}

// MessageCreate is a MESSAGE_CREATE payload.
func MessageCreate(channel, guildID string, author map[string]any, content string) map[string]any {
	seqMsg.Lock()
	seqMsg.n++
	id := "m" + strconv.Itoa(seqMsg.n)
	seqMsg.Unlock()
	m := map[string]any{"id": id, "channel_id": channel, "author": author, "content": content, "timestamp": time.Now().Format(time.RFC3339), "type": 0, "mentions": []any{}}
	if guildID != "" {
		m["guild_id"] = guildID
		m["member"] = map[string]any{"roles": []any{}, "joined_at": time.Now().Format(time.RFC3339)}
	}
	return m
}

// Interaction is an INTERACTION_CREATE payload for a slash command.
func Interaction(id string, u map[string]any, perms string, name string, options []map[string]any, locale string) map[string]any {
	opts := []any{}
	for _, o := range options {
		opts = append(opts, o)
	}
	return map[string]any{"id": id, "application_id": AppID, "type": 2, "token": "tok-" + id, "version": 1, "guild_id": Guild, "channel_id": "c1",
		"locale": locale, "member": map[string]any{"user": u, "roles": []any{}, "permissions": perms, "joined_at": time.Now().Format(time.RFC3339)},
		"data": map[string]any{"id": "cmd-" + name, "name": name, "type": 1, "options": opts}}
}

// Identifies returns how many IDENTIFY payloads the gateway received, and the last.
func (f *Server) Identifies() (int, map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.identifies, f.identify
}

// SetInvites sets what GET /guilds/{id}/invites answers.
func (f *Server) SetInvites(invites []map[string]any) {
	f.mu.Lock()
	f.invites = invites
	f.mu.Unlock()
}
