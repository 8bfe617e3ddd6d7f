package community_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/loyalbot/loyalbot/bots"
	"github.com/loyalbot/loyalbot/bots/console"
	"github.com/loyalbot/loyalbot/community"
	"github.com/loyalbot/loyalbot/community/communitytest"
	"github.com/loyalbot/loyalbot/loyalty"
	"github.com/loyalbot/loyalbot/loyalty/loyaltytest"
	"github.com/loyalbot/loyalbot/ugc"
)

// harness is the community wired as cmd/loyalbot wires it, driven through
// the console adapter: a chat line in, the printed replies out.
type harness struct {
	t       testing.TB
	clock   *loyaltytest.Clock
	ledger  *loyalty.Ledger
	members *community.Members
	router  *bots.Router
	console *console.Adapter
	out     *bytes.Buffer
	ugc     *ugc.Service
	stack   *communitytest.Stack
}

func newHarness(t testing.TB, cfg community.Config) *harness {
	t.Helper()
	st := communitytest.New(t, cfg, "console:admin")
	var out bytes.Buffer
	a := console.New(nil, &out, console.WithClock(st.Clock.Now))
	st.Hub.Add(a)
	return &harness{t: t, clock: st.Clock, ledger: st.Ledger, members: st.Members, router: st.Router, console: a, out: &out, ugc: st.UGC, stack: st}
}

// send feeds one console line ("alice> /points") and returns what the bot
// printed for it, without the echoed line.
func (h *harness) send(line string) string {
	h.t.Helper()
	h.out.Reset()
	h.console.Handle(context.Background(), h.router, line)
	_, replies, _ := strings.Cut(h.out.String(), "\n")
	return replies
}

// expect sends line and fails unless the replies contain every want.
func (h *harness) expect(line string, want ...string) string {
	h.t.Helper()
	got := h.send(line)
	for _, w := range want {
		if !strings.Contains(got, w) {
			h.t.Errorf("%s\n got: %s\nwant: %q", line, got, w)
		}
	}
	return got
}

// balance returns the ledger balance of the console user name.
func (h *harness) balance(name string) int64 {
	h.t.Helper()
	id, err := h.members.LookupMention(context.Background(), bots.Console, "@"+name)
	if err != nil {
		h.t.Fatalf("member %s: %v", name, err)
	}
	b, err := h.ledger.Balance(context.Background(), loyalty.Member(id))
	if err != nil {
		h.t.Fatal(err)
	}
	return b.Balance
}

func (h *harness) wantBalance(name string, want int64) {
	h.t.Helper()
	if got := h.balance(name); got != want {
		h.t.Errorf("%s balance %d, want %d", name, got, want)
	}
}
