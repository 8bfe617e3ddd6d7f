package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestWatchFAQ: a changed FAQ file is picked up; a broken one is refused
// with its line while the previous knowledge base keeps serving.
func TestWatchFAQ(t *testing.T) {
	dir := t.TempDir()
	faq := filepath.Join(dir, "faq.yaml")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(faq, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		future := time.Now().Add(time.Duration(len(s)) * time.Second) // a new mtime even within one clock tick
		os.Chtimes(faq, future, future)
	}
	entry := func(id, q, a string) string {
		return "brand: T\nentries:\n  - id: " + id + "\n    questions: {en: [\"" + q + "\"]}\n    answer: {en: \"" + a + "\"}\n"
	}
	write(entry("hours", "When are you open?", "Nine to five."))
	cfg := testConfig(t)
	cfg.Support.FAQ = faq
	logs := &syncWriter{w: &bytes.Buffer{}}
	app, err := OpenApp(context.Background(), cfg, "admin", slog.New(slog.NewTextHandler(logs, nil)), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.watchFAQ(ctx, 10*time.Millisecond) }()
	defer func() { cancel(); <-done }()

	waitFor := func(cond func() bool, what string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s; logs:\n%s", what, logs.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	write("brand: T\nentries:\n  - id: x\n    questions: {en: [q]}\n") // no answer
	waitFor(func() bool { return strings.Contains(logs.String(), "FAQ not reloaded") }, "the refusal")
	if !strings.Contains(logs.String(), "line 3") || app.Assistant.KB().Entries[0].ID != "hours" {
		t.Errorf("bad file: KB %s, logs %s", app.Assistant.KB().Entries[0].ID, logs.String())
	}
	write(entry("shipping", "How long is shipping?", "Two days."))
	waitFor(func() bool { return app.Assistant.KB().Entries[0].ID == "shipping" }, "the reload")
}
