package community

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/loyalty"
	bolt "go.etcd.io/bbolt"
)

type linkCode struct {
	Member  uint64    `json:"member"`
	Expires time.Time `json:"expires"`
}

var errBadLinkCode = errors.New("community: link code unknown or expired")

// linkAlphabet avoids look-alike characters.
const linkAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// link gives the member a one-time code, or with a code joins this
// platform account to the member who asked for it (one wallet).
func (c *Community) link(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	if code := ev.Arg("code"); code != "" {
		return c.linkWith(ctx, ev, code)
	}
	code, err := c.newLinkCode(ev.Member)
	if err != nil {
		return nil, fmt.Errorf("link code: %w", err)
	}
	return []bots.Reply{{Text: ev.T("link.code", code, int(c.cfg.LinkTTL.Minutes())), Private: true}}, nil
}

func (c *Community) newLinkCode(member uint64) (string, error) {
	var code string
	err := c.members.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketLinks)
		for {
			var raw [6]byte
			if _, err := rand.Read(raw[:]); err != nil {
				return err
			}
			for i := range raw {
				raw[i] = linkAlphabet[int(raw[i])%len(linkAlphabet)]
			}
			if b.Get(raw[:]) == nil {
				code = string(raw[:])
				break
			}
		}
		v, _ := json.Marshal(linkCode{Member: member, Expires: c.now().Add(c.cfg.LinkTTL)})
		return b.Put([]byte(code), v)
	})
	return code, err
}

// linkWith folds the sender's member into the member that made code: the
// sender's points move over and every identity now resolves to the target.
func (c *Community) linkWith(ctx context.Context, ev *bots.Event, code string) ([]bots.Reply, error) {
	code = strings.ToUpper(strings.TrimSpace(code))
	var lc linkCode
	err := c.members.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketLinks).Get([]byte(code))
		if v == nil {
			return errBadLinkCode
		}
		if err := json.Unmarshal(v, &lc); err != nil {
			return err
		}
		if !c.now().Before(lc.Expires) {
			return errBadLinkCode
		}
		return nil
	})
	switch {
	case errors.Is(err, errBadLinkCode):
		return bots.Say(ev, "link.bad_code"), nil
	case err != nil:
		return nil, err
	case lc.Member == ev.Member:
		return bots.Say(ev, "link.same"), nil
	}
	from, to := ev.Member, lc.Member
	b, err := c.ledger.Balance(ctx, loyalty.Member(from))
	if err != nil {
		return nil, err
	}
	if b.Available > 0 {
		key := "link:" + strconv.FormatUint(from, 10) + ":" + strconv.FormatUint(to, 10)
		if _, err := c.ledger.Post(ctx, loyalty.Posting{Key: key, From: loyalty.Member(from), To: loyalty.Member(to),
			Amount: b.Available, Reason: "accounts linked"}); err != nil {
			return nil, fmt.Errorf("move points on link: %w", err)
		}
	}
	var target Member
	err = c.members.db.Update(func(tx *bolt.Tx) error {
		src, err := getMember(tx, from)
		if err != nil {
			return err
		}
		if target, err = getMember(tx, to); err != nil {
			return err
		}
		for _, id := range src.Identities {
			if err := tx.Bucket(bucketIdentities).Put(identityKey(id.Platform, id.UserID), idKey(to)); err != nil {
				return err
			}
			if id.Handle != "" {
				if err := tx.Bucket(bucketHandles).Put(handleKey(id.Platform, id.Handle), idKey(to)); err != nil {
					return err
				}
			}
		}
		target.Identities = append(target.Identities, src.Identities...)
		target.Role = max(target.Role, src.Role)
		src.MergedInto = to
		if err := tx.Bucket(bucketLinks).Delete([]byte(code)); err != nil {
			return err
		}
		if err := putMember(tx, src); err != nil {
			return err
		}
		return putMember(tx, target)
	})
	if err != nil {
		return nil, fmt.Errorf("link accounts: %w", err)
	}
	c.log.InfoContext(ctx, "accounts linked", "member", to, "merged", from, "points_moved", b.Available)
	var platforms []string
	for _, id := range target.Identities {
		platforms = append(platforms, id.Platform)
	}
	ev.Member = to
	total, err := c.ledger.Balance(ctx, loyalty.Member(to))
	if err != nil {
		return nil, err
	}
	return bots.Say(ev, "link.ok", target.Name, strings.Join(platforms, ", "), points(total.Balance)), nil
}
