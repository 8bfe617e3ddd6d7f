package chat

// Customer service messages, added to the catalogue by registerSupport.
var englishSupport = map[string]string{
	"cmd.human":   "talk to a person",
	"cmd.tickets": "open support tickets",
	"cmd.reply":   "answer a support ticket",
	"cmd.close":   "close a support ticket",

	"support.dont_know":           "I'm not sure about that one, and I'd rather not guess. Type /human and a person from our team will help you.",
	"support.ticket_opened":       "🙋 I've passed this to our team (ticket #%d). A person will answer you here privately.",
	"support.ticket_added":        "I've added that to your open ticket #%d.",
	"support.ticket_status#one":   "Your ticket #%d is open (%d message, last update %s). Our team will answer here privately.",
	"support.ticket_status#other": "Your ticket #%d is open (%d messages, last update %s). Our team will answer here privately.",
	"arg.ticket":                  "ticket",
	"tickets.empty":               "No open tickets. 🎉",
	"tickets.header":              "Open tickets:",
	"tickets.line":                "#%d %s (%s, %s): %s",
	"ticket.unknown":              "There is no ticket #%d.",
	"reply.ok":                    "Reply to ticket #%d delivered to %s privately.",
	"reply.undelivered":           "I couldn't deliver the reply to ticket #%d; the member may have blocked the bot.",
	"close.ok":                    "Ticket #%d closed.",
	"close.already":               "Ticket #%d was closed already.",
}

var chineseSupport = map[string]string{
	"cmd.human":   "转人工客服",
	"cmd.tickets": "待处理的客服工单",
	"cmd.reply":   "回复客服工单",
	"cmd.close":   "关闭客服工单",

	"support.dont_know":           "这个问题我不太确定，不想乱回答。输入 /human，我们的客服会来帮你。",
	"support.ticket_opened":       "🙋 已转给人工客服（工单 #%d），客服会在这里私信回复你。",
	"support.ticket_added":        "已补充到你的工单 #%d。",
	"support.ticket_status#other": "你的工单 #%d 处理中（%d 条消息，最近更新 %s）。客服会在这里私信回复你。",
	"arg.ticket":                  "工单",
	"tickets.empty":               "没有待处理的工单。🎉",
	"tickets.header":              "待处理工单：",
	"tickets.line":                "#%d %s（%s，%s）：%s",
	"ticket.unknown":              "没有编号为 #%d 的工单。",
	"reply.ok":                    "工单 #%d 的回复已私信发给 %s。",
	"reply.undelivered":           "工单 #%d 的回复发送失败，对方可能屏蔽了机器人。",
	"close.ok":                    "工单 #%d 已关闭。",
	"close.already":               "工单 #%d 之前已经关闭。",
}
