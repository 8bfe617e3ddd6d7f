package support

import (
	"slices"
	"testing"
)

func TestUnfounded(t *testing.T) {
	evidence := `Refunds reach your original payment method within 3–7 business days. Mainland China: free shipping on orders of ¥99 or more.
{"balance":160,"available":160,"held":0}`
	tests := []struct {
		answer string
		want   []string
	}{
		{"Refunds take 3–7 business days to arrive.", nil},
		{"You have 160 points.", nil},
		{"Orders of ¥99 or more ship free.", nil},
		{"We will refund ¥73 and add 730 points as compensation.", []string{"compensat", "¥73", "730 points"}},
		{"Sorry! I'll send you a coupon.", []string{"coupon", "send you a"}},
		{"我们会赔偿你50元", []string{"赔偿", "50元"}},
		{"退款会在3天内到账", []string{"退款"}}, // the passage here is English only: its zh answer would say 退款
		{"Your order ships on 2026-12-24.", []string{"2026-12-24"}},
	}
	for _, tt := range tests {
		if got := unfounded(tt.answer, evidence); !slices.Equal(got, tt.want) {
			t.Errorf("unfounded(%q) = %q, want %q", tt.answer, got, tt.want)
		}
	}
}
