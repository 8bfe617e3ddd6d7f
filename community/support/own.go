package support

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// Topic is what a question about the asker's own account asks.
type Topic string

// Topics of questions about the asker's own account.
const (
	TopicBalance   Topic = "balance"   // "how many pts do i have rn"
	TopicExpiry    Topic = "expiry"    // "我的积分什么时候过期"
	TopicPending   Topic = "pending"   // points held (a return window) and when they are released
	TopicTier      Topic = "tier"      // the member's tier and the distance to the next
	TopicStreak    Topic = "streak"    // the check-in streak
	TopicReferrals Topic = "referrals" // friends referred and their status
	TopicTicket    Topic = "ticket"    // the member's open hand-off ticket
	TopicOrders    Topic = "orders"    // the member's recent shop orders
)

// ownTopics lists, most specific first, the words that name each topic.
// A topic needs one of its words and a sign that the asker means their
// own account (see isAboutSelf); "do points expire" is the FAQ's.
var ownTopics = []struct {
	topic Topic
	words []string
}{
	{TopicExpiry, []string{"expir", "run out", "lapse", "过期", "到期", "失效", "清零"}},
	{TopicPending, []string{"pending", "on hold", "held", "frozen", "冻结", "待入账", "没到账", "未到账", "待确认", "在途"}},
	{TopicStreak, []string{"streak", "in a row", "consecutive", "连续签到", "连签", "签到几天", "签了几天"}},
	{TopicReferrals, []string{"referr", " refer ", "invited", "my link", "my code", "邀请了", "邀请的", "推荐了", "推荐的", "邀请码", "我的链接"}},
	{TopicTicket, []string{"ticket", "my request", "工单", "人工客服回复"}},
	// Listing one's orders; "where is my order" (tracking) is the FAQ's.
	{TopicOrders, []string{"my orders", "my recent orders", "my last order", "my latest order", "order history", "orders have i",
		"orders did i", "我的订单", "最近的订单", "最近订单", "下过几单", "下了几单", "买过什么"}},
	{TopicTier, []string{"tier", "my level", "what level", "which level", "等级", "级别", "升级还差", "下一级"}},
	{TopicBalance, []string{"balance", "how many point", "how many pts", "how much point", "how much pts", "points do i have",
		"pts do i have", "points i have", "my points", "my pts", "余额", "多少积分", "几分", "积分有多少", "积分还有", "有多少分", "我的积分",
		"point", "pts", "积分", "分"}},
}

// nextTier and howFar together, in a question of tierGapWords alone, ask
// how far the asker is from the next tier.
var (
	nextTier     = []string{"next tier", "next level", "level up"}
	howFar       = []string{"how far", "how close", "how many more", "how much more"}
	tierGapWords = strings.Fields("how far close many more much to the a next tier level up am i is it until till points pts away from")
)

// onlyWords reports whether every word of q is one of words.
func onlyWords(q string, words []string) bool {
	for _, w := range strings.FieldsFunc(q, func(r rune) bool { return !unicode.IsLetter(r) }) {
		if !slices.Contains(words, w) {
			return false
		}
	}
	return true
}

// selfEN are the English words by which a question speaks of the asker.
var selfEN = []string{"i", "my", "me", "mine", "im", "i'm", "ive", "i've", "myself"}

// earnWords mark a question about how points are earned or what a thing
// is worth, which the FAQ answers: "how many points do i get for a review".
var earnWords = []string{"get for", "earn", " per ", "for a ", "for each", "for every", "reward for", "need for", "worth", "送多少", "能得", "可以得", "得多少", "怎么赚", "怎么获得", "奖励多少"}

// queryWords mark a question asking for a value now: "how many", "when
// do my…", "多少", "什么时候".
var queryWords = []string{"how many", "how much", "what's my", "whats my", "what is my", "what's the status", "status of my",
	"when do my", "when will my", "when does my", "when are my", "check my", "show my", "see my", "do i have", "have i got",
	"what was my", "list my", "show me my", "i have left", "i got left", "my balance", "any of my", "are my", "is my", "still pending", "what tier am i", "what level am i", "which tier am i", "am i on",
	"多少", "几", "什么时候", "什么等级", "哪个等级", "哪一级", "啥时候", "哪天", "查", "看下", "看看", "还有", "还差", "到哪", "怎么样了"}

// ifWords mark a question about what would happen, which the FAQ answers:
// "will i get a reminder before points expire", "如果取消订单积分还在吗".
var ifWords = []string{"if ", "will i ", "would ", "do i still", "did i ", "what happens", "can i ", "should i", "could i",
	"why ", "transfer", "shared", "share ", "going to", "drop", "are there", "i wonder", "i need", "do i need",
	"如果", "会不会", "是不是", "还能", "能不能", "可以", "为什么", "为啥", "有用", "有什么用", "怎么还"}

// othersWords mark a question about someone else's account, which is never
// answered from the asker's data as if it were that person's: "how many
// points does @bob have", "我朋友bob有多少积分".
var othersWords = []string{"@", "friend", "buddy", "mate ", "his ", "her ", "their ", "someone", "somebody", "other member", "user ",
	"朋友", "他的", "她的", "他有", "她有", "别人", "其他人", "其他会员"}

// possessive finds "bob's" and the like; the contractions below are not names.
var possessive = regexp.MustCompile(`\b([a-z0-9_]+)'s\b`)

var notNames = map[string]bool{"what": true, "that": true, "it": true, "there": true, "here": true, "let": true, "he": true,
	"she": true, "who": true, "how": true, "where": true, "when": true, "today": true, "everyone": true}

// aboutOthers reports whether q (lower case) speaks of another person's
// account; for a question about referrals, friends do not count.
func aboutOthers(q string, referrals bool) bool {
	if referrals {
		q = strings.NewReplacer("friend", "", "buddy", "", "朋友", "").Replace(q)
	}
	if containsAny(q, othersWords) {
		return true
	}
	for _, m := range possessive.FindAllStringSubmatch(q, -1) {
		if !notNames[m[1]] {
			return true
		}
	}
	return false
}

// OwnTopic returns the topic of a question about the asker's own account,
// which is answered from their data rather than from the FAQ; ok is false
// for every other question. It never names whose account: the caller
// answers for the member who asked, whatever the question says.
func OwnTopic(question string) (Topic, bool) {
	q := " " + strings.ToLower(strings.Join(strings.Fields(question), " ")) + " "
	// "how far to the next tier" asks about the asker's tier without a
	// word for them.
	if containsAny(q, nextTier) && containsAny(q, howFar) && onlyWords(q, tierGapWords) {
		return TopicTier, true
	}
	if !isAboutSelf(q) {
		return "", false
	}
	// "how many people did i refer" counts; "did i get points for…" asks
	// what happened, which the FAQ answers.
	counting := strings.Contains(q, " how many ") && strings.Contains(q, " did i ")
	if containsAny(q, earnWords) || containsAny(q, ifWords) && !counting || !containsAny(q, queryWords) {
		return "", false
	}
	for _, t := range ownTopics {
		if containsAny(q, t.words) {
			// The friends one referred are one's own data; anyone else's is not.
			if aboutOthers(q, t.topic == TopicReferrals) {
				return "", false
			}
			return t.topic, true
		}
	}
	return "", false
}

func containsAny(q string, words []string) bool {
	for _, w := range words {
		if strings.Contains(q, w) {
			return true
		}
	}
	return false
}

// isAboutSelf reports whether q (lower case, padded with spaces) speaks of
// the asker: I, my, me… or 我.
func isAboutSelf(q string) bool {
	if strings.Contains(q, "我") {
		return true
	}
	words := strings.FieldsFunc(q, func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' })
	return slices.ContainsFunc(words, func(w string) bool { return slices.Contains(selfEN, w) })
}
