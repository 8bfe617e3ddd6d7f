package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loyalbot/loyalbot/bots/discord/discordtest"
	"github.com/loyalbot/loyalbot/bots/telegram/telegramtest"
)

// TestServe_Telegram runs `loyalbot serve` with TELEGRAM_BOT_TOKEN against a
// fake Bot API: one /start in, a welcome out, and the polling offset saved
// in the database at shutdown.
func TestServe_Telegram(t *testing.T) {
	f := telegramtest.New(t)
	f.Push(telegramtest.Message(9001, 777, telegramtest.User{ID: 777, First: "Tess"}, "/start"))
	db := filepath.Join(t.TempDir(), "loyalbot.db")
	env := map[string]string{"TELEGRAM_BOT_TOKEN": telegramtest.Token, "TELEGRAM_API_URL": f.URL}
	logs, _, stop := runServe(t, env, "--db", db)
	sent := f.Wait("sendMessage", 1)
	if err := stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
	if !strings.Contains(sent[0].Form["text"], "Welcome, Tess!") {
		t.Errorf("sent %q", sent[0].Form["text"])
	}
	if strings.Contains(logs.String(), "TEST-TOKEN") {
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
	logs, _, stop := runServe(t, env, "--db", db)
	f.Wait("PUT", "/applications/"+discordtest.AppID+"/guilds/"+discordtest.Guild+"/commands", 1)
	f.Push("INTERACTION_CREATE", discordtest.Interaction("i1", discordtest.User("10", "alice"), "0", "points", nil, "en-US"))
	edit := f.Wait("PATCH", "/tok-i1/messages/@original", 1)[0]
	if !strings.Contains(edit.Body["content"].(string), "Balance: 100 points") {
		t.Errorf("reply %v", edit.Body)
	}
	if err := stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
	if strings.Contains(logs.String(), "TOKEN.SECRET") {
		t.Error("the bot token reached the logs")
	}
}
