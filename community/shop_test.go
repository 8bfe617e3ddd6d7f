package community_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/community"
	"github.com/loyalbot/loyalbot/community/communitytest"
	"github.com/loyalbot/loyalbot/loyalty/orders"
)

// fortyCustomers gives the shop 40 customers, cust-1 to cust-40, with one
// to five orders each; cust-1 (alice@example.com, verified) ordered often
// and lately.
func fortyCustomers(t *testing.T, h *harness) {
	t.Helper()
	for c := 1; c <= 40; c++ {
		for k := 0; k < 1+c%5; k++ {
			o := orders.Order{ID: fmt.Sprintf("o-%d-%d", c, k), Customer: fmt.Sprintf("cust-%d", c), Amount: int64(1000 + 100*c),
				Created: communitytest.Start.AddDate(0, 0, -(c*7 + k*20)), Status: orders.Paid}
			contact := orders.Contact{}
			if c == 1 {
				contact.Email, contact.EmailVerified = "alice@example.com", true
			}
			if _, err := h.stack.Orders.Ingest(context.Background(), o, contact); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestShop_LinkSegmentsAndValue(t *testing.T) {
	h := newHarness(t, community.DefaultConfig())
	// A shop with 40 customers; alice is cust-1, who ordered often and lately.
	fortyCustomers(t, h)
	h.send("alice> /start")
	h.expect("alice> /shop bob@example.com", "(to alice, privately) I couldn't find a shop account")
	h.expect("alice> /shop Alice@Example.com", "(to alice, privately) 🛍️ Shop account linked: 2 orders")
	if b := h.balance("alice"); b <= 100 {
		t.Errorf("no points for alice's past orders: balance %d", b)
	}
	h.expect("admin> /segments", "Customer segments (40 customers", "Champions")
	h.expect("admin> /member @alice", "RFM ", "P(alive)", "12-month value")
	h.expect("admin> /member @admin", "has not linked a shop account")
	h.expect("alice> /segments", "managers and above")
}

func TestShop_SegmentBroadcast(t *testing.T) {
	h := newHarness(t, community.DefaultConfig())
	ctx := context.Background()
	// alice and bob are lost customers (one old order each), carol a champion.
	for i, u := range []string{"alice", "bob", "carol"} {
		h.send(u + "> /start")
		n, age := 1, 400
		if u == "carol" {
			n, age = 8, 2
		}
		for k := 0; k < n; k++ {
			o := orders.Order{ID: fmt.Sprintf("%s-%d", u, k), Customer: "c-" + u, Amount: 5000, Created: communitytest.Start.AddDate(0, 0, -age-k*3), Status: orders.Paid}
			if _, err := h.stack.Orders.Ingest(ctx, o, orders.Contact{Email: u + "@example.com", EmailVerified: true}); err != nil {
				t.Fatal(err)
			}
		}
		h.send(fmt.Sprintf("%s> /shop %s@example.com", u, u))
		_ = i
	}
	for c := 0; c < 10; c++ { // other customers, so quintiles spread
		o := orders.Order{ID: fmt.Sprint("x", c), Customer: fmt.Sprint("x", c), Amount: 1000, Created: communitytest.Start.AddDate(0, 0, -30*c), Status: orders.Paid}
		h.stack.Orders.Ingest(ctx, o, orders.Contact{})
	}
	h.expect("bob> /marketing off", "no more offers")
	h.expect("alice> /marketing on", "offers now and then") // carol never answered: no offers either
	got := h.expect("admin> /broadcast --segment lost We miss you: 20% off this week", "Sent to 1 member in Lost (1 without consent to offers)",
		"(to alice, privately) We miss you: 20% off this week")
	if strings.Contains(got, "to bob") || strings.Contains(got, "to carol") {
		t.Errorf("message reached the wrong members: %s", got)
	}
	h.expect("admin> /broadcast --segment nosuch hi", "Segments: champions (Champions)")
	h.expect("admin> /broadcast --segment", "Segments: champions (Champions)")
	h.expect("admin> /broadcast --segment lost", "Segments: champions (Champions)") // no message
	// A quoted name, --segment=, and a message quoted whole reach the
	// segment with the message as written, and nothing reaches the groups.
	for _, line := range []string{
		`/broadcast --segment "Lost" Come back, it's been a while`,
		`/broadcast --segment 'lost' Come back, it's been a while`,
		`/broadcast --segment=lost Come back, it's been a while`,
		`/broadcast --segment lost "Come back, it's been a while"`,
		"/broadcast --Segment lost Come back, it's been a while",
		"/broadcast —segment lost Come back, it's been a while",
		"/broadcast --segment\tlost\tCome back, it's been a while",
	} {
		got := h.expect("admin> "+line, "Sent to 1 member in Lost", "(to alice, privately) Come back, it's been a while")
		if strings.Contains(got, "Lost\"") || strings.Contains(got, "segment") || strings.Contains(got, "(to group)") {
			t.Errorf("%s:\n%s", line, got)
		}
	}
	// An option it does not know sends nothing anywhere; a message that
	// merely starts with a dash goes to the groups as ever.
	got = h.expect("admin> /broadcast --segmnet lost hi", "I don't know the option --segmnet, so I sent nothing")
	if strings.Contains(got, "(in ") || strings.Contains(got, "(to ") {
		t.Errorf("a mistyped option was sent:\n%s", got)
	}
}

// TestShop_UnlinkTakesBackPoints is the regression test for /shop unlink
// leaving a member who linked someone else's shop account (knowing its
// verified e-mail) all its points, and the rightful member then linking
// it for nothing.
func TestShop_UnlinkTakesBackPoints(t *testing.T) {
	h := newHarness(t, community.DefaultConfig())
	ctx := context.Background()
	h.send("alice> /start")
	h.send("bob> /start")
	for i, amount := range []int64{10000, 5000} {
		o := orders.Order{ID: fmt.Sprint("A", i), Customer: "c-alice", Amount: amount, Created: communitytest.Start.Add(-time.Hour), Status: orders.Paid}
		if _, err := h.stack.Orders.Ingest(ctx, o, orders.Contact{Email: "alice@example.com", EmailVerified: true}); err != nil {
			t.Fatal(err)
		}
	}
	h.wantBalance("bob", 100)
	h.expect("bob> /shop alice@example.com", "(to bob, privately) 🛍️ Shop account linked: 2 orders")
	h.wantBalance("bob", 250)
	h.expect("admin> /shop unlink @bob", "@bob's shop account is unlinked", "150 points its orders earned were taken back",
		"(to bob, privately) A manager unlinked your shop account; the 150 points its orders earned you were taken back.")
	h.wantBalance("bob", 100)
	// bob cannot claim it again straight away with the same e-mail.
	h.expect("bob> /shop alice@example.com", "A manager unlinked that shop account from you")
	h.wantBalance("bob", 100)
	h.expect("alice> /shop alice@example.com", "(to alice, privately) 🛍️ Shop account linked: 2 orders", "Pending through the return window: 150 points")
	h.wantBalance("alice", 250)
	h.expect("admin> /shop unlink @bob", "That member has not linked a shop account.")

	bob, err := h.members.LookupMention(ctx, bots.Console, "@bob")
	if err != nil {
		t.Fatal(err)
	}
	es, err := h.stack.Community.AuditLog(ctx, bob, 10)
	if err != nil {
		t.Fatal(err)
	}
	var shop []community.AuditEntry
	var outcomes []string
	for _, e := range es {
		if e.Action == "shop" {
			shop, outcomes = append(shop, e), append(outcomes, e.Outcome)
		}
	}
	if len(shop) != 2 || outcomes[0] != community.OutcomeRefused || outcomes[1] != community.OutcomeDone {
		t.Fatalf("shop audit outcomes, newest first: %v, want refused then done", outcomes)
	}
	if done := shop[1]; done.Amount != 150 || !strings.Contains(done.Effect, "150") {
		t.Errorf("audit of the unlink: amount %d, effect %q; want the 150 points taken back", done.Amount, done.Effect)
	}
}

// TestShop_ValueFittedInBackground: above Config.SyncFitCustomers, /member
// answers with the RFM scores at once and says the customer value is being
// worked out; once the background fit is done it shows it.
func TestShop_ValueFittedInBackground(t *testing.T) {
	h := newHarness(t, communitytest.Config(func(c *community.Config) { c.SyncFitCustomers = 10 }))
	ctx := context.Background()
	fortyCustomers(t, h)
	h.send("alice> /start")
	h.expect("alice> /shop alice@example.com", "Shop account linked")
	got := h.expect("admin> /member @alice", "RFM ", "Customer value is being worked out for 40 customers")
	if strings.Contains(got, "P(alive)") {
		t.Errorf("a value before the fit:\n%s", got)
	}
	for {
		a, err := h.stack.Community.ShopInsights(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !errors.Is(a.ModelErr, community.ErrModelPending) {
			break
		}
		time.Sleep(time.Millisecond) // the fit runs on another goroutine; the test's deadline bounds this
	}
	h.expect("admin> /member @alice", "RFM ", "P(alive)", "12-month value")
}
