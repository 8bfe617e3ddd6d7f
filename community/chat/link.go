package chat

import (
	"context"
	"fmt"

	"github.com/loyalbot/loyalbot/bots"
)

// Link is /link: one wallet for several chat accounts.
type Link struct{ *base }

// Register adds the commands to r.
func (c *Link) Register(r *bots.Router) {
	linkMessages.addTo(r)
	r.Handle(bots.Command{Name: "link", Help: "cmd.link", Role: bots.RoleMember, Args: []bots.Arg{{Name: "code", Optional: true}}, Handler: bots.HandlerFunc(c.link)})
}

// link gives the member a one-time code, or with a code joins this
// platform account to the member who asked for it (one wallet).
func (c *Link) link(ctx context.Context, ev *bots.Event) ([]bots.Reply, error) {
	if code := ev.Arg("code"); code != "" {
		return c.linkWith(ctx, ev, code)
	}
	code, err := c.community.NewLinkCode(ctx, ev.Member)
	if err != nil {
		return nil, fmt.Errorf("link code: %w", err)
	}
	return []bots.Reply{{Text: ev.TN("link.code", int64(c.cfg.LinkTTL.Minutes()), code, int(c.cfg.LinkTTL.Minutes())), Private: true}}, nil
}

// linkMessages are the messages link.go renders.
var linkMessages = messages{
	bots.English: {
		"link.code#one":   "Your link code is %s (valid for %d minute). On your other account, send /link %[1]s to me. Never share it: whoever types it joins your wallet.",
		"link.code#other": "Your link code is %s (valid for %d minutes). On your other account, send /link %[1]s to me. Never share it: whoever types it joins your wallet.",
		"link.bad_code":   "That link code is unknown, used or expired. Send /link on your first account to get a new one (or /start to join).",
		"link.same":       "This account is already part of that wallet.",
		"link.granted":    "These two accounts can't be linked: a manager gave points from one of them to the other. Ask the owner.",
		"link.role_rise":  "This account has a higher role than the one that made the code, so the link must go the other way: send /link here, and type the code on your other account.",
		"link.ok":         "Linked! %s now uses one wallet on: %s. Balance: %s.",
	},
	bots.Chinese: {
		"link.code#other": "你的绑定码是 %s（%d 分钟内有效）。请在另一个账号上给我发送 /link %[1]s。不要把它告诉别人：谁输入它，谁就会加入你的钱包。",
		"link.bad_code":   "绑定码无效、已使用或已过期。请在第一个账号上发送 /link 获取新的绑定码（或发送 /start 加入）。",
		"link.same":       "这个账号已经在该钱包里了。",
		"link.granted":    "这两个账号不能绑定：管理员曾在它们之间发放积分。请联系社区所有者。",
		"link.role_rise":  "这个账号的角色比生成绑定码的账号高，所以要反过来绑定：在这里发送 /link，然后在另一个账号上输入绑定码。",
		"link.ok":         "绑定成功！%s 现在在这些平台共用一个钱包：%s。余额：%s。",
	},
}
