package bolt

import (
	"encoding/binary"
	"fmt"

	boltrec "github.com/loyalbot/loyalbot/internal/bolt"

	"github.com/loyalbot/loyalbot/community"
)

// auditTxn reads and writes the audit log, its indexes and the managers'
// grant usage.
type auditTxn struct{ bucketTx }

func (t *auditTxn) AuditEntry(id uint64) (community.AuditEntry, bool, error) {
	var e community.AuditEntry
	ok, err := boltrec.GetJSON(t.b(bucketAudit).Get(u64(id)), &e)
	if err != nil {
		return community.AuditEntry{}, false, fmt.Errorf("decode audit entry %d: %w", id, err)
	}
	return e, ok, nil
}

func (t *auditTxn) AuditEntries(order community.Order, fn func(community.AuditEntry) error) error {
	return walk(t.b(bucketAudit), order, func(k, v []byte) error {
		var e community.AuditEntry
		if _, err := boltrec.GetJSON(v, &e); err != nil {
			return fmt.Errorf("decode audit entry %x: %w", k, err)
		}
		return fn(e)
	})
}

func (t *auditTxn) AuditIDsOf(member uint64, fn func(id uint64) error) error {
	return t.walkPrefix(bucketAuditByMember, u64(member), func(rest []byte) error {
		if len(rest) != 8 {
			return fmt.Errorf("audit index of member %d: key ends in %x, not an id", member, rest)
		}
		return fn(binary.BigEndian.Uint64(rest))
	})
}

func (t *auditTxn) AuditIDByKey(key string) (uint64, bool, error) {
	id, ok, err := boltrec.ID(t.b(bucketAuditKeys).Get([]byte(key)))
	if err != nil {
		return 0, false, fmt.Errorf("audit entry under key %s: %w", key, err)
	}
	return id, ok, nil
}

func (t *auditTxn) GrantUsage(manager uint64, day string) (int64, error) {
	v := t.b(bucketGrantUsage).Get(usageKey(manager, day))
	if v == nil {
		return 0, nil
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("grant usage of manager %d on %s: %x is not 8 bytes", manager, day, v)
	}
	return int64(binary.BigEndian.Uint64(v)), nil
}

func (t *auditTxn) NextAuditID() (uint64, error) { return t.b(bucketAudit).NextSequence() }

// PutAuditEntry writes e and moves its entries in the indexes by member
// and by key from what the stored entry said to what e says.
func (t *auditTxn) PutAuditEntry(e community.AuditEntry) error {
	old, found, err := t.AuditEntry(e.ID)
	if err != nil {
		return err
	}
	if err := boltrec.PutJSON(t.b(bucketAudit), u64(e.ID), e); err != nil {
		return err
	}
	byMember := t.b(bucketAuditByMember)
	if found {
		for _, m := range []uint64{old.Actor, old.Target} {
			if m != 0 && m != e.Actor && m != e.Target {
				if err := byMember.Delete(pair(m, e.ID)); err != nil {
					return err
				}
			}
		}
	}
	for _, m := range []uint64{e.Actor, e.Target} {
		if m != 0 {
			if err := byMember.Put(pair(m, e.ID), nil); err != nil {
				return err
			}
		}
	}
	keys := t.b(bucketAuditKeys)
	if found && old.Key != "" && old.Key != e.Key {
		if id, _, _ := boltrec.ID(keys.Get([]byte(old.Key))); id == e.ID {
			if err := keys.Delete([]byte(old.Key)); err != nil {
				return err
			}
		}
	}
	if e.Key != "" {
		return keys.Put([]byte(e.Key), u64(e.ID))
	}
	return nil
}

func (t *auditTxn) PutGrantUsage(manager uint64, day string, points int64) error {
	return t.b(bucketGrantUsage).Put(usageKey(manager, day), u64(uint64(points)))
}

func usageKey(manager uint64, day string) []byte { return append(u64(manager), day...) }
