package community

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/community/campaign"
	"github.com/loyalbot/loyalbot/community/support"
	"github.com/loyalbot/loyalbot/loyalty"
	"github.com/loyalbot/loyalbot/loyalty/orders"
	"github.com/loyalbot/loyalbot/ugc"
)

// Export is everything loyalbot stores about one member.
type Export struct {
	Member      Member               `json:"member"`
	Balance     loyalty.Balance      `json:"balance"`
	Entries     []loyalty.Entry      `json:"entries"`
	Redemptions []loyalty.Redemption `json:"redemptions"`
	Submissions []ugc.Submission     `json:"submissions,omitempty"`
	Referrals   []ugc.Referral       `json:"referrals,omitempty"`
	ShopOrders  []orders.Order       `json:"shop_orders,omitempty"`
	Tickets     []support.Ticket     `json:"support_tickets,omitempty"`
	// Audit holds the manager actions that concern the member (or that they took).
	Audit []AuditEntry `json:"audit,omitempty"`
	// Campaigns holds the member's campaign runs, tags and survey answers.
	Campaigns *campaign.Export `json:"campaigns,omitempty"`
}

// ExportMember gathers everything loyalbot stores about member.
func (c *Community) ExportMember(ctx context.Context, member uint64) (Export, error) {
	m, err := c.members.Get(ctx, member)
	if err != nil {
		return Export{}, err
	}
	doc := Export{Member: m}
	a := loyalty.Member(m.ID)
	if doc.Balance, err = c.ledger.Balance(ctx, a); err != nil {
		return Export{}, err
	}
	for cursor := uint64(0); ; {
		var page []loyalty.Entry
		if page, cursor, err = c.ledger.History(ctx, a, cursor, 1000); err != nil {
			return Export{}, fmt.Errorf("export history: %w", err)
		}
		doc.Entries = append(doc.Entries, page...)
		if cursor == 0 {
			break
		}
	}
	if doc.Redemptions, err = c.ledger.Redemptions(ctx, a, false, 10_000); err != nil {
		return Export{}, err
	}
	if c.campaigns != nil {
		x, err := c.campaigns.ExportOf(ctx, m.ID)
		if err != nil {
			return Export{}, err
		}
		doc.Campaigns = &x
	}
	if c.ugc != nil {
		if doc.Submissions, err = c.ugc.List(ctx, ugc.Filter{Member: m.ID}, 10_000); err != nil {
			return Export{}, err
		}
		if doc.Referrals, err = c.ugc.Referrals().By(ctx, m.ID); err != nil {
			return Export{}, err
		}
	}
	if c.orders != nil {
		customers, err := c.orders.CustomersOf(ctx, m.ID)
		if err != nil {
			return Export{}, err
		}
		for _, cust := range customers {
			os, err := c.orders.Orders(ctx, cust)
			if err != nil {
				return Export{}, err
			}
			doc.ShopOrders = append(doc.ShopOrders, os...)
		}
	}
	if c.tickets != nil {
		if doc.Tickets, err = c.tickets.Of(ctx, m.ID); err != nil {
			return Export{}, err
		}
	}
	if doc.Audit, err = c.AuditLog(ctx, m.ID, auditExportMany); err != nil {
		return Export{}, err
	}
	return doc, nil
}

// Erase removes a member's personal data: their name, accounts and
// preferences at once, then — in steps a recorded job finishes even after
// a crash — their pending redemptions (cancelled, stock back), their
// points (forfeited), shop links, tickets and ambassador details. The
// ledger keeps its entries (they name a member number, not a person).
// Members erase themselves; an owner may erase a member on their behalf
// (a request by e-mail), audited. It returns a *ForbiddenError otherwise
// and ErrNoMember for a member already erased.
func (c *Community) Erase(ctx context.Context, actor Actor, member uint64) error {
	if member != actor.Member {
		if err := actor.require("erase", bots.RoleOwner); err != nil {
			return err
		}
	}
	var j Job
	err := c.members.store.Update(ctx, func(tx Tx) error {
		m, err := getMember(tx, member)
		if err != nil {
			return err
		}
		if !m.Erased.IsZero() {
			return fmt.Errorf("erase member %d: %w", member, ErrNoMember)
		}
		for _, id := range m.Identities {
			if err := tx.DeleteIdentity(id.Platform, id.UserID); err != nil {
				return err
			}
			if id.Handle != "" {
				if err := tx.DeleteHandle(id.Platform, NormHandle(id.Handle)); err != nil {
					return err
				}
			}
			// A hash, so erasing and rejoining cannot farm the signup
			// bonus; it stores no readable id.
			if err := tx.PutErased(HashAccount(id.Platform, id.UserID)); err != nil {
				return err
			}
		}
		if err := tx.PutMember(Member{ID: m.ID, Role: RoleMember, Joined: m.Joined, Erased: c.now(), Merged: m.Merged}); err != nil {
			return err
		}
		j = Job{Key: "erase:" + strconv.FormatUint(m.ID, 10), Kind: JobErase, Member: m.ID, Created: c.now()}
		return tx.PutJob(j)
	})
	if err != nil {
		return err
	}
	if member != actor.Member {
		if _, _, err := c.audit(ctx, actor.entry("erase", member), 0); err != nil {
			return err
		}
	}
	if err := c.run(ctx, j); err != nil {
		return err // recorded: Resume finishes it
	}
	c.log.InfoContext(ctx, "member data erased", "member", member, "by", actor.Member)
	return nil
}

// finishErase removes what other domains hold of an erased member. Every
// step is idempotent.
func (c *Community) finishErase(ctx context.Context, member uint64) error {
	a := loyalty.Member(member)
	rds, err := c.ledger.Redemptions(ctx, a, true, 10_000)
	if err != nil {
		return err
	}
	for _, rd := range rds {
		if _, err := c.ledger.Cancel(ctx, rd.Code, "member erased their data"); err != nil && !errors.Is(err, loyalty.ErrRedemptionClosed) {
			return fmt.Errorf("cancel redemption %s: %w", rd.Code, err)
		}
	}
	if err := c.step("erase", 1); err != nil {
		return err
	}
	if _, err := c.ledger.Forfeit(ctx, "forfeit:"+strconv.FormatUint(member, 10), a, loyalty.AdjustmentAccount, "forfeited: member erased their data"); err != nil {
		return fmt.Errorf("forfeit points: %w", err)
	}
	if err := c.step("erase", 2); err != nil {
		return err
	}
	if c.orders != nil {
		// The forfeit above took all the points, so the orders stay paid
		// (to the erased member) rather than being revoked: re-joining and
		// linking the shop again does not pay them twice.
		if _, err := c.orders.UnlinkErased(ctx, member); err != nil {
			return fmt.Errorf("unlink shop account: %w", err)
		}
	}
	if c.tickets != nil {
		if err := c.tickets.Erase(ctx, member); err != nil {
			return fmt.Errorf("erase tickets: %w", err)
		}
		if err := c.Admin().LoadLearnedFAQ(ctx); err != nil { // FAQ entries in their words went with the tickets
			return err
		}
	}
	if c.ugc != nil {
		if err := c.ugc.Erase(ctx, member); err != nil {
			return fmt.Errorf("erase ambassador data: %w", err)
		}
	}
	if c.campaigns != nil {
		if err := c.campaigns.Erase(ctx, member); err != nil {
			return fmt.Errorf("erase campaign data: %w", err)
		}
	}
	if err := c.step("erase", 3); err != nil {
		return err
	}
	return c.members.store.Update(ctx, func(tx Tx) error {
		m, err := getMember(tx, member)
		if err != nil {
			return err
		}
		for _, id := range append([]uint64{member}, m.Merged...) { // the accounts /link folded in were theirs too
			if err := scrubAudit(tx, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// signupAllowed reports whether the member may receive the signup bonus:
// not when one of its accounts erased its data before.
func (m *Members) signupAllowed(ctx context.Context, id uint64) (bool, error) {
	allowed := true
	err := m.store.View(ctx, func(tx ReadTx) error {
		mem, err := getMember(tx, id)
		if err != nil {
			return err
		}
		for _, idt := range mem.Identities {
			erased, err := tx.Erased(HashAccount(idt.Platform, idt.UserID))
			if err != nil {
				return err
			}
			if erased {
				allowed = false
			}
		}
		return nil
	})
	return allowed, err
}
