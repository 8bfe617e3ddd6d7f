package main

import (
	"cmp"
	"context"
	_ "embed"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/loyalbot/loyalbot/community/support"
	supportbolt "github.com/loyalbot/loyalbot/community/support/bolt"
	openai "github.com/sashabaranov/go-openai"
	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"
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
	scfg := support.Config{Brand: kb.Brand, Model: cfg.Model, Timeout: cfg.Timeout, DailyTokens: cfg.DailyTokens, Now: a.now}
	if a.Semantic = newSemantic(cfg, store, a.Log); a.Semantic != nil {
		scfg.Semantic = a.Semantic
	}
	as := support.NewAssistant(kb, client, scfg, a.Log)
	return as, tickets, nil
}

// newSemantic returns semantic retrieval when support.embeddings_model is
// set, caching vectors in store; nil otherwise.
func newSemantic(cfg SupportConfig, store support.VectorStore, log *slog.Logger) *support.Semantic {
	if cfg.EmbeddingsModel == "" {
		return nil
	}
	oc := openai.DefaultConfig(string(cfg.APIKey))
	if url := cmp.Or(cfg.EmbeddingsURL, cfg.BaseURL); url != "" {
		oc.BaseURL = url
	}
	log.Info("customer service uses embeddings", "model", cfg.EmbeddingsModel, "base_url", oc.BaseURL)
	return support.NewSemantic(openai.NewClientWithConfig(oc), store,
		support.SemanticConfig{Model: cfg.EmbeddingsModel, Threshold: cfg.EmbeddingsThreshold}, log)
}

// indexEmbeddings is the "index-faq-embeddings" job: it embeds the FAQ in
// use when it changed (a reload, an accepted suggestion) and retries after
// a failure; until then answers come from the offline index alone.
func (a *App) indexEmbeddings(ctx context.Context, _ time.Time) error {
	return a.Semantic.Index(ctx, a.Assistant.KB())
}

func (a *App) loadFAQ() (*support.KB, error) {
	if a.Config.Support.FAQ == "" {
		return support.LoadKBWith(defaultFAQ, faqVars(a.Config))
	}
	a.faqMod = modTime(a.Config.Support.FAQ) // before reading: a change while loading is seen by reloadFAQ
	return support.LoadKBFile(a.Config.Support.FAQ, faqVars(a.Config))
}

func modTime(path string) time.Time {
	if fi, err := os.Stat(path); err == nil {
		return fi.ModTime()
	}
	return time.Time{}
}

// withLearned returns kb with the entries learned from tickets in the
// database at path, opened read-only.
func withLearned(ctx context.Context, path string, kb *support.KB) (*support.KB, error) {
	db, err := openDB(path, true)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	entries, err := support.NewTickets(supportbolt.OpenReadOnly(db), nil).Learned(ctx)
	if err != nil {
		return nil, err
	}
	return kb.With(entries, nil), nil
}

// faqVars are the settings an FAQ answer may quote as {{name}}: every
// key with one value in the programme's sections (faqSections) by its
// dotted path, such as points.checkin_points or loyalty.tiers.1.threshold
// (lists count from 0). Durations read as Go writes them (10m0s) and also
// in minutes, hours and days where they are that long
// (points.link_ttl_minutes, orders.return_window_days). The tiers are also
// lists: loyalty.tier_list ("Leaf (0), Bud (1000)…"), loyalty.tier_list_zh,
// loyalty.tier_multipliers ("100%, 110%…") and loyalty.tier_multipliers_zh.
// Secrets are not configuration keys, so no answer can quote one either.
func faqVars(cfg Config) map[string]string {
	vars := map[string]string{}
	data, err := yaml.Marshal(cfg)
	if err != nil {
		return vars
	}
	var tree any
	if err := yaml.Unmarshal(data, &tree); err != nil {
		return vars
	}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, sub := range v {
				walk(strings.TrimPrefix(prefix+"."+k, "."), sub)
			}
		case []any:
			for i, sub := range v {
				walk(prefix+"."+strconv.Itoa(i), sub)
			}
		case nil:
		default:
			vars[prefix] = fmt.Sprint(v)
			if d, err := time.ParseDuration(vars[prefix]); err == nil {
				for _, u := range []struct {
					suffix string
					d      time.Duration
				}{{"_minutes", time.Minute}, {"_hours", time.Hour}, {"_days", 24 * time.Hour}} {
					if d >= u.d {
						vars[prefix+u.suffix] = strconv.FormatFloat(float64(d)/float64(u.d), 'f', -1, 64)
					}
				}
			}
		}
	}
	if m, ok := tree.(map[string]any); ok {
		for _, section := range faqSections {
			walk(section, m[section])
		}
	}
	// The tiers as a list, however many there are.
	var en, zh, pct []string
	for _, t := range cfg.Loyalty.Tiers {
		en = append(en, fmt.Sprintf("%s (%d)", t.Name, t.Threshold))
		zh = append(zh, fmt.Sprintf("%s（%d）", cmp.Or(t.NameZH, t.Name), t.Threshold))
		pct = append(pct, fmt.Sprintf("%d%%", t.Multiplier))
	}
	vars["loyalty.tier_list"], vars["loyalty.tier_list_zh"] = strings.Join(en, ", "), strings.Join(zh, "、")
	vars["loyalty.tier_multipliers"], vars["loyalty.tier_multipliers_zh"] = strings.Join(pct, ", "), strings.Join(pct, "、")
	return vars
}

// faqSections are the configuration an FAQ may quote: the programme's
// rules, not where the database lives.
var faqSections = []string{"points", "ugc", "loyalty", "rewards", "orders"}

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
	kb, err := support.LoadKBFile(path, faqVars(a.Config))
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
	var learned bool
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
			cfg, err := g.load()
			if err != nil {
				return err
			}
			path := cmp.Or(faqFile, cfg.Support.FAQ)
			kb, err := support.LoadKBWith(defaultFAQ, faqVars(cfg))
			if path != "" {
				kb, err = support.LoadKBFile(path, faqVars(cfg))
			}
			if err != nil {
				return err
			}
			if learned {
				if kb, err = withLearned(cmd.Context(), cfg.DB, kb); err != nil {
					return err
				}
			}
			answer := func(q string) string { return support.Offline(kb, q).EntryID }
			if sem := newSemantic(cfg.Support, &support.MemoryVectors{}, slog.New(slog.DiscardHandler)); sem != nil {
				ctx := cmd.Context()
				if err := sem.Index(ctx, kb); err != nil {
					return err
				}
				if th := sem.Threshold(); th > 1 {
					fmt.Fprintf(g.stdout, "embeddings: %s; no threshold helps on this FAQ's own questions, so they only rank passages\n", cfg.Support.EmbeddingsModel)
				} else {
					fmt.Fprintf(g.stdout, "embeddings: %s; the nearest entry is answered alone from cosine %.3f\n", cfg.Support.EmbeddingsModel, th)
				}
				as := support.NewAssistant(kb, nil, support.Config{Semantic: sem}, nil)
				answer = func(q string) string { a, _ := as.FAQAnswer(ctx, q); return a.EntryID }
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
			if err := support.CheckEvalCases(kb, cases); err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			return support.EvaluateWith(answer, cases).Write(g.stdout)
		},
	}
	eval.Flags().StringVar(&faqFile, "faq", "", "the FAQ file to evaluate (default: support.faq, else the built-in FAQ)")
	eval.Flags().BoolVar(&learned, "learned", false, "add the entries learned from tickets, from the database (read-only; not while serve has it open)")
	cmd.AddCommand(eval)
	return cmd
}
