package main

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"time"

	"github.com/loyalbot/loyalbot/community/support"
	supportbolt "github.com/loyalbot/loyalbot/community/support/bolt"
	openai "github.com/sashabaranov/go-openai"
	"github.com/spf13/cobra"
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

func newFAQCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "faq", Short: "The customer-service FAQ: evaluate how it answers"}
	var faqFile string
	eval := &cobra.Command{
		Use:   "eval <file.jsonl> [--faq <faq.yaml>]",
		Short: "Answer an evaluation set offline and count right, declined and wrong answers",
		Long: `eval answers every question of an evaluation set the way the bot answers a
member offline, and prints per language how many in-scope questions got
the right entry, none, or a wrong one, and how many out-of-scope ones were
declined, then each confusion. The set is JSON Lines, one question a line:

  {"q": "do points ever run out", "lang": "en", "expect": "points-expiry"}
  {"q": "明天上海天气怎么样", "lang": "zh", "expect": null}

expect names the FAQ entry that answers the question, or null when the
FAQ does not (the bot should decline). The FAQ is --faq, else the
configuration's support.faq, else the built-in one.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := faqFile
			if path == "" {
				cfg, err := g.load()
				if err != nil {
					return err
				}
				path = cfg.Support.FAQ
			}
			kb, err := support.LoadKB(defaultFAQ)
			if path != "" {
				kb, err = support.LoadKBFile(path)
			}
			if err != nil {
				return err
			}
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			cases, err := support.ReadEvalCases(f)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			return support.Evaluate(kb, cases).Write(g.stdout)
		},
	}
	eval.Flags().StringVar(&faqFile, "faq", "", "the FAQ file to evaluate (default: support.faq, else the built-in FAQ)")
	cmd.AddCommand(eval)
	return cmd
}
