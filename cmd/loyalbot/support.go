package main

import (
	"context"
	_ "embed"
	"os"
	"time"

	"github.com/loyalbot/loyalbot/community/support"
	supportbolt "github.com/loyalbot/loyalbot/community/support/bolt"
	openai "github.com/sashabaranov/go-openai"
)

//go:embed faq.yaml
var defaultFAQ []byte

// newAssistant builds customer service: the FAQ, and a model client when
// an API key or base URL is configured.
func (a *App) newAssistant() (*support.Assistant, *support.Tickets, error) {
	cfg := a.Config.Support
	kb, err := a.loadFAQ()
	if err != nil {
		return nil, nil, err
	}
	var client support.Completer
	if cfg.APIKey != "" || cfg.BaseURL != "" {
		oc := openai.DefaultConfig(string(cfg.APIKey))
		if cfg.BaseURL != "" {
			oc.BaseURL = cfg.BaseURL
		}
		client = openai.NewClientWithConfig(oc)
		a.Log.Info("customer service uses a model", "model", cfg.Model, "base_url", cfg.BaseURL, "api_key", cfg.APIKey)
	}
	store, err := supportbolt.Open(a.DB)
	if err != nil {
		return nil, nil, err
	}
	tickets := support.NewTickets(store, a.now)
	as := support.NewAssistant(kb, client, support.Config{Brand: kb.Brand, Model: cfg.Model, Timeout: cfg.Timeout, DailyTokens: cfg.DailyTokens, Now: a.now}, a.Log)
	return as, tickets, nil
}

func (a *App) loadFAQ() (*support.KB, error) {
	if a.Config.Support.FAQ == "" {
		return support.LoadKB(defaultFAQ)
	}
	a.faqMod = modTime(a.Config.Support.FAQ) // before reading: a change while loading is seen by reloadFAQ
	return support.LoadKBFile(a.Config.Support.FAQ)
}

func modTime(path string) time.Time {
	if fi, err := os.Stat(path); err == nil {
		return fi.ModTime()
	}
	return time.Time{}
}

// reloadFAQ is the "reload-faq" job: it reloads the FAQ file when it
// changed. A bad file is reported with its line and reason, and the
// previous knowledge base keeps serving.
func (a *App) reloadFAQ(ctx context.Context, _ time.Time) error {
	path := a.Config.Support.FAQ
	m := modTime(path)
	if m.Equal(a.faqMod) {
		return nil
	}
	a.faqMod = m
	kb, err := support.LoadKBFile(path)
	if err != nil {
		a.Log.ErrorContext(ctx, "FAQ not reloaded; the previous one keeps serving", "file", path, "err", err)
		return nil
	}
	a.Assistant.SetKB(kb)
	a.Log.InfoContext(ctx, "FAQ reloaded", "file", path, "entries", len(kb.Entries))
	return nil
}
