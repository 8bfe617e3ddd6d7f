package loyalty_test

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/loyalty"
	"github.com/loyalbot/loyalbot/loyalty/loyaltytest"
	bolt "go.etcd.io/bbolt"
)

const crashEnv = "LOYALTY_CRASH_CHILD"

// TestLedger_Crash kills a writing process with SIGKILL at random moments
// and checks that every write it acknowledged survived, in a consistent file.
func TestLedger_Crash(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	acked := map[string]bool{}
	const runs = 20
	for run := range runs {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v=false")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s|%d", crashEnv, path, run))
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
		checkCrashFile(t, path, acked)
		t.Logf("run %d: killed after %d acknowledged writes", run, len(keys))
	}
}

func checkCrashFile(t *testing.T, path string, acked map[string]bool) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	defer db.Close()
	loyaltytest.CheckDB(t, db)
	l, err := loyalty.Open(db, loyalty.Config{})
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

// TestCrashChild is the process TestLedger_Crash kills. It does nothing
// unless started by that test.
func TestCrashChild(t *testing.T) {
	spec := os.Getenv(crashEnv)
	if spec == "" {
		t.Skip("run by TestLedger_Crash")
	}
	path, run, _ := strings.Cut(spec, "|")
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	l, err := loyalty.Open(db, loyalty.Config{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var mu sync.Mutex
	ack := func(key string) {
		mu.Lock()
		fmt.Fprintf(os.Stdout, "ack %s\n", key)
		mu.Unlock()
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
