package support

import (
	"regexp"
	"strings"
)

// promiseWords are what an answer may offer only when the FAQ passages or
// the member's data it was given say so: money back, compensation, gifts.
var promiseWords = []string{"refund", "compensat", "reimburs", "voucher", "coupon", "gift card", "for free", "free of charge",
	"credit you", "add points", "give you", "send you a", "discount",
	"退款", "退钱", "赔偿", "补偿", "优惠券", "代金券", "免费", "赠送", "送你", "返还", "折扣", "补发"}

// claimNumber finds amounts, points, percentages, durations and dates an
// answer states; each must appear in what the answer was given.
var claimNumber = regexp.MustCompile(`(?i)(?:[¥$€£]|us\$|rmb\s?)\s?\d[\d,.]*|\d[\d,.]*\s?(?:%|元|块|yuan|rmb|usd|dollars?|points?|pts|积分|分|days?|天|个?工作日|hours?|小时|weeks?|周)|\d{4}-\d{2}-\d{2}|\d{1,2}月\d{1,2}[日号]`)

var digits = regexp.MustCompile(`\d+(?:[.,]\d+)*`)

// unfounded returns the promises and figures in answer that evidence (the
// FAQ passages and tool results the model was given) does not contain:
// an answer with any is not sent, however confident the model sounds.
func unfounded(answer, evidence string) []string {
	a, ev := strings.ToLower(answer), strings.ToLower(evidence)
	var out []string
	for _, w := range promiseWords {
		if strings.Contains(a, w) && !strings.Contains(ev, w) {
			out = append(out, w)
		}
	}
	for _, claim := range claimNumber.FindAllString(a, -1) {
		for _, n := range digits.FindAllString(claim, -1) {
			if !strings.Contains(ev, n) && !strings.Contains(ev, strings.ReplaceAll(n, ",", "")) {
				out = append(out, strings.TrimSpace(claim))
				break
			}
		}
	}
	return out
}
