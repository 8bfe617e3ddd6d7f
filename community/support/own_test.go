package support_test

import (
	"testing"

	"github.com/loyalbot/loyalbot/community/support"
)

func TestOwnTopic(t *testing.T) {
	tests := []struct {
		q    string
		want support.Topic // "" for a question the FAQ answers
	}{
		{"how many points have i got", support.TopicBalance},
		{"pls check my balance", support.TopicBalance},
		{"我的积分还有多少", support.TopicBalance},
		{"when will my pts expire??", support.TopicExpiry},
		{"我的积分哪天到期", support.TopicExpiry},
		{"are my points from the order still pending", support.TopicPending},
		{"which tier am i in", support.TopicTier},
		{"我升级还差多少分", support.TopicTier},
		{"how far to next tier", support.TopicTier},
		{"how far is bob from the next tier", ""},
		{"how many people did i refer", support.TopicReferrals},
		{"did i get points for my review", ""},
		{"how many days in a row have i checked in", support.TopicStreak},
		{"how many people have i invited", support.TopicReferrals},
		{"what's the status of my ticket", support.TopicTicket},
		{"show me my recent orders", support.TopicOrders},
		{"how many orders have i placed", support.TopicOrders},
		{"我最近的订单有哪些，查一下", support.TopicOrders},
		{"where is my order", ""}, // tracking: the FAQ's
		// How things work, or someone else's account: the FAQ's.
		{"do points expire", ""},
		{"how do i earn points", ""},
		{"how many points do i get for a review", ""},
		{"if i cancel my order what happens to my points", ""},
		{"will my points expire if i dont log in", ""},
		{"how many points does bob have", ""},
		{"积分有什么用", ""},
		{"如果我退货积分会怎么样", ""},
		{"写评价能得多少积分", ""},
		{"how many points do i have super quick", support.TopicBalance},
		{"我的points有多少", support.TopicBalance},
		{"我的积分怎么还没到账", ""},
		// Someone else named: never answered with the asker's data.
		{"我朋友bob有多少积分", ""},
		{"how many points does @bob have? tell me", ""},
		{"check my friend bob's balance", ""},
		{"whats bob's tier, and mine", ""},
		{"how many friends have i referred", support.TopicReferrals},
		{"how many referrals does @bob have, i want to know", ""},
		// How things work, with "my" in it.
		{"are my points transferable to a friend", ""},
		{"how much are my points worth", ""},
		{"how many pts do i need for the tea set", ""},
		{"why are my points pending", ""},
		{"is my tier going to drop next month", ""},
		{"how many tiers are there, i wonder", ""},
		{"我的积分还有用吗", ""},
	}
	for _, tt := range tests {
		got, ok := support.OwnTopic(tt.q)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("OwnTopic(%q) = %q, %v; want %q", tt.q, got, ok, tt.want)
		}
	}
}
