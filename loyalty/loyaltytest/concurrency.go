package loyaltytest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/loyalbot/loyalbot/loyalty"
)

func (s suite) ledgerRedeemRace(t *testing.T) {
	l := s.open(t, loyalty.Config{})
	if err := l.PutReward(ctx, loyalty.Reward{ID: "drop", Name: "Limited drop", Cost: 100, Stock: 10}); err != nil {
		t.Fatal(err)
	}
	const n = 64
	for i := range n {
		mustCredit(t, l, loyalty.Member(uint64(i+1)), 150, fmt.Sprint("seed:", i))
	}
	var ok, out atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := l.Redeem(ctx, fmt.Sprint("redeem:", i), loyalty.Member(uint64(i+1)), "drop")
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, loyalty.ErrOutOfStock):
				out.Add(1)
			default:
				t.Errorf("redeem %d: %v", i, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if ok.Load() != 10 || out.Load() != n-10 {
		t.Errorf("%d redeemed, %d out of stock; want 10 and %d", ok.Load(), out.Load(), n-10)
	}
	if r, _ := l.Reward(ctx, "drop"); r.Stock != 0 {
		t.Errorf("stock %d, want 0", r.Stock)
	}
	var spent int64
	for i := range n {
		b := balance(t, l, loyalty.Member(uint64(i+1)))
		if b.Balance != 50 && b.Balance != 150 {
			t.Errorf("member %d balance %d, want 50 or 150", i+1, b.Balance)
		}
		spent += 150 - b.Balance
	}
	if r := balance(t, l, loyalty.RedemptionAccount); spent != 1000 || r.Balance != 1000 {
		t.Errorf("members spent %d, redemption account holds %d; want 1000", spent, r.Balance)
	}
}

func (s suite) ledgerPostSameKeyRace(t *testing.T) {
	l := s.open(t, loyalty.Config{})
	const n = 64
	var replays atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			rc, err := l.Credit(ctx, alice, "ugc", 200, "ugc-approve:7", "approved post")
			if err != nil {
				t.Error(err)
			}
			if rc.Replay {
				replays.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	if replays.Load() != n-1 {
		t.Errorf("%d replays, want %d", replays.Load(), n-1)
	}
	h, _, _ := l.History(ctx, alice, 0, 100)
	if b := balance(t, l, alice); b.Balance != 200 || len(h) != 1 {
		t.Errorf("balance %d with %d entries, want one posting of 200", b.Balance, len(h))
	}
}

// A rejected write shares its transaction with good ones and fails none of them.
func (s suite) ledgerBatchRejectionIsolated(t *testing.T) {
	l := s.open(t, loyalty.Config{})
	var wg sync.WaitGroup
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := loyalty.Member(uint64(i%10 + 1))
			if i%2 == 0 {
				if _, err := l.Credit(ctx, a, "checkin", 1, fmt.Sprint("c", i), ""); err != nil {
					t.Error(err)
				}
				return
			}
			if _, err := l.Debit(ctx, a, loyalty.RedemptionAccount, 1000, fmt.Sprint("d", i), ""); !errors.Is(err, loyalty.ErrInsufficientFunds) {
				t.Errorf("overdraw %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if b := balance(t, l, loyalty.Issuance("checkin")); b.Balance != -100 {
		t.Errorf("issued %d, want 100", -b.Balance)
	}
}
