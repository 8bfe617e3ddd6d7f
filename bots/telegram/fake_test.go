package telegram_test

import (
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

const token = "123456:TEST-TOKEN"

// fakeAPI is a Telegram Bot API server speaking the real wire format: the
// client posts multipart forms to /bot<token>/<method> and gets
// {"ok":true,"result":...} back. It queues updates for getUpdates and
// records every other call.
type fakeAPI struct {
	t   testing.TB
	srv *httptest.Server

	mu        sync.Mutex
	updates   []map[string]any
	pushed    chan struct{}
	calls     []call
	nextMsg   int
	admins    map[string]bool // "chat:user" of chat administrators
	noDM      map[string]bool // users who never opened a private chat with the bot
	tooMany   int             // answer this many sendMessage calls with 429
	retryWait int             // retry_after for those answers, seconds
}

type call struct {
	Method string
	Form   map[string]string
	At     time.Time
}

func newFakeAPI(t testing.TB) *fakeAPI {
	f := &fakeAPI{t: t, pushed: make(chan struct{}, 1), nextMsg: 1000, admins: map[string]bool{}, noDM: map[string]bool{}, retryWait: 1}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	prefix := "/bot" + token + "/"
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
		f.getUpdates(w, form)
		return
	}
	f.mu.Lock()
	f.calls = append(f.calls, call{Method: method, Form: form, At: time.Now()})
	var result any = true
	switch method {
	case "getMe":
		result = map[string]any{"id": 123456, "is_bot": true, "first_name": "Loyal", "username": "loyalbot"}
	case "sendMessage", "editMessageText":
		if method == "sendMessage" && f.tooMany > 0 {
			f.tooMany--
			f.mu.Unlock()
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprintf(w, `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after %d","parameters":{"retry_after":%d}}`, f.retryWait, f.retryWait)
			return
		}
		if f.noDM[form["chat_id"]] {
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
		if f.admins[form["chat_id"]+":"+form["user_id"]] {
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
// little for new ones as long polling does.
func (f *fakeAPI) getUpdates(w http.ResponseWriter, form map[string]string) {
	offset, _ := strconv.ParseInt(form["offset"], 10, 64)
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
		case <-f.pushed:
		case <-deadline:
			fmt.Fprint(w, `{"ok":true,"result":[]}`)
			return
		}
	}
}

func (f *fakeAPI) push(updates ...map[string]any) {
	f.mu.Lock()
	f.updates = append(f.updates, updates...)
	f.mu.Unlock()
	select {
	case f.pushed <- struct{}{}:
	default:
	}
}

// wait returns the calls to method once there are at least n of them.
func (f *fakeAPI) wait(method string, n int) []call {
	f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := f.callsTo(method)
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("%d %s calls after 10s, want %d; calls: %v", len(got), method, n, f.methods())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitAny waits for the first call to any of methods.
func (f *fakeAPI) waitAny(methods ...string) {
	f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range methods {
			if len(f.callsTo(m)) > 0 {
				return
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	f.t.Fatalf("none of %v called; calls: %v", methods, f.methods())
}

func (f *fakeAPI) callsTo(method string) []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []call
	for _, c := range f.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeAPI) methods() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		out = append(out, c.Method)
	}
	return out
}

// Update builders, in the Bot API's JSON shape.

type user struct {
	id            int64
	first, handle string
	lang          string
}

func (u user) json() map[string]any {
	m := map[string]any{"id": u.id, "is_bot": false, "first_name": u.first}
	if u.handle != "" {
		m["username"] = u.handle
	}
	if u.lang != "" {
		m["language_code"] = u.lang
	}
	return m
}

func chatJSON(id int64) map[string]any {
	if id > 0 {
		return map[string]any{"id": id, "type": "private", "first_name": "x"}
	}
	return map[string]any{"id": id, "type": "supergroup", "title": "Lumen Tea Club"}
}

var msgIDs = struct {
	sync.Mutex
	n int
}{}

func message(updateID, chat int64, from user, text string) map[string]any {
	msgIDs.Lock()
	msgIDs.n++
	id := msgIDs.n
	msgIDs.Unlock()
	return map[string]any{"update_id": updateID, "message": map[string]any{
		"message_id": id, "date": time.Now().Unix(), "chat": chatJSON(chat), "from": from.json(), "text": text,
	}}
}

func callback(updateID, chat int64, from user, messageID int, data string) map[string]any {
	return map[string]any{"update_id": updateID, "callback_query": map[string]any{
		"id": "cb" + strconv.FormatInt(updateID, 10), "from": from.json(), "chat_instance": "1", "data": data,
		"message": map[string]any{"message_id": messageID, "date": time.Now().Unix(), "chat": chatJSON(chat), "text": "prompt"},
	}}
}

func joined(updateID, chat int64, u user, invite string) map[string]any {
	upd := map[string]any{
		"chat": chatJSON(chat), "from": u.json(), "date": time.Now().Unix(),
		"old_chat_member": map[string]any{"status": "left", "user": u.json()},
		"new_chat_member": map[string]any{"status": "member", "user": u.json()},
	}
	if invite != "" {
		upd["invite_link"] = map[string]any{"invite_link": "https://t.me/+abc", "name": invite, "creator": map[string]any{"id": 1, "is_bot": false, "first_name": "A"},
			"creates_join_request": false, "is_primary": false, "is_revoked": false}
	}
	return map[string]any{"update_id": updateID, "chat_member": upd}
}
