package loyaltytest

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/loyalty"
)

// ledgerReopen closes a ledger and its store and opens them again: every
// kind of record is read back, keys still replay, merged accounts still
// redirect and new ids follow the old ones.
// restarts are the cases that stop a ledger, or kill its process, and
// open its store again.
type restarts struct{ suite }

func (s restarts) ledgerReopen(t *testing.T) {
	dir := t.TempDir()
	clk := NewClock(t0)
	cfg := loyalty.Config{Now: clk.Now}
	open := func() (*loyalty.Ledger, func()) {
		t.Helper()
		st, closeStore := s.b.Open(t, dir)
		l, err := loyalty.Open(st, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return l, func() {
			t.Helper()
			if err := l.Verify(ctx); err != nil {
				t.Errorf("ledger invariants: %v", err)
			}
			if err := l.Close(); err != nil {
				t.Error(err)
			}
			if err := closeStore(); err != nil {
				t.Errorf("close store: %v", err)
			}
		}
	}

	l, done := open()
	mustCredit(t, l, alice, 100, "c1")
	mustCredit(t, l, bob, 50, "c2")
	hd, err := l.Hold(ctx, "h1", alice, 30, time.Hour, "pending")
	if err != nil {
		t.Fatal(err)
	}
	rd, err := l.Redeem(ctx, "r1", bob, mustReward(t, l, "pin", 10))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Merge(ctx, "m1", bob, alice); err != nil {
		t.Fatal(err)
	}
	before, _, err := l.History(ctx, alice, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	done()

	l, done = open()
	defer done()
	if b := balance(t, l, alice); b.Balance != 140 || b.Held != 30 || b.Available != 110 || b.Earned != 150 {
		t.Errorf("alice after restart %+v, want 140 (30 held), 150 earned", b)
	}
	if b := balance(t, l, bob); b.Account != alice {
		t.Errorf("merged bob reads as %s after restart, want alice", b.Account)
	}
	if rc, err := l.Credit(ctx, alice, "checkin", 100, "c1", "test"); err != nil || !rc.Replay {
		t.Errorf("a key from before the restart: %+v %v, want a replay", rc, err)
	}
	after, _, err := l.History(ctx, alice, 0, 100)
	if err != nil || !slices.Equal(after, before) {
		t.Errorf("history after restart %+v %v, want %+v", after, err, before)
	}
	if got, err := l.RedemptionByCode(ctx, rd.Code); err != nil || got.Account != bob || got.State != loyalty.RedemptionPending {
		t.Errorf("redemption after restart %+v %v", got, err)
	}
	if rds, err := l.Redemptions(ctx, alice, true, 10); err != nil || len(rds) != 1 || rds[0].ID != rd.ID {
		t.Errorf("survivor's pending redemptions after restart %+v %v, want the merged account's one", rds, err)
	}
	if r, err := l.Reward(ctx, "pin"); err != nil || r.Cost != 10 {
		t.Errorf("reward after restart %+v %v", r, err)
	}
	rc, err := l.Capture(ctx, "cap", hd.ID, loyalty.RedemptionAccount, "")
	if err != nil || rc.Entry.Amount != 30 {
		t.Fatalf("capture a hold placed before the restart: %+v %v", rc, err)
	}
	if last := before[0].ID; rc.Entry.ID <= last {
		t.Errorf("entry id %d after restart, not after %d", rc.Entry.ID, last)
	}
	if h2, err := l.Hold(ctx, "h2", alice, 1, time.Hour, ""); err != nil || h2.ID <= hd.ID {
		t.Errorf("hold id %d after restart, not after %d (%v)", h2.ID, hd.ID, err)
	}
	clk.Advance(400 * 24 * time.Hour)
	if rep, err := l.ExpireDue(ctx, clk.Now()); err != nil || rep.Points != 110 {
		t.Errorf("expiring lots written before the restart: %+v %v, want 110 points", rep, err)
	}
}

// crashEnv holds "dir|run" in a child process of the crash test.
const crashEnv = "LOYALTYTEST_CRASH"

func crashing() bool { return os.Getenv(crashEnv) != "" }

// ledgerCrash kills a writing process with SIGKILL at random moments and
// checks that every write it acknowledged survived, in a consistent store.
func (s restarts) ledgerCrash(t *testing.T) {
	if spec := os.Getenv(crashEnv); spec != "" {
		s.crashChild(t, spec)
		return
	}
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	acked := map[string]bool{}
	const runs = 20
	for run := range runs {
		cmd := exec.Command(os.Args[0], "-test.run="+runPattern(t.Name()), "-test.v=false")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s|%d", crashEnv, dir, run))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var keys []string
		ready := make(chan struct{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := bufio.NewScanner(out)
			once := sync.OnceFunc(func() { close(ready) })
			defer once()
			for sc.Scan() {
				if line, ok := strings.CutPrefix(sc.Text(), "ack "); ok {
					keys = append(keys, line)
					once()
				}
			}
		}()
		select {
		case <-ready: // the child is writing: let it run a random while, then kill it
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			t.Fatal("child never acknowledged a write")
		}
		time.Sleep(time.Duration(rng.IntN(150)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		_ = cmd.Wait()
		for _, k := range keys {
			acked[k] = true
		}
		s.checkCrash(t, dir, acked)
		t.Logf("run %d: killed after %d acknowledged writes", run, len(keys))
	}
}

// runPattern returns the -test.run pattern that selects exactly the test named name.
func runPattern(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}

func (s restarts) checkCrash(t *testing.T, dir string, acked map[string]bool) {
	t.Helper()
	st, closeStore := s.b.OpenDurable(t, dir)
	defer func() {
		if err := closeStore(); err != nil {
			t.Fatalf("store after kill: %v", err)
		}
	}()
	l, err := loyalty.Open(st, loyalty.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.Verify(ctx); err != nil {
		t.Fatalf("after kill: %v", err)
	}
	missing := 0
	for k := range acked {
		if _, err := l.EntryByKey(ctx, k); errors.Is(err, loyalty.ErrNotFound) {
			missing++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged writes lost", missing, len(acked))
	}
}

// crashChild is the process ledgerCrash kills: 64 goroutines credit and
// debit, printing "ack <key>" for every write committed, until killed.
func (s restarts) crashChild(t *testing.T, spec string) {
	dir, run, _ := strings.Cut(spec, "|")
	st, _ := s.b.OpenDurable(t, dir) // never closed: the process is killed
	l, err := loyalty.Open(st, loyalty.Config{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var mu sync.Mutex
	ack := func(key string) {
		mu.Lock()
		defer mu.Unlock()
		if _, err := fmt.Fprintf(os.Stdout, "ack %s\n", key); err != nil {
			os.Exit(0) // the test that started this process is gone
		}
	}
	var wg sync.WaitGroup
	for g := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := loyalty.Member(uint64(g%16 + 1))
			for i := 0; ; i++ {
				key := fmt.Sprintf("r%s-g%d-%d", run, g, i)
				var err error
				if i%3 == 2 {
					_, err = l.Debit(ctx, a, loyalty.RedemptionAccount, 5, key, "spend")
				} else {
					_, err = l.Credit(ctx, a, "checkin", 3, key, "earn")
				}
				if err == nil {
					ack(key)
				} else if !errors.Is(err, loyalty.ErrInsufficientFunds) {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(2)
				}
			}
		}()
	}
	wg.Wait()
}
