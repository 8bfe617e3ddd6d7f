package main

import (
	"bytes"
	"context"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"github.com/loyalbot/loyalbot/loyalty/loyaltytest"
)

// zhScript walks what members and managers do, all with /lang zh.
// 店长 is the owner, 老王 a manager, 小明 and 小红 members.
const zhScript = `店长> /lang zh
老王> /lang zh
老王> /start
店长> /role @老王 manager
小明> /lang zh
小明> /start
小红> /lang zh
小红> /start
小明> /points
小明> /checkin
小明> /checkin
小明> /history
小明> /history 0
小明> /leaderboard
小明> /leaderboard all
小明> /leaderboard year
小明> /leaderboard ambassadors
小明> /rewards
小明> /redeem sticker-pack
小明> /redeem tea-sample confirm
小明> /redeem nothing
小明> /redeem gift-card
小明> /link
小明> /link WRONG1
小明> /profile
小明> /ref
小明> /referrals
小明> /submissions
小明> /submit https://www.xiaohongshu.com/explore/66f1a2b3000000001e03c9d4
小明> /ambassador apply 我每天都喝乌龙茶
小明> /shop nobody@example.com
小明> /marketing off
小明> /marketing on
dm 小明> 积分会过期吗？
dm 小明> 今天天气怎么样
dm 小明> /human 包裹破了
dm 小明> /human
小明> /give @小红 5 x
小明> /frobnicate
小明> /give
小明> "unclosed
dm 小明> /erase
老王> /give @小明 50 谢谢参与
老王> /take @小明 5 更正
老王> /take @小明 99999 太多
老王> /give @老王 5 自己
老王> /give @小明 20000 超额奖励
老王> /redemptions
老王> /ambassador approve
老王> /ambassador approve @小明
小明> /submit https://www.xiaohongshu.com/explore/66f1a2b3000000001e03c9d4
小明> /submit https://v.douyin.com/iAbCdEf/
小明> /submit https://v.douyin.com/iAbCdEf/
老王> /review
老王> /approve 1 0
老王> /approve 1 拍得好
老王> /approve 1
老王> /feature 1
老王> /reject 2
老王> /reject 2 重复
老王> /approve 99
老王> /ambassadors
小明> /leaderboard ambassadors
小明> /submissions
老王> /tickets
老王> /reply 1 已经补发了
老王> /close 1
老王> /broadcast 大家好
老王> /broadcast --segment
老王> /segments
老王> /member @小明
老王> /role @小红 manager
老王> /audit
店长> /audit
店长> /grants
店长> /approve-grant 99
店长> /setup
dm 店长> /setup
店长> /setup off
店长> /erase @小红
小明> /history
小明> /points
`

// allowed are words a Chinese reply may hold in Latin letters: names,
// codes and what members type (commands, their choices, reward ids).
var allowedLatin = regexp.MustCompile(`^(?:` + strings.Join([]string{
	`/[a-z][a-z-]*`,               // a command
	`[a-z]+(?:-[a-z]+)+`,          // a slug: reward id, segment code
	`[A-Z0-9]{2,}(?:-[A-Z0-9]+)*`, // codes, acronyms: RFM, KOC, XXXX-XXXX, CNY
	`ref_[A-Z0-9]+`,
	`en|zh|English|week|month|all|ambassadors|champions|loyal|new|promising|hibernating|lost|confirm|cancel|on|off|apply|approve|reject|rejected|member|ambassador|manager`, // typed choices
	`console|group|telegram|discord|xiaohongshu|douyin|Lumen|Tea|Rising|loyalbot|KiB|https?|www|com|explore|iAbCdEf|example|nobody|NONCE|P|alive`,
}, "|") + `)$`)

// TestChinese_NoEnglishLeaks runs every reply of zhScript and fails on
// Latin words that are not names, codes or commands.
func TestChinese_NoEnglishLeaks(t *testing.T) {
	cfg := testConfig(t)
	clk := loyaltytest.NewClock(testNow)
	app, err := OpenApp(context.Background(), cfg, "店长", slog.New(slog.DiscardHandler), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	var out bytes.Buffer
	if err := runShell(context.Background(), app, strings.NewReader(zhScript), &out, "店长"); err != nil {
		t.Fatal(err)
	}
	word := regexp.MustCompile(`[A-Za-z][A-Za-z0-9_'-]*(?:/[A-Za-z0-9_-]+)*`)
	url := regexp.MustCompile(`https?://\S+|/[a-z][a-z-]*(?: [^\s，。：；（）]+)*`)
	quoted := regexp.MustCompile(`"[^"]*"`)
	leaks := map[string]string{}
	var reply strings.Builder
	check := func() {
		text := reply.String()
		reply.Reset()
		if strings.Contains(text, "{") { // /export's JSON is data, not prose
			return
		}
		text = url.ReplaceAllString(text, " ")    // links, and commands with what follows them
		text = quoted.ReplaceAllString(text, " ") // what the member typed, quoted back
		for _, w := range word.FindAllString(text, -1) {
			if !allowedLatin.MatchString(w) {
				leaks[w] = text
			}
		}
	}
	for _, line := range strings.Split(out.String(), "\n") {
		switch {
		case strings.HasPrefix(line, "bot> "):
			check()
			line = strings.TrimPrefix(line, "bot> ")
			if i := strings.Index(line, ") "); strings.HasPrefix(line, "(to ") && i > 0 {
				line = line[i+2:] // the console's own "(to alice, privately)" tag
			}
			reply.WriteString(line + "\n")
		case strings.HasPrefix(line, "     "):
			reply.WriteString(line + "\n")
		default:
			check()
		}
	}
	check()
	for w, in := range leaks {
		t.Errorf("English %q in a Chinese reply:\n%s", w, in)
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("transcript:\n%s", out.String())
	}
}
