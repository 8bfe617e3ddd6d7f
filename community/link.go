package community

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"

	"github.com/loyalbot/loyalbot/loyalty"
	"github.com/loyalbot/loyalbot/loyalty/code"
)

// NewLinkCode returns a one-time code, valid for Config.LinkTTL, with
// which another chat account joins member's wallet (see Link).
func (c *Community) NewLinkCode(ctx context.Context, member uint64) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	var s string
	err := c.members.store.Update(ctx, func(tx Tx) error {
		var lookErr error // a failed look-up ends the draw, and the transaction
		var err error
		s, err = code.New(6, func(s string) bool {
			_, taken, err := tx.LinkCode(s)
			lookErr = cmp.Or(lookErr, err)
			return !taken || err != nil
		})
		if err = cmp.Or(lookErr, err); err != nil {
			return err
		}
		return tx.PutLinkCode(s, LinkCode{Member: member, Expires: c.now().Add(c.cfg.LinkTTL)})
	})
	return s, err
}

// LinkResult says what Link did.
type LinkResult struct {
	Member Member // the surviving member, with every identity
	Folded uint64 // the member folded into it
}

// Link joins the actor's chat account to the member who made code: one
// wallet. In one transaction the code is checked and used up and every
// identity of the actor's member moves to the code's member; the points,
// holds, orders, referrals, submissions and tickets follow in steps a
// recorded job finishes even after a crash (see Resume). The code's member
// keeps its role: linking never raises one. It returns ErrBadLinkCode,
// ErrSameMember, ErrLinkGranted, and ErrRoleRise when the actor's account has the higher
// role (link the other way round); nothing is written then.
func (c *Community) Link(ctx context.Context, actor Actor, code string) (LinkResult, error) {
	if err := ctx.Err(); err != nil {
		return LinkResult{}, err
	}
	code = strings.ToUpper(strings.TrimSpace(code))
	var res LinkResult
	var j Job
	err := c.members.store.Update(ctx, func(tx Tx) error {
		lc, ok, err := tx.LinkCode(code)
		switch {
		case err != nil:
			return err
		case !ok:
			return ErrBadLinkCode
		}
		if !c.now().Before(lc.Expires) {
			return ErrBadLinkCode
		}
		src, err := getMember(tx, actor.Member)
		if err != nil {
			return err
		}
		dst, err := getMember(tx, lc.Member)
		if err != nil {
			return err
		}
		if src.ID == dst.ID {
			return ErrSameMember
		}
		if c.members.roleOf(src) > c.members.roleOf(dst) {
			return ErrRoleRise
		}
		if granted, err := grantedBetween(tx, src, dst); err != nil || granted {
			return cmp.Or(err, ErrLinkGranted)
		}
		if err := tx.DeleteLinkCode(code); err != nil { // used up in the transaction that checked it
			return err
		}
		for _, id := range src.Identities {
			if err := tx.PutIdentity(id.Platform, id.UserID, dst.ID); err != nil {
				return err
			}
			if id.Handle != "" {
				if err := tx.PutHandle(id.Platform, NormHandle(id.Handle), dst.ID); err != nil {
					return err
				}
			}
		}
		dst.Identities = append(dst.Identities, src.Identities...)
		dst.Merged = append(append(dst.Merged, src.ID), src.Merged...)
		src.MergedInto, src.Identities = dst.ID, nil
		if err := tx.PutMember(src); err != nil {
			return err
		}
		if err := tx.PutMember(dst); err != nil {
			return err
		}
		j = Job{Key: "link:" + strconv.FormatUint(src.ID, 10) + ":" + strconv.FormatUint(dst.ID, 10), Kind: JobLink,
			From: src.ID, To: dst.ID, Created: c.now()}
		res = LinkResult{Member: dst, Folded: src.ID}
		return tx.PutJob(j)
	})
	if err != nil {
		return LinkResult{}, err
	}
	if err := c.run(ctx, j); err != nil {
		return res, err // recorded: Resume finishes it
	}
	c.log.InfoContext(ctx, "accounts linked", "member", res.Member.ID, "merged", res.Folded)
	return res, nil
}

// finishLink moves what other domains hold of member from to member to,
// then takes back from's signup bonus. Every step is idempotent; the
// ledger moves after the other domains, so anything the steps before
// credit to from still reaches to (the ledger also redirects from).
func (c *Community) finishLink(ctx context.Context, from, to uint64) error {
	if err := c.step("link", 1); err != nil {
		return err
	}
	if c.orders != nil {
		if err := c.orders.Merge(ctx, from, to); err != nil {
			return fmt.Errorf("move shop links: %w", err)
		}
	}
	if c.ugc != nil {
		if err := c.ugc.Merge(ctx, from, to); err != nil {
			return fmt.Errorf("move ambassador data: %w", err)
		}
	}
	if c.tickets != nil {
		if err := c.tickets.Merge(ctx, from, to); err != nil {
			return fmt.Errorf("move tickets: %w", err)
		}
	}
	if err := c.step("link", 2); err != nil {
		return err
	}
	if _, err := c.ledger.Merge(ctx, "link:"+strconv.FormatUint(from, 10)+":"+strconv.FormatUint(to, 10),
		loyalty.Member(from), loyalty.Member(to)); err != nil && !errors.Is(err, loyalty.ErrSameAccount) {
		return fmt.Errorf("move points: %w", err)
	}
	// One person, one signup bonus: the folded account's goes back, from
	// the merged balance, so it goes back even when the folded account had
	// spent it.
	if err := c.takeBackBonus(ctx, from, to); err != nil {
		return err
	}
	// A referral between accounts now one person was a self-referral, and a
	// second account's birthday gift this year is a second gift: both go
	// back the same way.
	keys, err := selfReferrals(ctx, c.members, c.ledger, to)
	if err != nil {
		return err
	}
	if c.campaigns != nil {
		dup, err := c.campaigns.DuplicateGrants(ctx, from, to)
		if err != nil {
			return err
		}
		keys = append(keys, dup...)
	}
	for _, k := range keys {
		if err := takeBack(ctx, c.ledger, c.log, k, to, "one person, one reward"); err != nil {
			return err
		}
	}
	return c.step("link", 3)
}

// selfReferrals returns the ledger keys of referral rewards paid between
// accounts that are now all member to's: the referrer's and the
// newcomer's reward of each.
func selfReferrals(ctx context.Context, members *Members, ledger *loyalty.Ledger, to uint64) ([]string, error) {
	m, err := members.Get(ctx, to)
	if err != nil {
		return nil, err
	}
	side := append([]uint64{m.ID}, m.Merged...)
	var keys []string
	for _, x := range side {
		id := strconv.FormatUint(x, 10)
		e, err := ledger.EntryByKey(ctx, "referral:"+id)
		if errors.Is(err, loyalty.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if referrer, ok := e.To.MemberID(); ok && slices.Contains(side, referrer) {
			keys = append(keys, "referral:"+id, "referral-welcome:"+id)
		}
	}
	return keys, nil
}

// takeBack reverses the entry written under key, from member to (which
// holds it now): all of it, or what to has available, once. Idempotent; a
// key never written is nothing to take back.
func takeBack(ctx context.Context, ledger *loyalty.Ledger, log *slog.Logger, key string, to uint64, reason string) error {
	if _, err := ledger.EntryByKey(ctx, key); err != nil {
		return nil
	}
	partKey := "link-part:" + key
	if _, err := ledger.EntryByKey(ctx, partKey); err == nil {
		return nil // part was taken back before
	}
	e, _ := ledger.EntryByKey(ctx, key)
	_, err := ledger.Reverse(ctx, "link-back:"+key, key, reason)
	var short *loyalty.InsufficientFundsError
	switch {
	case errors.As(err, &short):
		if short.Available > 0 {
			if _, err := ledger.Post(ctx, loyalty.Posting{Key: partKey, From: loyalty.Member(to), To: e.From,
				Amount: short.Available, Reason: reason}); err != nil {
				return fmt.Errorf("take back part of %s: %w", key, err)
			}
		}
	case err != nil && !errors.Is(err, loyalty.ErrAlreadyReversed):
		return fmt.Errorf("take back %s: %w", key, err)
	}
	log.InfoContext(ctx, "reward of a linked account taken back", "member", to, "key", key)
	return nil
}

// takeBackBonus takes member from's signup bonus back from to, which from
// was folded into: all of it, or when to has fewer points available, what
// there is (once: a later top-up takes no more). Idempotent.
func (c *Community) takeBackBonus(ctx context.Context, from, to uint64) error {
	id := strconv.FormatUint(from, 10)
	bonusKey, partKey := "signup:"+id, "link-signup-part:"+id
	if _, err := c.ledger.EntryByKey(ctx, bonusKey); err != nil {
		return nil // from had no bonus
	}
	if _, err := c.ledger.EntryByKey(ctx, partKey); err == nil {
		return nil // part was taken back before
	}
	_, err := c.ledger.Reverse(ctx, "link-signup:"+id, bonusKey, "one signup bonus per member")
	var short *loyalty.InsufficientFundsError
	switch {
	case errors.As(err, &short):
		if short.Available > 0 {
			if _, err := c.ledger.Post(ctx, loyalty.Posting{Key: partKey, From: loyalty.Member(to), To: loyalty.Issuance("signup"),
				Amount: short.Available, Reason: "one signup bonus per member"}); err != nil {
				return fmt.Errorf("take back part of the second signup bonus: %w", err)
			}
		}
		c.log.InfoContext(ctx, "second signup bonus partly spent: took back what was available", "member", to, "merged", from,
			"taken", short.Available, "short", short.Required-short.Available)
	case err != nil && !errors.Is(err, loyalty.ErrAlreadyReversed):
		return fmt.Errorf("revoke second signup bonus: %w", err)
	}
	return nil
}
