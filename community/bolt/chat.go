package bolt

import (
	"fmt"

	boltrec "github.com/loyalbot/loyalbot/internal/bolt"

	"github.com/loyalbot/loyalbot/community"
)

// chatTxn reads and writes chats, the group chat index and brand chats.
type chatTxn struct{ bucketTx }

func decodeChat(k, v []byte) (community.Chat, error) {
	var c community.Chat
	if _, err := boltrec.GetJSON(v, &c); err != nil {
		return community.Chat{}, fmt.Errorf("decode chat %q: %w", k, err)
	}
	return c, nil
}

func (t *chatTxn) Chats(fn func(community.Chat) error) error {
	return walk(t.b(bucketChats), community.OldestFirst, func(k, v []byte) error {
		c, err := decodeChat(k, v)
		if err != nil {
			return err
		}
		return fn(c)
	})
}

func (t *chatTxn) GroupChats(fn func(community.Chat) error) error {
	chats := t.b(bucketChats)
	return walk(t.b(bucketGroups), community.OldestFirst, func(k, _ []byte) error {
		v := chats.Get(k)
		if v == nil {
			return fmt.Errorf("the group chat index names missing chat %q", k)
		}
		c, err := decodeChat(k, v)
		if err != nil {
			return err
		}
		return fn(c)
	})
}

// PutChat writes c and puts it in the group chat index, or takes it out,
// by its kind.
func (t *chatTxn) PutChat(c community.Chat) error {
	k := nameKey(c.Platform, c.ID)
	if err := boltrec.PutJSON(t.b(bucketChats), k, c); err != nil {
		return err
	}
	if c.Kind == community.ChatGroup {
		return t.b(bucketGroups).Put(k, nil)
	}
	return t.b(bucketGroups).Delete(k)
}

func (t *chatTxn) BrandChats(fn func(community.BrandChat) error) error {
	return walk(t.b(bucketBrand), community.OldestFirst, func(k, v []byte) error {
		var bc community.BrandChat
		if _, err := boltrec.GetJSON(v, &bc); err != nil {
			return fmt.Errorf("brand chat %q: %w", k, err)
		}
		return fn(bc)
	})
}

func (t *chatTxn) PutBrandChat(bc community.BrandChat) error {
	return boltrec.PutJSON(t.b(bucketBrand), nameKey(bc.Platform, bc.ID), bc)
}

func (t *chatTxn) DeleteBrandChat(platform, id string) error {
	return t.b(bucketBrand).Delete(nameKey(platform, id))
}
