package support

import (
	"slices"
	"testing"
	"time"
)

func TestRedact(t *testing.T) {
	tests := []struct {
		name, in string
		names    []string
		want     string
	}{
		{"email", "write to anna.lee+tea@example.com please", nil, "write to *** please"},
		{"email with digits", "mail anna2@example.com", nil, "mail ***"},
		{"phone", "call me on +86 138-1234-5678 tonight", nil, "call me on *** tonight"},
		{"cn mobile", "我的手机13812345678", nil, "我的手机***"},
		{"order number", "order #10234 is late", nil, "order *** is late"},
		{"tracking code", "tracking SF1234567890CN says lost", nil, "tracking *** says lost"},
		{"coupon code", "my code LUMEN-7K2Q didn't work", nil, "my code *** didn't work"},
		{"link", "see https://shop.example/orders/77?token=abc for it", nil, "see *** for it"},
		{"handle", "ask @lisa_w about it", nil, "ask *** about it"},
		{"names, whole words only", "Hi Anna Lee! Annabel's tin is fine, anna.", []string{"Anna Lee"}, "Hi ***! Annabel's tin is fine, ***."},
		{"name before a colon", "Yes, Bob: Macau takes 5 days.", []string{"Bob"}, "Yes, ***: Macau takes 5 days."},
		{"name first", "Bob, your tin is on its way", []string{"Bob"}, "***, your tin is on its way"},
		{"chinese name", "王小明你好，已经给你补发了", []string{"王小明"}, "***你好，已经给你补发了"},
		{"marks run together", "call 138 1234 5678, or anna@x.com @anna", nil, "call ***, or ***"},
		{"hours, prices and days stay", "Open 10:00–21:00, free shipping over ¥99, 3-5 days, 满99元包邮", nil, "Open 10:00–21:00, free shipping over ¥99, 3-5 days, 满99元包邮"},
		{"one-letter names are not taken out", "a cup", []string{"a"}, "a cup"},
		{"introduction", "Hi, I'm Alice Johnson. My order is late", nil, "Hi, I'm ***. My order is late"},
		{"not an introduction", "I'm not sure I'm Jade", nil, "I'm not sure I'm ***"},
		{"chinese introduction", "你好，我叫王小明，发货要多久？", nil, "你好，我叫***，发货要多久？"},
		{"platform ids", "my WeChat: tea_lover88, wxid_abc123 and instagram erin_ob", nil, "my WeChat: *** and instagram ***"},
		{"platform names are not ids", "how do I link my telegram and discord", nil, "how do I link my telegram and discord"},
		{"chinese platform id", "微信号 abc12345 加我", nil, "微信号 *** 加我"},
		{"card ending", "paid with card ending 4242 yesterday", nil, "paid with *** yesterday"},
		{"chinese address", "地址北京市朝阳区建国路88号3单元，请改一下", nil, "***，请改一下"},
		{"street address", "send it to 12 Tea Street instead", nil, "send it to *** instead"},
		{"greeting names", "Hi John Doe, it ships today. 张伟您好，已发货", nil, "Hi ***, it ships today. ***您好，已发货"},
		{"full-width phone", "call １３８１２３４５６７８", nil, "call ***"},
		{"chinese numerals", "电话一三八一二三四五六七八", nil, "电话***"},
		{"obfuscated e-mail", "write to alice(at)example(dot)com", nil, "write to ***"},
		{"links without a scheme", "join t.me/joinchat/AAAAAEkk or bit.ly/3xYz, not lumen.example", nil, "join *** or ***, not lumen.example"},
		{"invisible characters", "https\u200b://evil.example/reset?token=abc", nil, "***"},
		{"full-width e-mail", "we mailed zhang.wei＠qq．com the label", nil, "we mailed *** the label"},
		{"spelled-out e-mail", "write to carol dot jones at gmail dot com today", nil, "write to *** today"},
		{"spaced chinese numerals", "电话一三八 零零一三 八零零零", nil, "电话***"},
		{"uk postcode", "post it to SW1A 1AA please", nil, "post it to *** please"},
		{"card digits", "visa ****4242, exp 12/27 cvv 123", nil, "visa ***"},
		{"handle before its platform", "follow ginastyle on Instagram, she posts on Instagram too", nil, "follow *** on Instagram, she posts on Instagram too"},
		{"chinese building", "送到SOHO现代城5号楼", nil, "***"},
		{"where they live", "I live at 221B Baker Street, London. Is delivery free?", nil, "***. Is delivery free?"},
		{"where they live, in chinese", "住在北京朝阳，能送吗", nil, "***，能送吗"},
		{"a name that is a word goes only when greeted", "Never return opened items. Hi Never, thanks.", []string{"Never"}, "Never return opened items. Hi ***, thanks."},
		{"a chinese name that is a word is marked, not dropped", "拆封后不能退货", []string{"不能"}, "拆封后***退货"},
		{"a number as a name is marked", "returns within 14 days", []string{"14"}, "returns within *** days"},
		{"titles", "Mrs Martin called, and 王先生 too", nil, "*** called, and *** too"},
		{"dates of birth", "born on 12 April 1990 or 1990年4月12日", nil, "born on *** or ***"},
		{"pins and codes", "PIN 2931, 取件码8841", nil, "***"},
		{"card after its brand", "paid by Visa 4242", nil, "paid by ***"},
		{"spelled-out phone", "call five five five one two three four five", nil, "call ***"},
		{"spoken chinese numerals", "电话幺三八零零幺三八零零零", nil, "电话***"},
		{"phone with brackets", "call (555) 123-4567", nil, "call ***"},
		{"spaced e-mail", "alice @ gmail . com", nil, "***"},
		{"harmless text stays", "Open 10:00–21:00, ¥1,299, 3–5 days, 20% off, 满300减50, /redeem mug", nil, "Open 10:00–21:00, ¥1,299, 3–5 days, 20% off, 满300减50, /redeem mug"},
		{"a name that is a common word stays", "No. You can not return opened items, they are not refundable.", []string{"not"}, "No. You can not return opened items, they are not refundable."},
		{"a lowercase handle written with a capital", "Thanks Alice, done", []string{"alice"}, "Thanks ***, done"},
		{"a lowercase handle's word in lower case stays", "the alice blue tea", []string{"alice"}, "the alice blue tea"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Redact(tt.in, tt.names...); got != tt.want {
				t.Errorf("Redact(%q, %q) = %q, want %q", tt.in, tt.names, got, tt.want)
			}
		})
	}
}

func TestPropose(t *testing.T) {
	at := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	turn := func(from, text string, staff bool) Turn { return Turn{From: from, Text: text, At: at, Staff: staff} }
	tests := []struct {
		name          string
		turns         []Turn
		ok            bool
		lang, answer  string
		questionCount int
	}{
		{"no answer", []Turn{turn("member", "where is my parcel please", false)}, false, "", "", 0},
		{"answered", []Turn{turn("member", "where is my parcel please", false), turn("bot", "", false), turn("Carol", "It ships in 2 days.", true)},
			true, "en", "It ships in 2 days.", 1},
		{"old ticket without the staff mark", []Turn{turn("member", "积分可以转给朋友吗", false), turn("Carol", "不可以，积分不能转让。", false)},
			true, "zh", "不可以，积分不能转让。", 1},
		{"lines after the answer are not questions", []Turn{turn("member", "do you ship to Macau", false), turn("Carol", "Yes, in 5 days.", true),
			turn("member", "thanks a lot", false), turn("Carol", "You're welcome!", true)}, true, "en", "Yes, in 5 days.", 1},
		{"the answer's greeting goes", []Turn{turn("member", "do you ship to Macau", false), turn("Carol", "Hi Bob! Yes, in 5 days.", true)}, true, "en", "Yes, in 5 days.", 1},
		{"the answer's chinese greeting goes", []Turn{turn("member", "澳门能寄吗", false), turn("Carol", "王小明您好，可以寄，5天到。", true)}, true, "zh", "可以寄，5天到。", 1},
		{"replies in a row are one answer", []Turn{turn("member", "do you ship to Macau", false), turn("Carol", "Yes, in 5 days.", true),
			turn("Dan", "Express takes 2.", true)}, true, "en", "Yes, in 5 days.\n\nExpress takes 2.", 1},
		{"questions the bot answered are not asked again", []Turn{turn("member", "what's the capital of brazil", false), turn("bot", "", false),
			turn("member", "how do I invite friends", false), turn("bot", "Send /ref.", false), turn("member", "I can't find my reward code", false),
			turn("Carol", "It is under /points.", true)}, true, "en", "It is under /points.", 1},
		{"human after a decline asks the declined question", []Turn{turn("member", "how do I invite friends", false), turn("bot", "Send /ref.", false),
			turn("member", "can I bring my own cup", false), turn("bot", "", false), turn("Carol", "Yes, you can.", true)}, true, "en", "Yes, you can.", 1},
		{"several lines in a row", []Turn{turn("member", "my parcel is late", false), turn("member", "it was due on monday", false),
			turn("Carol", "Sorry, it ships today.", true)}, true, "en", "Sorry, it ships today.", 2},
		{"greetings and introductions dropped when it asks", []Turn{turn("member", "Hello! I'm Erin. My parcel is late. Where is it?", false),
			turn("Carol", "It ships today.", true)}, true, "en", "It ships today.", 1},
		{"greetings and repeats dropped", []Turn{turn("member", "hi", false), turn("member", "do you ship to Macau", false),
			turn("member", "do you ship to Macau", false), turn("Carol", "Yes, in 5 days.", true)}, true, "en", "Yes, in 5 days.", 1},
		{"nothing left once personal data is out", []Turn{turn("member", "SF1234567890CN", false), turn("Carol", "Found it.", true)}, false, "", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ok := propose(Ticket{ID: 4, Name: "Bob", Turns: tt.turns})
			if ok != tt.ok {
				t.Fatalf("proposed %v (%+v), want %v", ok, s, tt.ok)
			}
			if ok && (s.Lang != tt.lang || s.Answer != tt.answer || len(s.Questions) != tt.questionCount || s.Ticket != 4 || s.Status != SuggestionPending) {
				t.Errorf("suggestion %+v; want lang %s, answer %q, %d questions", s, tt.lang, tt.answer, tt.questionCount)
			}
		})
	}
}

// TestPropose_TheQuestionAsked: the question is the one the member asked,
// even when the bot declined it before they typed /human and they wrote
// something else after.
func TestPropose_TheQuestionAsked(t *testing.T) {
	at := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		turns []string // member, bot, member… ("" is the bot's decline); the manager answers last
		want  []string
	}{
		{"declined, then thanks", []string{"m:how long does shipping take to Canada?", "b:", "m:thanks in advance"}, []string{"how long does shipping take to Canada?"}},
		{"declined, then details", []string{"m:can I change my address", "b:", "m:also my order is #10234, phone 13812345678"}, []string{"can I change my address"}},
		{"answered before, then a new question", []string{"m:how do I invite friends", "b:Send /ref.", "m:my reward code is missing, where is it?"}, []string{"my reward code is missing, where is it?"}},
		{"declined, then a second question", []string{"m:do you sell teapots?", "b:", "m:and do you sell cups?"}, []string{"do you sell teapots?", "and do you sell cups?"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var turns []Turn
			for _, l := range tt.turns {
				from := map[byte]string{'m': "member", 'b': "bot"}[l[0]]
				turns = append(turns, Turn{From: from, Text: l[2:], At: at})
			}
			turns = append(turns, Turn{From: "Carol", Text: "Our team sends the details today.", At: at, Staff: true})
			s, ok := propose(Ticket{ID: 1, Name: "Bob", Turns: turns})
			if !ok || !slices.Equal(s.Questions, tt.want) {
				t.Errorf("questions %q (%v), want %q", s.Questions, ok, tt.want)
			}
		})
	}
}
