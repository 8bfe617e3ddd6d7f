package schedule_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/community/schedule"
	"github.com/loyalbot/loyalbot/loyalty/loyaltytest"
)

func TestScheduler_RunDue(t *testing.T) {
	clk := loyaltytest.NewClock(time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC))
	var seen []string
	job := func(name string, every time.Duration, err error) schedule.Job {
		return schedule.Job{Name: name, Every: every, Run: func(_ context.Context, now time.Time) error {
			seen = append(seen, name+"@"+now.Format("15:04"))
			return err
		}}
	}
	quiet := job("boards", time.Hour, nil)
	quiet.Quiet = true // runs, but RunDue does not name it
	s, err := schedule.New(clk.Now, slog.New(slog.DiscardHandler),
		job("expire", time.Hour, nil), job("faq", 10*time.Minute, errors.New("bad yaml")), job("daily", 24*time.Hour, nil), quiet)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	steps := []struct {
		advance time.Duration
		want    []string
	}{
		{0, []string{"expire", "faq", "daily"}}, // everything is due at start
		{5 * time.Minute, nil},
		{5 * time.Minute, []string{"faq"}},                   // 00:10
		{50 * time.Minute, []string{"expire", "faq"}},        // 01:00
		{30 * time.Hour, []string{"expire", "faq", "daily"}}, // missed runs run once
	}
	for i, st := range steps {
		clk.Advance(st.advance)
		if got := s.RunDue(ctx); !slices.Equal(got, st.want) {
			t.Errorf("step %d: ran %v, want %v", i, got, st.want)
		}
	}
	if len(seen) != 12 || seen[4] != "faq@00:10" || seen[3] != "boards@00:00" {
		t.Errorf("runs %v", seen)
	}
	st := s.Status()
	if st[1].LastErr != "bad yaml" || st[1].Runs != 4 || st[0].Runs != 3 || !st[0].Next.Equal(clk.Now().Add(time.Hour)) {
		t.Errorf("status %+v", st)
	}
}

func TestScheduler_Invalid(t *testing.T) {
	run := func(context.Context, time.Time) error { return nil }
	for _, jobs := range [][]schedule.Job{
		{{Name: "", Every: time.Hour, Run: run}},
		{{Name: "a", Every: time.Hour, Run: run}, {Name: "a", Every: time.Hour, Run: run}},
		{{Name: "a", Every: 0, Run: run}},
		{{Name: "a", Every: time.Hour}},
	} {
		if _, err := schedule.New(time.Now, slog.New(slog.DiscardHandler), jobs...); err == nil {
			t.Errorf("%+v accepted", jobs)
		}
	}
}

// TestScheduler_RunWakesAndStops drives Run with a fake clock: a Wake
// after the clock moves runs what became due, and cancelling the context
// stops it.
func TestScheduler_RunWakesAndStops(t *testing.T) {
	clk := loyaltytest.NewClock(time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC))
	var mu sync.Mutex
	runs := make(chan time.Time, 10)
	s, err := schedule.New(clk.Now, slog.New(slog.DiscardHandler), schedule.Job{Name: "expire", Every: 24 * time.Hour,
		Run: func(_ context.Context, now time.Time) error { mu.Lock(); defer mu.Unlock(); runs <- now; return nil }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	if got := <-runs; !got.Equal(clk.Now()) {
		t.Errorf("first run at %v", got)
	}
	clk.Advance(24 * time.Hour)
	s.Wake()
	if got := <-runs; !got.Equal(clk.Now()) {
		t.Errorf("second run at %v, want %v", got, clk.Now())
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	if n := len(runs); n != 0 {
		t.Errorf("%d runs after stop", n)
	}
}
