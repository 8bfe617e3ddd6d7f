package main

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/loyalbot/loyalbot/bots/discord"
	"github.com/loyalbot/loyalbot/bots/telegram"
	bolt "go.etcd.io/bbolt"
)

// bucketState holds cmd's own small state, such as the Telegram polling offset.
var bucketState = []byte("loyalbot.state")

// newTelegram builds the Telegram adapter from the configuration.
func (a *App) newTelegram() (*telegram.Adapter, error) {
	cfg := a.Config.Telegram
	opts := []telegram.Option{telegram.WithLogger(a.Log), telegram.WithOffsets(offsetStore{db: a.DB, key: "telegram.offset"})}
	if cfg.APIURL != "" {
		opts = append(opts, telegram.WithServerURL(cfg.APIURL))
	}
	if cfg.WebhookURL != "" {
		opts = append(opts, telegram.WithWebhook(cfg.WebhookURL, string(cfg.WebhookSecret)))
	}
	ad, err := telegram.New(string(a.Config.TelegramToken), opts...)
	if err != nil {
		return nil, err
	}
	a.Hub.Add(ad)
	return ad, nil
}

// newDiscord builds the Discord adapter from the configuration.
func (a *App) newDiscord() (*discord.Adapter, error) {
	cfg := a.Config.Discord
	opts := []discord.Option{discord.WithLogger(a.Log), discord.WithManagerRole(cfg.ManagerRole), discord.WithTierRoles(cfg.TierRoles)}
	if cfg.APIURL != "" {
		opts = append(opts, discord.WithAPIURL(cfg.APIURL))
	}
	if cfg.GuildID != "" {
		opts = append(opts, discord.WithGuild(cfg.GuildID))
	}
	if cfg.ShardCount > 1 {
		opts = append(opts, discord.WithShard(cfg.ShardID, cfg.ShardCount))
	}
	ad, err := discord.New(string(a.Config.DiscordToken), opts...)
	if err != nil {
		return nil, err
	}
	a.Hub.Add(ad)
	return ad, nil
}

// offsetStore keeps the Telegram polling offset in the database.
type offsetStore struct {
	db  *bolt.DB
	key string
}

func (o offsetStore) LoadOffset(context.Context) (int64, error) {
	var off int64
	err := o.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketState); b != nil {
			if v := b.Get([]byte(o.key)); len(v) == 8 {
				off = int64(binary.BigEndian.Uint64(v))
			}
		}
		return nil
	})
	return off, err
}

func (o offsetStore) SaveOffset(_ context.Context, id int64) error {
	err := o.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketState)
		if err != nil {
			return err
		}
		return b.Put([]byte(o.key), binary.BigEndian.AppendUint64(nil, uint64(id)))
	})
	if err != nil {
		return fmt.Errorf("save %s: %w", o.key, err)
	}
	return nil
}
