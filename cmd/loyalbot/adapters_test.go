package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/bots/discord/discordtest"
)

// TestServe_Telegram runs `loyalbot serve` with TELEGRAM_BOT_TOKEN against a
// fake Bot API: one /start in, a welcome out, and the polling offset saved
// in the database at shutdown.
func TestServe_Telegram(t *testing.T) {
	const token = "42:SECRET-TOKEN"
	var mu sync.Mutex
	var sent []string
	delivered := false
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method := strings.TrimPrefix(r.URL.Path, "/bot"+token+"/")
		r.ParseMultipartForm(1 << 20)
		mu.Lock()
		defer mu.Unlock()
		var result any = true
		switch method {
		case "getMe":
			result = map[string]any{"id": 42, "is_bot": true, "first_name": "Loyal", "username": "loyalbot"}
		case "getUpdates":
			result = []any{}
			if !delivered {
				delivered = true
				result = []any{map[string]any{"update_id": 9001, "message": map[string]any{"message_id": 1, "date": time.Now().Unix(),
					"chat": map[string]any{"id": 777, "type": "private"}, "from": map[string]any{"id": 777, "is_bot": false, "first_name": "Tess"}, "text": "/start"}}}
			} else {
				time.Sleep(20 * time.Millisecond)
			}
		case "sendMessage":
			sent = append(sent, r.MultipartForm.Value["text"][0])
			result = map[string]any{"message_id": 2, "date": time.Now().Unix(), "chat": map[string]any{"id": 777, "type": "private"}}
		}
		json.NewEncoder(w).Encode(map[string]any{"ok": true, "result": result})
	}))
	defer api.Close()

	db := filepath.Join(t.TempDir(), "loyalbot.db")
	env := map[string]string{"TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_URL": api.URL}
	ctx, cancel := context.WithCancel(context.Background())
	var logs bytes.Buffer
	done := make(chan error, 1)
	go func() {
		root := newRootCmd(strings.NewReader(""), io.Discard, &syncWriter{w: &logs}, func(k string) string { return env[k] })
		root.SetArgs([]string{"serve", "--db", db, "--http", freeAddr(t)})
		done <- root.ExecuteContext(ctx)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(sent)
		mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	if len(sent) != 1 || !strings.Contains(sent[0], "Welcome, Tess!") {
		t.Errorf("sent %q", sent)
	}
	if strings.Contains(logs.String(), "SECRET-TOKEN") {
		t.Error("the bot token reached the logs")
	}
	if !strings.Contains(logs.String(), "telegram connected") {
		t.Errorf("logs:\n%s", logs.String())
	}
	d, err := openDB(db, true)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	off, err := offsetStore{db: d, key: "telegram.offset"}.LoadOffset(context.Background())
	if err != nil || off != 9001 {
		t.Errorf("saved offset %d (%v), want 9001", off, err)
	}
}

// TestServe_Discord runs `loyalbot serve` with DISCORD_BOT_TOKEN against a
// fake Discord: slash commands are registered and /points is answered.
func TestServe_Discord(t *testing.T) {
	f := discordtest.New(t)
	db := filepath.Join(t.TempDir(), "loyalbot.db")
	env := map[string]string{"DISCORD_BOT_TOKEN": "BOT.TOKEN.SECRET", "DISCORD_API_URL": f.URL, "DISCORD_GUILD_ID": discordtest.Guild}
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncWriter{w: &bytes.Buffer{}}
	done := make(chan error, 1)
	go func() {
		root := newRootCmd(strings.NewReader(""), io.Discard, logs, func(k string) string { return env[k] })
		root.SetArgs([]string{"serve", "--db", db, "--http", freeAddr(t)})
		done <- root.ExecuteContext(ctx)
	}()
	f.Wait("PUT", "/applications/"+discordtest.AppID+"/guilds/"+discordtest.Guild+"/commands", 1)
	f.Push("INTERACTION_CREATE", discordtest.Interaction("i1", discordtest.User("10", "alice"), "0", "points", nil, "en-US"))
	edit := f.Wait("PATCH", "/tok-i1/messages/@original", 1)[0]
	if !strings.Contains(edit.Body["content"].(string), "Balance: 100 points") {
		t.Errorf("reply %v", edit.Body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	if strings.Contains(logs.String(), "TOKEN.SECRET") {
		t.Error("the bot token reached the logs")
	}
}
