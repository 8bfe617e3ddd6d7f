package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/community/web"
	"github.com/loyalbot/loyalbot/loyalty"
	"github.com/loyalbot/loyalbot/loyalty/orders"
)

const serveChildEnv = "LOYALBOT_SERVE_CHILD"

// TestServe_Kill9 kills `loyalbot serve` with SIGKILL while 16 clients send
// it signed order webhooks (paid orders of linked customers, and partial
// refunds of acknowledged ones), restarts it, and checks that every event
// answered 2xx is there exactly once — the order stored, its points paid
// once, its refund taken once — and that verify finds nothing broken.
func TestServe_Kill9(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	const secret = "kill9-secret"
	db := filepath.Join(t.TempDir(), "loyalbot.db")
	cfg := testConfig(t)
	cfg.DB = db
	ctx := context.Background()
	// alice has linked shop customers c0..c9.
	app, err := OpenApp(ctx, cfg, "admin", slog.New(slog.DiscardHandler), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	app.Router.Dispatch(ctx, &bots.Event{ID: "console:seed", Platform: bots.Console, ChatID: "group", UserID: "alice", Name: "alice", Text: "/start"})
	alice, err := app.Members.LookupMention(ctx, bots.Console, "<@alice>")
	if err != nil {
		t.Fatal(err)
	}
	for c := range 10 {
		cust := fmt.Sprintf("c%d", c)
		if _, err := app.Orders.Ingest(ctx, orders.Order{ID: "seed-" + cust, Customer: cust, Created: time.Now(), Amount: 50, Status: orders.Paid},
			orders.Contact{LinkCode: "K-" + cust}); err != nil {
			t.Fatal(err)
		}
		if _, err := app.Orders.Link(ctx, alice, "K-"+cust); err != nil {
			t.Fatal(err)
		}
	}
	app.Close()

	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 9))
	type acked struct {
		id       string
		refunded int64 // cents, the largest refund acknowledged
	}
	ackedOrders := map[string]*acked{}
	const runs = 8
	total := 0
	for run := range runs {
		child := exec.Command(os.Args[0], "-test.run=^TestServeChild$", "-test.v=false")
		child.Env = append(os.Environ(), serveChildEnv+"="+db, "LOYALBOT_ORDERS_SECRET="+secret)
		out, err := child.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		child.Stderr = io.Discard
		if err := child.Start(); err != nil {
			t.Fatal(err)
		}
		addrc := make(chan string, 1)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if a, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
					addrc <- a
				}
			}
		}()
		var addr string
		select {
		case addr = <-addrc:
		case <-time.After(60 * time.Second):
			t.Fatal("serve child never listened")
		}
		waitFor(t, "http://"+addr+"/healthz")
		var mu sync.Mutex
		var wg sync.WaitGroup
		stop := make(chan struct{})
		client := &http.Client{Timeout: 10 * time.Second}
		for g := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					id := fmt.Sprintf("r%d-g%d-%d", run, g, i)
					amount, refunded, status := int64(100+g*7+i%50), int64(0), "paid"
					mu.Lock()
					for k, a := range ackedOrders { // now and then refund part of an acknowledged order
						if i%3 == 0 && a.refunded == 0 && strings.HasPrefix(k, fmt.Sprintf("r%d-g%d-", run, g)) {
							id, refunded, status = k, 10, "refunded"
							break
						}
					}
					if status == "refunded" {
						amount = orderAmount(id)
					}
					mu.Unlock()
					body := fmt.Sprintf(`{"order_id":%q,"customer_id":"c%d","created_at":%q,"amount":%d,"refunded_amount":%d,"status":%q}`,
						id, g%10, createdAt(id), amount, refunded, status)
					if postSigned(client, addr, secret, body) {
						mu.Lock()
						a := ackedOrders[id]
						if a == nil {
							a = &acked{id: id}
							ackedOrders[id] = a
						}
						a.refunded = max(a.refunded, refunded*100)
						mu.Unlock()
					}
				}
			}()
		}
		time.Sleep(time.Duration(300+rng.IntN(700)) * time.Millisecond)
		child.Process.Signal(syscall.SIGKILL)
		close(stop)
		wg.Wait()
		child.Wait()
		total = len(ackedOrders)
	}

	// Restart as serve would, and check.
	app, err = OpenApp(ctx, cfg, "admin", slog.New(slog.DiscardHandler), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	if rep := app.verifyReport(ctx); !rep.OK || len(rep.Pending) > 0 {
		t.Fatalf("after the kills: %+v", rep)
	}
	keys := map[string]int{}
	for cursor := uint64(0); ; {
		page, next, err := app.Ledger.History(ctx, loyalty.Member(alice), cursor, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page {
			keys[e.Key]++
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	lost, dup := 0, 0
	for k, n := range keys {
		if n > 1 {
			dup++
			t.Errorf("ledger key %s applied %d times", k, n)
		}
	}
	for id, a := range ackedOrders {
		o, found, err := app.Orders.Order(ctx, id)
		st, settled, _ := app.Orders.SettlementOf(ctx, id)
		switch {
		case err != nil || !found:
			lost++
			t.Errorf("acknowledged order %s is missing", id)
		case keys["order:"+id] != 1 || !settled || st.Earned <= 0:
			lost++
			t.Errorf("acknowledged order %s: paid %d times, settlement %+v", id, keys["order:"+id], st)
		case a.refunded > 0 && (o.Refunded < a.refunded || st.Refunded < a.refunded || keys["order-refund:"+id+":"+strconv.FormatInt(a.refunded, 10)] != 1):
			lost++
			t.Errorf("acknowledged refund of %s: order %+v, settlement %+v", id, o, st)
		}
	}
	refunds := 0
	for _, a := range ackedOrders {
		if a.refunded > 0 {
			refunds++
		}
	}
	t.Logf("%d runs: %d orders acknowledged (%d of them refunded in part), %d lost, %d duplicated", runs, total, refunds, lost, dup)
	if total == 0 {
		t.Fatal("no event was acknowledged")
	}
}

// orderAmount is the amount an order id was first sent with.
func orderAmount(id string) int64 {
	var run, g, i int
	fmt.Sscanf(id, "r%d-g%d-%d", &run, &g, &i)
	return int64(100 + g*7 + i%50)
}

// createdAt is an order's fixed creation time: one minute ago at the
// first sending, the same for its refunds (a changed created_at conflicts).
var created sync.Map

func createdAt(id string) string {
	v, _ := created.LoadOrStore(id, time.Now().Add(-time.Minute).UTC().Format(time.RFC3339))
	return v.(string)
}

func postSigned(c *http.Client, addr, secret, body string) bool {
	ts := time.Now().Unix()
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/webhooks/orders", strings.NewReader(body))
	req.Header.Set("X-Loyalbot-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("X-Loyalbot-Signature", web.Sign(secret, ts, []byte(body)))
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode/100 == 2
}

// TestServeChild is the process TestServe_Kill9 kills. It does nothing
// unless started by that test.
func TestServeChild(t *testing.T) {
	db := os.Getenv(serveChildEnv)
	if db == "" {
		t.Skip("run by TestServe_Kill9")
	}
	root := newRootCmdWith(strings.NewReader(""), io.Discard, io.Discard, os.Getenv, func(string) (net.Listener, error) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err == nil {
			fmt.Printf("listening %s\n", ln.Addr())
		}
		return ln, err
	})
	root.SetArgs([]string{"serve", "--db", db})
	if err := root.ExecuteContext(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}
