package support_test

import (
	"errors"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/community/support"
)

func TestOfficeHours(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	h, err := support.ParseOfficeHours("Mon-Fri 09:00-18:00, Sat 10:00-14:00", sh)
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.ParseInLocation("2006-01-02 15:04", s, sh)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		now  string // Shanghai time; 2026-12-07 is a Monday
		open bool
		next string
	}{
		{"2026-12-07 09:00", true, "2026-12-07 09:00"},
		{"2026-12-07 17:59", true, "2026-12-07 17:59"},
		{"2026-12-07 18:00", false, "2026-12-08 09:00"},
		{"2026-12-07 08:15", false, "2026-12-07 09:00"},
		{"2026-12-11 19:30", false, "2026-12-12 10:00"}, // Friday evening → Saturday
		{"2026-12-12 14:00", false, "2026-12-14 09:00"}, // Saturday after closing → Monday
		{"2026-12-13 12:00", false, "2026-12-14 09:00"}, // Sunday
	}
	for _, tt := range tests {
		now := at(tt.now)
		if got := h.Open(now); got != tt.open {
			t.Errorf("Open(%s) = %v, want %v", tt.now, got, tt.open)
		}
		if got := h.NextOpen(now); !got.Equal(at(tt.next)) {
			t.Errorf("NextOpen(%s) = %s, want %s", tt.now, got.In(sh).Format("2006-01-02 15:04"), tt.next)
		}
	}
	// In UTC, Monday 00:30 is Monday 08:30 in Shanghai: closed until 09:00.
	if got := h.NextOpen(time.Date(2026, 12, 7, 0, 30, 0, 0, time.UTC)); !got.Equal(at("2026-12-07 09:00")) {
		t.Errorf("NextOpen from UTC = %s", got)
	}
	var none *support.OfficeHours
	if !none.Open(time.Now()) {
		t.Error("no office hours must mean always open")
	}
	for _, bad := range []string{"Mon-Fri", "Funday 09:00-10:00", "Mon 18:00-09:00", "Mon 9-5"} {
		if _, err := support.ParseOfficeHours(bad, sh); !errors.Is(err, support.ErrBadHours) {
			t.Errorf("ParseOfficeHours(%q) = %v, want ErrBadHours", bad, err)
		}
	}
	if h, err := support.ParseOfficeHours("", sh); h != nil || err != nil {
		t.Errorf("empty spec: %v %v, want always open", h, err)
	}
}
