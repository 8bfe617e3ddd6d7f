// Package telegramtest is a fake Telegram Bot API for tests: it speaks the
// real wire format (multipart requests, {"ok":true,"result":...}), queues
// updates for getUpdates and records every other call.
package telegramtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Token is the bot token the fake accepts.
const Token = "123456:TEST-TOKEN"

// Server is the fake Bot API. Set its exported fields (under Lock) to
// change its answers.
type Server struct {
	t   testing.TB
	srv *httptest.Server
	// URL is the server URL to give the adapter (telegram.WithServerURL).
	URL string

	mu      sync.Mutex
	updates []map[string]any
	pushed  chan struct{}
	calls   []Call
	nextMsg int
	// Admins holds "chat:user" of chat administrators.
	Admins map[string]bool
	// NoDM holds users who never opened a private chat with the bot.
	NoDM map[string]bool
	// TooMany answers this many sendMessage calls with 429 and RetryWait seconds.
	TooMany, RetryWait int
	confirmed          int64 // the highest getUpdates offset asked: updates below it are gone
}

// Confirmed returns the highest offset getUpdates was called with: every
// update below it is confirmed, and forgotten.
func (f *Server) Confirmed() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.confirmed
}

// Queued returns the update ids still queued (not confirmed).
func (f *Server) Queued() []int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []int64
	for _, u := range f.updates {
		out = append(out, u["update_id"].(int64))
	}
	return out
}

// Call is a recorded Bot API call.
type Call struct {
	Method string
	Form   map[string]string
	At     time.Time
}

// New starts a fake Bot API, closed when the test ends.
func New(t testing.TB) *Server {
	f := &Server{t: t, pushed: make(chan struct{}, 1), nextMsg: 1000, Admins: map[string]bool{}, NoDM: map[string]bool{}, RetryWait: 1}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	f.URL = f.srv.URL
	t.Cleanup(f.srv.Close)
	return f
}

func (f *Server) serve(w http.ResponseWriter, r *http.Request) {
	prefix := "/bot" + Token + "/"
	if !strings.HasPrefix(r.URL.Path, prefix) {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"ok":false,"error_code":401,"description":"Unauthorized"}`)
		return
	}
	method := strings.TrimPrefix(r.URL.Path, prefix)
	form := map[string]string{}
	if err := r.ParseMultipartForm(1 << 20); err == nil {
		for k, v := range r.MultipartForm.Value {
			form[k] = v[0]
		}
	}
	if method == "getUpdates" {
		f.getUpdates(r.Context(), w, form)
		return
	}
	f.mu.Lock()
	f.calls = append(f.calls, Call{Method: method, Form: form, At: time.Now()})
	var result any = true
	switch method {
	case "getMe":
		result = map[string]any{"id": 123456, "is_bot": true, "first_name": "Loyal", "username": "loyalbot"}
	case "sendMessage", "editMessageText":
		if method == "sendMessage" && f.TooMany > 0 {
			f.TooMany--
			f.mu.Unlock()
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprintf(w, `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after %d","parameters":{"retry_after":%d}}`, f.RetryWait, f.RetryWait)
			return
		}
		if f.NoDM[form["chat_id"]] {
			f.mu.Unlock()
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"ok":false,"error_code":403,"description":"Forbidden: bot can't initiate conversation with a user"}`)
			return
		}
		f.nextMsg++
		chat, _ := strconv.ParseInt(form["chat_id"], 10, 64)
		result = map[string]any{"message_id": f.nextMsg, "date": time.Now().Unix(), "chat": map[string]any{"id": chat, "type": "private"}, "text": form["text"]}
	case "getChatMember":
		status := "member"
		if f.Admins[form["chat_id"]+":"+form["user_id"]] {
			status = "administrator"
		}
		user, _ := strconv.ParseInt(form["user_id"], 10, 64)
		result = map[string]any{"status": status, "user": map[string]any{"id": user, "is_bot": false, "first_name": "U"},
			"can_be_edited": false, "is_anonymous": false, "can_manage_chat": true}
	}
	f.mu.Unlock()
	json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": result})
}

// getUpdates answers with queued updates at or above the offset, waiting a
// little for new ones as long polling does. Like Telegram, it forgets every
// update below the offset: asking with an offset confirms those.
func (f *Server) getUpdates(ctx context.Context, w http.ResponseWriter, form map[string]string) {
	offset, _ := strconv.ParseInt(form["offset"], 10, 64)
	f.mu.Lock()
	if offset > f.confirmed {
		f.confirmed = offset
		kept := f.updates[:0]
		for _, u := range f.updates {
			if u["update_id"].(int64) >= offset {
				kept = append(kept, u)
			}
		}
		f.updates = kept
	}
	f.mu.Unlock()
	deadline := time.After(50 * time.Millisecond)
	for {
		f.mu.Lock()
		var out []map[string]any
		for _, u := range f.updates {
			if id := u["update_id"].(int64); id >= offset {
				out = append(out, u)
			}
			if len(out) == 100 {
				break
			}
		}
		f.mu.Unlock()
		if len(out) > 0 {
			json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": out})
			return
		}
		select {
		case <-ctx.Done(): // the poller went away (its process stopped)
			return
		case <-f.pushed:
		case <-deadline:
			fmt.Fprint(w, `{"ok":true,"result":[]}`)
			return
		}
	}
}

// Push queues updates for getUpdates.
func (f *Server) Push(updates ...map[string]any) {
	f.mu.Lock()
	f.updates = append(f.updates, updates...)
	f.mu.Unlock()
	select {
	case f.pushed <- struct{}{}:
	default:
	}
}

// Wait returns the calls to method once there are at least n of them.
func (f *Server) Wait(method string, n int) []Call {
	f.t.Helper()
	deadline := time.Now().Add(30 * time.Second) // generous: serve loads the Chinese dictionary (~1.5 s, more on a loaded machine)
	for {
		got := f.CallsTo(method)
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("%d %s calls after 30s, want %d; calls: %v", len(got), method, n, f.methods())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// WaitConfirmed waits until every update up to and including id has been
// confirmed: the adapter handled it (replies sent) and asked for the next.
func (f *Server) WaitConfirmed(id int64) {
	f.t.Helper()
	deadline := time.Now().Add(30 * time.Second) // generous: serve loads the Chinese dictionary (~1.5 s, more on a loaded machine)
	for f.Confirmed() <= id {
		if time.Now().After(deadline) {
			f.t.Fatalf("update %d not confirmed after 10s (offset %d)", id, f.Confirmed())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// WaitAny waits for the first call to any of methods.
func (f *Server) WaitAny(methods ...string) {
	f.t.Helper()
	deadline := time.Now().Add(30 * time.Second) // generous: serve loads the Chinese dictionary (~1.5 s, more on a loaded machine)
	for time.Now().Before(deadline) {
		for _, m := range methods {
			if len(f.CallsTo(m)) > 0 {
				return
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	f.t.Fatalf("none of %v called; calls: %v", methods, f.methods())
}

// CallsTo returns the calls to method so far.
func (f *Server) CallsTo(method string) []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Call
	for _, c := range f.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

func (f *Server) methods() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		out = append(out, c.Method)
	}
	return out
}

// Update builders, in the Bot API's JSON shape.

// User is a Telegram user, for building updates.
type User struct {
	ID                  int64
	First, Handle, Lang string
}

// JSON is the user as the Bot API sends it.
func (u User) JSON() map[string]any {
	m := map[string]any{"id": u.ID, "is_bot": false, "first_name": u.First}
	if u.Handle != "" {
		m["username"] = u.Handle
	}
	if u.Lang != "" {
		m["language_code"] = u.Lang
	}
	return m
}

// ChatJSON is a chat: private for a positive id, a supergroup for a negative one.
func ChatJSON(id int64) map[string]any {
	if id > 0 {
		return map[string]any{"id": id, "type": "private", "first_name": "x"}
	}
	return map[string]any{"id": id, "type": "supergroup", "title": "Lumen Tea Club"}
}

var msgIDs = struct {
	sync.Mutex
	n int
}{}

// Message is an update with a text message.
func Message(updateID, chat int64, from User, text string) map[string]any {
	msgIDs.Lock()
	msgIDs.n++
	id := msgIDs.n
	msgIDs.Unlock()
	return map[string]any{"update_id": updateID, "message": map[string]any{
		"message_id": id, "date": time.Now().Unix(), "chat": ChatJSON(chat), "from": from.JSON(), "text": text,
	}}
}

// Callback is an update with a button press on messageID.
func Callback(updateID, chat int64, from User, messageID int, data string) map[string]any {
	return map[string]any{"update_id": updateID, "callback_query": map[string]any{
		"id": "cb" + strconv.FormatInt(updateID, 10), "from": from.JSON(), "chat_instance": "1", "data": data,
		"message": map[string]any{"message_id": messageID, "date": time.Now().Unix(), "chat": ChatJSON(chat), "text": "prompt"},
	}}
}

// Joined is a chat_member update: u joined chat, through invite if not empty.
func Joined(updateID, chat int64, u User, invite string) map[string]any {
	upd := map[string]any{
		"chat": ChatJSON(chat), "from": u.JSON(), "date": time.Now().Unix(),
		"old_chat_member": map[string]any{"status": "left", "user": u.JSON()},
		"new_chat_member": map[string]any{"status": "member", "user": u.JSON()},
	}
	if invite != "" {
		upd["invite_link"] = map[string]any{"invite_link": "https://t.me/+abc", "name": invite, "creator": map[string]any{"id": 1, "is_bot": false, "first_name": "A"},
			"creates_join_request": false, "is_primary": false, "is_revoked": false}
	}
	return map[string]any{"update_id": updateID, "chat_member": upd}
}

// SetAdmin makes user an administrator of chat.
func (f *Server) SetAdmin(chat, user int64) {
	f.mu.Lock()
	f.Admins[strconv.FormatInt(chat, 10)+":"+strconv.FormatInt(user, 10)] = true
	f.mu.Unlock()
}

// SetNoDM makes sends to user fail as if they never opened a private chat.
func (f *Server) SetNoDM(user int64) {
	f.mu.Lock()
	f.NoDM[strconv.FormatInt(user, 10)] = true
	f.mu.Unlock()
}

// SetTooMany answers the next n sendMessage calls with 429.
func (f *Server) SetTooMany(n int) {
	f.mu.Lock()
	f.TooMany = n
	f.mu.Unlock()
}
