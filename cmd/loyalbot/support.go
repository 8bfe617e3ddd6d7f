package main

import (
	"context"
	_ "embed"
	"os"
	"time"

	"github.com/loyalbot/loyalbot/community/support"
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
	tickets, err := support.NewTickets(a.DB, a.now)
	if err != nil {
		return nil, nil, err
	}
	as := support.NewAssistant(kb, client, support.Config{Brand: kb.Brand, Model: cfg.Model, Timeout: cfg.Timeout, DailyTokens: cfg.DailyTokens, Now: a.now}, a.Log)
	return as, tickets, nil
}

func (a *App) loadFAQ() (*support.KB, error) {
	if a.Config.Support.FAQ == "" {
		return support.LoadKB(defaultFAQ)
	}
	a.faqMod = modTime(a.Config.Support.FAQ) // before reading: a change while loading is seen by watchFAQ
	return support.LoadKBFile(a.Config.Support.FAQ)
}

func modTime(path string) time.Time {
	if fi, err := os.Stat(path); err == nil {
		return fi.ModTime()
	}
	return time.Time{}
}

// watchFAQ reloads the FAQ file when it changes. A bad file is reported
// with its line and reason, and the previous knowledge base keeps serving.
func (a *App) watchFAQ(ctx context.Context, every time.Duration) error {
	path := a.Config.Support.FAQ
	if path == "" || a.Assistant == nil {
		return nil
	}
	last := a.faqMod
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if m := modTime(path); !m.Equal(last) {
			last = m
			kb, err := support.LoadKBFile(path)
			if err != nil {
				a.Log.Error("FAQ not reloaded; the previous one keeps serving", "file", path, "err", err)
				continue
			}
			a.Assistant.SetKB(kb)
			a.Log.Info("FAQ reloaded", "file", path, "entries", len(kb.Entries))
		}
	}
}
