package community

// The messages the community renders itself, in each recipient's
// language: notifications to members and alerts to managers. New adds
// them to its catalogue (the router's, see WithCatalog), so chat replies
// can use the point plurals too.
var notificationsEnglish = map[string]string{
	"n.points#one":               "%s point",
	"n.points#other":             "%s points",
	"notify.fulfil":              "📦 Your reward (code %[1]s) is on its way! %[3]s",
	"notify.cancel":              "Your redemption %[1]s was cancelled and %[2]s went back to your balance. %[3]s",
	"notify.give":                "🎁 You received %s: %s",
	"notify.take":                "%s deducted from your balance: %s",
	"notify.ticket_closed":       "Your request #%d is closed. If there is anything else, type /human.",
	"notify.shop_unlinked":       "A manager unlinked your shop account; the %s its orders earned you were taken back. To link it again, send /shop with the code from your shop account.",
	"notify.grant_waiting":       "⚖️ %[1]s wants to give %[2]s to %[3]s (%[4]s), past the daily limit of %[6]s. Grant #%[5]d waits for you: /approve-grant %[5]d or /reject-grant %[5]d.",
	"notify.grant_approved":      "✅ The owner approved grant #%d: %s paid.",
	"notify.grant_rejected":      "The owner turned down grant #%d (%s).",
	"button.approve_grant":       "Approve",
	"button.reject_grant":        "Turn down",
	"notify.tickets":             "🙋 New requests for a person (%d):\n%s\n/tickets lists them, /reply <id> <text> answers.",
	"alert.tier_role":            "⚠️ I couldn't give %s the %s role on %s: %s. Check that my role has Manage Roles and sits above the tier roles.",
	"support.reply":              "💬 Reply from our team (ticket #%d):\n%s",
	"notify.approved":            "✅ Your post #%d was approved: +%s! %s",
	"notify.rejected":            "Your post #%d was not approved: %s",
	"notify.rejected_brief":      "Your post #%d was not approved: it does not fit the brief this time.",
	"notify.featured":            "🌟 Your post #%d is featured! Bonus: +%s.",
	"notify.referral":            "🎉 %s joined through your link and checked in: +%s!",
	"notify.ambassador_approved": "🎉 Welcome to the ambassador programme! Send /submit <url> when you post about us.",
	"notify.ambassador_rejected": "Thanks for applying to be an ambassador. It's not a yes this time — keep being part of the community!",
}

var notificationsChinese = map[string]string{
	"n.points#other":             "%s 积分",
	"notify.fulfil":              "📦 你的奖励（兑换码 %[1]s）已发出！%[3]s",
	"notify.cancel":              "你的兑换 %[1]s 已取消，%[2]s 已退回到你的余额。%[3]s",
	"notify.give":                "🎁 你获得了 %s：%s",
	"notify.take":                "你的账户被扣除 %s：%s",
	"notify.ticket_closed":       "你的工单 #%d 已关闭。如还有问题，请输入 /human。",
	"notify.shop_unlinked":       "管理员解绑了你的商城账号，其订单给你的 %s 已收回。如需重新绑定，请用商城账号里的验证码发送 /shop。",
	"notify.grant_waiting":       "⚖️ %[1]s 想给 %[3]s 发放 %[2]s（%[4]s），超出了每日额度 %[6]s。发放 #%[5]d 等你处理：/approve-grant %[5]d 或 /reject-grant %[5]d。",
	"notify.grant_approved":      "✅ 创建者批准了发放 #%d：已发放 %s。",
	"notify.grant_rejected":      "创建者拒绝了发放 #%d（%s）。",
	"button.approve_grant":       "批准",
	"button.reject_grant":        "拒绝",
	"notify.tickets":             "🙋 新的人工客服请求（%d 个）：\n%s\n/tickets 查看全部，/reply <编号> <内容> 回复。",
	"alert.tier_role":            "⚠️ 无法在 %[3]s 上给 %[1]s 设置 %[2]s 身份组：%[4]s。请确认机器人的角色有“管理身份组”权限，并且排在等级身份组之上。",
	"support.reply":              "💬 客服回复（工单 #%d）：\n%s",
	"notify.approved":            "✅ 你的帖子 #%d 审核通过：+%s！%s",
	"notify.rejected":            "你的帖子 #%d 未通过审核：%s",
	"notify.rejected_brief":      "你的帖子 #%d 这次未通过审核：内容不太符合要求。",
	"notify.featured":            "🌟 你的帖子 #%d 被精选！额外奖励 +%s。",
	"notify.referral":            "🎉 %s 通过你的邀请加入并完成签到：+%s！",
	"notify.ambassador_approved": "🎉 欢迎加入品牌大使计划！发帖后用 /submit <链接> 提交。",
	"notify.ambassador_rejected": "感谢申请品牌大使。这次没有通过，欢迎继续参与社区！",
}
