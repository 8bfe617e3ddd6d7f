package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A campaign config that would mislead members is refused at load, with
// the campaign and the step named.
func TestConfig_RefusesBadCampaigns(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"English only", `campaigns: [{id: a, kind: service, trigger: {event: x}, steps: [{message: {en: "hi"}}]}]`, "campaign a: step 1 message needs en and zh texts"},
		{"unknown reward", `campaigns: [{id: b, kind: marketing, trigger: {event: x}, steps: [{offer: {reward: nope, free: true}}]}]`, `reward "nope"`},
		{"holdout on a service", `campaigns: [{id: c, kind: service, holdout_pct: 10, trigger: {event: x}, steps: [{exit: true}]}]`, "only marketing campaigns"},
		{"unknown playbook", `playbooks: {wellcome: false}`, "playbooks.wellcome: no such playbook"},
		{"bad quiet hours", `campaign_rules: {quiet_hours: "late"}`, "campaign_rules.quiet_hours"},
		{"misspelt variable", `campaigns: [{id: d, kind: service, trigger: {event: x}, steps: [{message: {en: "{{nmae}}", zh: "{{nmae}}"}}]}]`, "unknown variable {{nmae}}"},
		{"webhook without secret", `webhooks: [{url: "https://x.example/h", secret_env: NOT_SET}]`, "secret_env"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.yaml")
			if err := os.WriteFile(path, []byte(tc.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadConfig(path, func(string) string { return "" })
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("LoadConfig: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
