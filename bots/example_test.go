package bots_test

import (
	"context"
	"fmt"

	"github.com/loyalbot/loyalbot/bots"
)

func ExampleRouter_Handle() {
	r := bots.NewRouter()
	r.Handle(bots.Command{
		Name: "greet",
		Args: []bots.Arg{{Name: "times", Kind: bots.ArgInt, Min: 1, Max: 3}, {Name: "name", Kind: bots.ArgText}},
		Handler: bots.HandlerFunc(func(_ context.Context, ev *bots.Event) ([]bots.Reply, error) {
			return []bots.Reply{{Text: fmt.Sprintf("hello %s ×%d", ev.Arg("name"), ev.ArgInt("times"))}}, nil
		}),
	})
	for _, line := range []string{`/greet 2 "Li Na"`, "/greet 9 x", "/greet@otherbot 1 x", "/nope"} {
		replies := r.Dispatch(context.Background(), &bots.Event{Text: line, BotUsername: "loyalbot"})
		if len(replies) == 0 {
			fmt.Println("(no reply: addressed to another bot)")
			continue
		}
		fmt.Println(replies[0].Text)
	}
	// Output:
	// hello Li Na ×2
	// <times> must be between 1 and 3. Usage: /greet <times> <name>
	// (no reply: addressed to another bot)
	// I don't know /nope. Send /help to see what I can do.
}

func ExampleVariant() {
	r := bots.NewRouter()
	r.Catalog().Add(bots.English, map[string]string{"shop.help": "link your shop account", "shop.unlink_help": "unlink a member's shop account"})
	r.Handle(bots.Command{
		Name: "shop", Help: "shop.help", Role: bots.RoleMember, Args: []bots.Arg{{Name: "code"}},
		Variants: []bots.Variant{{Args: []bots.Arg{bots.Literal("unlink"), {Name: "member", Kind: bots.ArgMember}}, Help: "shop.unlink_help", Role: bots.RoleManager}},
		Handler:  bots.HandlerFunc(func(context.Context, *bots.Event) ([]bots.Reply, error) { return nil, nil }),
	})
	r.Handle(bots.Command{Name: "help", Hidden: true, Handler: bots.HandlerFunc(func(_ context.Context, ev *bots.Event) ([]bots.Reply, error) {
		return []bots.Reply{{Text: r.Help(ev)}}, nil
	})})
	for _, role := range []bots.Role{bots.RoleMember, bots.RoleManager} {
		fmt.Println(r.Dispatch(context.Background(), &bots.Event{Text: "/help", Role: role})[0].Text)
	}
	// Output:
	// Here is what I can do:
	// /shop <code> — link your shop account
	// Here is what I can do:
	// /shop <code> — link your shop account
	// /shop unlink @member — unlink a member's shop account (for managers)
}
