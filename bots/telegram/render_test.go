package telegram

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSplit(t *testing.T) {
	long := strings.Repeat("a", 10)
	tests := []struct {
		name  string
		text  string
		limit int
		want  []string
	}{
		{"fits", "one\ntwo", 10, []string{"one\ntwo"}},
		{"at_lines", "aaaa\nbbbb\ncccc", 10, []string{"aaaa\nbbbb", "cccc"}},
		{"long_line", long, 4, []string{"aaaa", "aaaa", "aa"}},
		{"entity_kept_whole", "xx&amp;yy", 4, []string{"xx", "&amp", ";yy"}},
		{"empty", "", 10, []string{""}},
		{"runes", "好好好好好", 2, []string{"好好", "好好", "好"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := split(tt.text, tt.limit)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("split(%q, %d) = %q, want %q", tt.text, tt.limit, got, tt.want)
			}
			for _, p := range got {
				if utf8.RuneCountInString(p) > tt.limit {
					t.Errorf("part %q over %d", p, tt.limit)
				}
			}
		})
	}
}
