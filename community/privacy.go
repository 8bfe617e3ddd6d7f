package community

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/community/support"
	"github.com/loyalbot/loyalbot/loyalty"
	"github.com/loyalbot/loyalbot/loyalty/orders"
	"github.com/loyalbot/loyalbot/ugc"
	bolt "go.etcd.io/bbolt"
)

// bucketErased holds a hash of each erased platform account, so erasing
// and rejoining cannot farm the signup bonus. It stores no readable id.
var bucketErased = []byte("community.erased")

// export sends the member everything loyalbot stores about them, as JSON.
func (c *Community) export(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	m, err := c.members.Get(ctx, ev.Member)
	if err != nil {
		return nil, err
	}
	doc := struct {
		Member      Member               `json:"member"`
		Balance     loyalty.Balance      `json:"balance"`
		Entries     []loyalty.Entry      `json:"entries"`
		Redemptions []loyalty.Redemption `json:"redemptions"`
		Submissions []ugc.Submission     `json:"submissions,omitempty"`
		Referrals   []ugc.Referral       `json:"referrals,omitempty"`
		ShopOrders  []orders.Order       `json:"shop_orders,omitempty"`
		Tickets     []support.Ticket     `json:"support_tickets,omitempty"`
	}{Member: m}
	if doc.Balance, err = c.ledger.Balance(ctx, acct(ev)); err != nil {
		return nil, err
	}
	for cursor := uint64(0); ; {
		var page []loyalty.Entry
		if page, cursor, err = c.ledger.History(ctx, acct(ev), cursor, 1000); err != nil {
			return nil, fmt.Errorf("export history: %w", err)
		}
		doc.Entries = append(doc.Entries, page...)
		if cursor == 0 {
			break
		}
	}
	if doc.Redemptions, err = c.ledger.Redemptions(ctx, acct(ev), false, 10_000); err != nil {
		return nil, err
	}
	if c.ugc != nil {
		if doc.Submissions, err = c.ugc.List(ctx, ugc.Filter{Member: ev.Member}, 10_000); err != nil {
			return nil, err
		}
		if doc.Referrals, err = c.ugc.ReferralsBy(ctx, ev.Member); err != nil {
			return nil, err
		}
	}
	if c.orders != nil {
		if customer, ok := c.orders.CustomerOf(ctx, ev.Member); ok {
			doc.ShopOrders = c.orders.Orders(ctx, customer)
		}
	}
	if c.tickets != nil {
		if doc.Tickets, err = c.tickets.Of(ctx, ev.Member); err != nil {
			return nil, err
		}
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, err
	}
	return []bots.Reply{{Text: ev.T("export.header") + "\n" + string(b), Private: true}}, nil
}

// erase removes the member's personal data after a confirmation: their
// name, accounts and preferences. Points left are forfeited; the ledger
// keeps its entries (they name a member number, not a person).
func (c *Community) erase(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	if ev.Arg("confirm") != "confirm" {
		return []bots.Reply{{Text: ev.T("erase.confirm"), Private: true, Buttons: [][]bots.Button{{
			{Label: ev.T("button.erase"), Data: "/erase confirm"},
		}}}}, nil
	}
	b, err := c.ledger.Balance(ctx, acct(ev))
	if err != nil {
		return nil, err
	}
	if b.Available > 0 {
		if _, err := c.ledger.Post(ctx, loyalty.Posting{Key: "erase:" + strconv.FormatUint(ev.Member, 10), From: acct(ev),
			To: loyalty.AdjustmentAccount, Amount: b.Available, Reason: "forfeited: member erased their data"}); err != nil {
			return nil, fmt.Errorf("erase: forfeit points: %w", err)
		}
	}
	err = c.members.db.Update(func(tx *bolt.Tx) error {
		m, err := getMember(tx, ev.Member)
		if err != nil {
			return err
		}
		erased, err := tx.CreateBucketIfNotExists(bucketErased)
		if err != nil {
			return err
		}
		for _, id := range m.Identities {
			if err := tx.Bucket(bucketIdentities).Delete(identityKey(id.Platform, id.UserID)); err != nil {
				return err
			}
			if id.Handle != "" {
				if err := tx.Bucket(bucketHandles).Delete(handleKey(id.Platform, id.Handle)); err != nil {
					return err
				}
			}
			if err := erased.Put(erasedKey(id.Platform, id.UserID), nil); err != nil {
				return err
			}
		}
		return putMember(tx, Member{ID: m.ID, Role: bots.RoleMember, Joined: m.Joined, Erased: c.now()})
	})
	if err != nil {
		return nil, fmt.Errorf("erase member %d: %w", ev.Member, err)
	}
	// What other services hold about the member goes too.
	if c.orders != nil {
		if err := c.orders.Unlink(ctx, ev.Member); err != nil {
			return nil, fmt.Errorf("erase shop link: %w", err)
		}
	}
	if c.tickets != nil {
		if err := c.tickets.Erase(ctx, ev.Member); err != nil {
			return nil, fmt.Errorf("erase tickets: %w", err)
		}
	}
	if c.ugc != nil {
		if err := c.ugc.Erase(ctx, ev.Member); err != nil {
			return nil, fmt.Errorf("erase ambassador data: %w", err)
		}
	}
	c.log.InfoContext(ctx, "member erased their data", "member", ev.Member, "points_forfeited", b.Available)
	return []bots.Reply{{Text: ev.T("erase.done"), Private: true}}, nil
}

func erasedKey(platform, user string) []byte {
	sum := sha256.Sum256([]byte(platform + "\x00" + user))
	return sum[:]
}

// wasErased reports whether a platform account erased its data before.
func wasErased(tx *bolt.Tx, platform, user string) bool {
	b := tx.Bucket(bucketErased)
	return b != nil && b.Get(erasedKey(platform, user)) != nil
}

// signupAllowed reports whether the member may receive the signup bonus:
// not when one of its accounts erased its data before.
func (m *Members) signupAllowed(ctx context.Context, id uint64) (bool, error) {
	allowed := true
	err := m.db.View(func(tx *bolt.Tx) error {
		mem, err := getMember(tx, id)
		if err != nil {
			return err
		}
		for _, idt := range mem.Identities {
			if wasErased(tx, idt.Platform, idt.UserID) {
				allowed = false
			}
		}
		return nil
	})
	return allowed, err
}
