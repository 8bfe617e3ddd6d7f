package community_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/loyalbot/loyalbot/community"
	"github.com/loyalbot/loyalbot/community/communitytest"
	"github.com/loyalbot/loyalbot/loyalty/orders"
)

func TestShop_LinkSegmentsAndValue(t *testing.T) {
	h := newHarness(t, community.Config{})
	st := h.stack
	ctx := context.Background()
	// A shop with 40 customers; alice is cust-1, who ordered often and lately.
	for c := 1; c <= 40; c++ {
		for k := 0; k < 1+c%5; k++ {
			o := orders.Order{ID: fmt.Sprintf("o-%d-%d", c, k), Customer: fmt.Sprintf("cust-%d", c), Amount: int64(1000 + 100*c),
				Created: communitytest.Start.AddDate(0, 0, -(c*7 + k*20)), Status: orders.Paid}
			contact := orders.Contact{}
			if c == 1 {
				contact.Email = "alice@example.com"
			}
			if err := st.Orders.Ingest(ctx, o, contact); err != nil {
				t.Fatal(err)
			}
		}
	}
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
